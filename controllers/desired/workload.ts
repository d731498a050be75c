// What one child object becomes: ServiceAccount, headless Service, StatefulSet and
// PodDisruptionBudget, plus for the kernel a Role, RoleBinding and its status ConfigMap. Pure
// functions of the child and what the reconciler found out about its surroundings.
import type { V1EnvVar, V1ResourceRequirements } from '@kubernetes/client-node';
import { DEFAULT_METRICS_PORT, type ChildObject, type ComponentName, type ImageSpec } from '../../api/v1alpha1/index.ts';
import type { KubeObject } from '../../runtime/index.ts';
import type { ComponentTraits } from '../components.ts';
import { mergePullSecrets } from './child.ts';
import { canonicalQuantity } from './quantity.ts';
import { controllerRef, kernelStatusConfigMapName, labelsFor, nameOf, namespaceOf, selectorLabels, topologyConfigMapName } from './meta.ts';

/** Where another component of the same Engula cluster is reached. */
export interface PeerAddress {
  service: string;
  port: number;
}

export interface WorkloadInput {
  child: ChildObject;
  traits: ComponentTraits;
  /** The Engula cluster the child belongs to (owner Cluster's name or spec.clusterName). */
  clusterName: string | undefined;
  /** The image after the owner Cluster's defaults (the reconciler refuses to run without one). */
  image: ImageSpec;
  /** Addresses of the components this one is told about (its dependencies) that exist. */
  peers: Partial<Record<ComponentName, PeerAddress>>;
  /** The cluster's DNS domain, for the fully qualified names in environment variables. */
  clusterDomain: string;
}

export const DATA_VOLUME = 'data';
export const DATA_PATH = '/var/lib/engula';
export const TOPOLOGY_VOLUME = 'topology';
export const TOPOLOGY_DIR = '/etc/engula';
export const TOPOLOGY_FILE = 'topology.yaml';
/** The name of the port (on the headless Service and the container) that serves Prometheus metrics. */
export const METRICS_PORT_NAME = 'metrics';
export const METRICS_PATH = '/metrics';

export function portOf(child: ChildObject, traits: ComponentTraits): number {
  return child.spec.port ?? traits.defaultPort;
}

export function metricsPortOf(child: ChildObject): number {
  return child.spec.metricsPort ?? DEFAULT_METRICS_PORT;
}

/** The prometheus.io annotations asked for by spec.monitoring.scrapeAnnotations, or none. */
export function scrapeAnnotations(child: ChildObject): Record<string, string> {
  if (child.spec.monitoring?.scrapeAnnotations !== true) return {};
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(metricsPortOf(child)), 'prometheus.io/path': METRICS_PATH };
}

export function serviceHost(service: string, namespace: string, clusterDomain: string): string {
  return `${service}.${namespace}.svc.${clusterDomain}`;
}

function meta(input: WorkloadInput, name = nameOf(input.child)): KubeObject['metadata'] {
  return {
    name,
    namespace: namespaceOf(input.child),
    labels: labelsFor(nameOf(input.child), input.traits.component, input.clusterName),
    ownerReferences: [controllerRef(input.child)],
  };
}

export function desiredServiceAccount(input: WorkloadInput): KubeObject {
  const pullSecrets = mergePullSecrets(input.child.spec.imagePullSecrets);
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(input),
    automountServiceAccountToken: input.traits.apiAccess,
    ...(pullSecrets ? { imagePullSecrets: pullSecrets } : {}),
  };
}

export function desiredHeadlessService(input: WorkloadInput): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(input),
    spec: {
      clusterIP: 'None',
      // Peers must find each other while still starting (a kernel waits for journal and storage
      // before it is Ready), so DNS lists pods before they are Ready.
      publishNotReadyAddresses: true,
      selector: selectorLabels(nameOf(input.child), input.traits.component),
      ports: [
        { name: 'service', port: portOf(input.child, input.traits), targetPort: 'service', protocol: 'TCP' },
        { name: METRICS_PORT_NAME, port: metricsPortOf(input.child), targetPort: METRICS_PORT_NAME, protocol: 'TCP' },
      ],
    },
  };
}

export function desiredPodDisruptionBudget(input: WorkloadInput): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(input),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(nameOf(input.child), input.traits.component) } },
  };
}

/** The kernel's privileges: read the cluster's Services, Endpoints and Pods; read and write its own status ConfigMap. */
export function desiredKernelRole(input: WorkloadInput): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: meta(input),
    rules: [
      { apiGroups: [''], resources: ['services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
      // `create` cannot be limited to one name, so the operator creates the ConfigMap and the kernel only writes it.
      { apiGroups: [''], resources: ['configmaps'], resourceNames: [kernelStatusConfigMapName(nameOf(input.child))], verbs: ['get', 'update', 'patch'] },
    ],
  };
}

export function desiredKernelRoleBinding(input: WorkloadInput): KubeObject {
  const name = nameOf(input.child);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(input),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace: namespaceOf(input.child) }],
  };
}

/** Created empty; its data belongs to the kernel, so the operator's apply never names it. */
export function desiredKernelStatusConfigMap(input: WorkloadInput): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(input, kernelStatusConfigMapName(nameOf(input.child))) };
}

/** Quantities as the apiserver stores them: a number (`cpu: 1`) or another spelling (`0.5`,
 * `1024Mi`) would never match the live object and be re-applied forever. */
function canonicalQuantities(r: V1ResourceRequirements | undefined): V1ResourceRequirements | undefined {
  if (r === undefined) return undefined;
  const fix = (m: Record<string, unknown> | undefined): Record<string, string> | undefined =>
    m === undefined ? undefined : Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v === 'number' || typeof v === 'string' ? canonicalQuantity(v) : String(v)]));
  const out: V1ResourceRequirements = {};
  const limits = fix(r.limits as Record<string, unknown> | undefined);
  const requests = fix(r.requests as Record<string, unknown> | undefined);
  if (limits) out.limits = limits;
  if (requests) out.requests = requests;
  return out;
}

function fieldEnv(name: string, fieldPath: string): V1EnvVar {
  return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
}

/** Variables the operator sets; the spec's own env comes after them, so a user's entry wins. */
export function componentEnv(input: WorkloadInput): V1EnvVar[] {
  const ns = namespaceOf(input.child);
  const env: V1EnvVar[] = [
    fieldEnv('POD_NAME', 'metadata.name'),
    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
    { name: 'ENGULA_COMPONENT', value: input.traits.component },
  ];
  if (input.clusterName) env.push({ name: 'ENGULA_CLUSTER', value: input.clusterName });
  for (const [component, variable] of Object.entries(input.traits.addressEnv) as Array<[ComponentName, string]>) {
    const peer = input.peers[component];
    if (peer) env.push({ name: variable, value: `${serviceHost(peer.service, ns, input.clusterDomain)}:${peer.port}` });
  }
  const own = new Set((input.child.spec.env ?? []).map((e) => e.name));
  return [...env.filter((e) => !own.has(e.name)), ...(input.child.spec.env ?? [])];
}

/**
 * The command mirrors the original operator's `engula <component> --addr ...`; the addresses of
 * the dependencies arrive as $(VAR) references the kubelet expands from the environment.
 */
export function componentArgs(input: WorkloadInput): string[] {
  const args = [input.traits.component, `--addr=0.0.0.0:${portOf(input.child, input.traits)}`, `--metrics-addr=0.0.0.0:${metricsPortOf(input.child)}`, `--topology=${TOPOLOGY_DIR}/${TOPOLOGY_FILE}`];
  if (input.child.spec.volume) args.push(`--data-dir=${DATA_PATH}`);
  for (const [component, variable] of Object.entries(input.traits.addressEnv) as Array<[ComponentName, string]>) {
    if (input.peers[component]) args.push(`--${component}=$(${variable})`);
  }
  return args;
}

export function desiredStatefulSet(input: WorkloadInput): KubeObject {
  const { child, traits } = input;
  const name = nameOf(child);
  const spec = child.spec;
  const selector = selectorLabels(name, traits.component);
  const podLabels = labelsFor(name, traits.component, input.clusterName);
  // The user's own podAnnotations win over the scrape annotations of the same name.
  const annotations = { ...scrapeAnnotations(child), ...structuredClone(spec.podAnnotations ?? {}) };
  const volumes: Record<string, unknown>[] = [];
  const mounts: Record<string, unknown>[] = [];
  // Mounted as a folder, not with subPath: only then does the kubelet update the file when the
  // topology changes (a scale), without restarting the pod.
  volumes.push({ name: TOPOLOGY_VOLUME, configMap: { name: topologyConfigMapName(input.clusterName ?? name), optional: true } });
  mounts.push({ name: TOPOLOGY_VOLUME, mountPath: TOPOLOGY_DIR, readOnly: true });
  const claimTemplates: Record<string, unknown>[] = [];
  if (spec.volume?.spec) {
    claimTemplates.push({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: DATA_VOLUME, labels: selector }, spec: quantitiesInClaim(spec.volume.spec) });
    mounts.push({ name: DATA_VOLUME, mountPath: DATA_PATH });
  } else if (spec.volume?.source) {
    volumes.push({ name: DATA_VOLUME, persistentVolumeClaim: structuredClone(spec.volume.source) });
    mounts.push({ name: DATA_VOLUME, mountPath: DATA_PATH });
  }
  const resources = canonicalQuantities(spec.resource);
  const container: Record<string, unknown> = {
    name: traits.component,
    image: input.image.name,
    imagePullPolicy: input.image.pullPolicy ?? 'IfNotPresent',
    command: ['engula'],
    args: componentArgs(input),
    ports: [
      { name: 'service', containerPort: portOf(child, traits), protocol: 'TCP' },
      { name: METRICS_PORT_NAME, containerPort: metricsPortOf(child), protocol: 'TCP' },
    ],
    env: componentEnv(input),
    readinessProbe: { tcpSocket: { port: 'service' }, periodSeconds: 10 },
    volumeMounts: mounts,
    ...(resources ? { resources } : {}),
  };
  const podSpec: Record<string, unknown> = {
    serviceAccountName: name,
    automountServiceAccountToken: traits.apiAccess,
    // Engula flushes its log on shutdown; the original operator gave it a minute.
    terminationGracePeriodSeconds: 60,
    containers: [container],
    volumes,
    ...(spec.nodeSelector ? { nodeSelector: structuredClone(spec.nodeSelector) } : {}),
    ...(spec.tolerations ? { tolerations: structuredClone(spec.tolerations) } : {}),
    ...(spec.affinity ? { affinity: structuredClone(spec.affinity) } : {}),
    ...(spec.topologySpreadConstraints ? { topologySpreadConstraints: structuredClone(spec.topologySpreadConstraints) } : {}),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(input),
    spec: {
      serviceName: name,
      replicas: spec.replicas,
      selector: { matchLabels: selector },
      // Members of one component do not need each other to start, so pods start together.
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate' },
      // Retain unless the spec says otherwise: data outlives a delete or a scale-down by default.
      persistentVolumeClaimRetentionPolicy: {
        whenDeleted: spec.persistentVolumeClaimRetentionPolicy?.whenDeleted ?? 'Retain',
        whenScaled: spec.persistentVolumeClaimRetentionPolicy?.whenScaled ?? 'Retain',
      },
      template: {
        metadata: { labels: podLabels, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
        spec: podSpec,
      },
      ...(claimTemplates.length > 0 ? { volumeClaimTemplates: claimTemplates } : {}),
    },
  };
}

function quantitiesInClaim(spec: NonNullable<NonNullable<ChildObject['spec']['volume']>['spec']>): Record<string, unknown> {
  const copy = structuredClone(spec) as Record<string, unknown>;
  const resources = canonicalQuantities(spec.resources as V1ResourceRequirements | undefined);
  if (resources) copy.resources = resources;
  return copy;
}

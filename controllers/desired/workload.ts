// What one child object becomes: ServiceAccount, headless Service, StatefulSet and
// PodDisruptionBudget. Pure functions of the child and what the reconciler found out about its
// surroundings. What runs in the container comes from the child's launch profile
// (../launch-profiles.ts): nothing is written there that the Engula binary does not read.
import type { V1EnvVar, V1ResourceRequirements } from '@kubernetes/client-node';
import { COMPONENTS, type ChildObject, type ComponentName, type ImageSpec, type LaunchProfileName } from '../../api/v1alpha1/index.ts';
import type { KubeObject } from '../../runtime/index.ts';
import { portOf, type ComponentTraits } from './traits.ts';
import { CUSTOM_LAUNCH, DEFAULT_LAUNCH_PROFILE, LAUNCH_PROFILE_ANNOTATION, launchOf, UNKNOWN_BUILD, type ComponentLaunch } from '../launch-profiles.ts';
import { mergePullSecrets } from './child.ts';
import { containerSecurityContextOf, livenessProbeOf, podSecurityContextOf, startupProbeOf, topologySpreadOf } from './pod-settings.ts';
import { canonicalQuantity } from './quantity.ts';
import { controllerRef, labelsFor, nameOf, namespaceOf, selectorLabels } from './meta.ts';

export interface WorkloadInput {
  child: ChildObject;
  traits: ComponentTraits;
  /** The Engula cluster the child belongs to (owner Cluster's name or spec.clusterName). */
  clusterName: string | undefined;
  /** The image after the owner Cluster's defaults (the reconciler refuses to run without one). */
  image: ImageSpec;
  /**
   * The ports the other components of the cluster are configured with, where known (the owner
   * Cluster's spec, or a standalone child's dependencies); the rest are the defaults.
   */
  clusterPorts: Partial<Record<ComponentName, number>>;
}

const DATA_VOLUME = 'data';
/** The pod template annotation spec.restartedAt sets. */
const RESTARTED_AT_ANNOTATION = 'cluster.engula.io/restartedAt';
/** The name of the port (on the headless Service and the container) that serves Prometheus metrics. */
export const METRICS_PORT_NAME = 'metrics';
const DEFAULT_METRICS_PATH = '/metrics';

type LaunchInput = Pick<WorkloadInput, 'child' | 'traits'>;

export function profileOf(child: ChildObject): LaunchProfileName {
  return child.spec.launchProfile ?? DEFAULT_LAUNCH_PROFILE;
}

/** The launch of the child's component on its line (a component the line lacks is refused by admission unless spec.command is set). */
function launchFor(input: LaunchInput): ComponentLaunch {
  return launchOf(profileOf(input.child), input.traits.component) ?? UNKNOWN_BUILD;
}

/** Where the pods serve metrics: where the spec says, else where the profile's binary serves them, else nowhere. */
export function metricsOf(input: LaunchInput): { port: number; path: string } | undefined {
  const { metricsPort, metricsPath } = input.child.spec;
  if (metricsPort !== undefined) return { port: metricsPort, path: metricsPath ?? DEFAULT_METRICS_PATH };
  return launchFor(input).metrics;
}

/** The prometheus.io annotations asked for by spec.monitoring.scrapeAnnotations, where metrics are served; else none. */
export function scrapeAnnotations(input: LaunchInput): Record<string, string> {
  const metrics = metricsOf(input);
  if (input.child.spec.monitoring?.scrapeAnnotations !== true || !metrics) return {};
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(metrics.port), 'prometheus.io/path': metrics.path };
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

/** The spec's extra labels and annotations on an object's metadata; the operator's own labels win. */
function withExtras(metadata: KubeObject['metadata'], labels: Record<string, string> | undefined, annotations: Record<string, string> | undefined): KubeObject['metadata'] {
  return {
    ...metadata,
    labels: { ...structuredClone(labels ?? {}), ...metadata.labels },
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations: structuredClone(annotations) } : {}),
  };
}

/** A metrics port on the container and the Service, only where metrics are served. */
function metricsPorts(input: WorkloadInput): Array<{ name: string; containerPort: number; protocol: string }> {
  const metrics = metricsOf(input);
  return metrics ? [{ name: METRICS_PORT_NAME, containerPort: metrics.port, protocol: 'TCP' }] : [];
}

export function desiredServiceAccount(input: WorkloadInput): KubeObject {
  const pullSecrets = mergePullSecrets(input.child.spec.imagePullSecrets);
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: withExtras(meta(input), undefined, input.child.spec.serviceAccountAnnotations),
    automountServiceAccountToken: launchFor(input).apiAccess,
    ...(pullSecrets ? { imagePullSecrets: pullSecrets } : {}),
  };
}

export function desiredHeadlessService(input: WorkloadInput): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: withExtras(meta(input), input.child.spec.serviceLabels, input.child.spec.serviceAnnotations),
    spec: {
      clusterIP: 'None',
      // Peers must find each other while still starting (the fork's kernel dials journal and
      // storage by these names before it is Ready), so DNS lists pods before they are Ready.
      publishNotReadyAddresses: true,
      selector: selectorLabels(nameOf(input.child), input.traits.component),
      ports: [
        { name: 'service', port: portOf(input.traits.component, input.child.spec), targetPort: 'service', protocol: 'TCP' },
        ...metricsPorts(input).map(({ name, containerPort }) => ({ name, port: containerPort, targetPort: name, protocol: 'TCP' })),
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

/** The configured port of every component of the cluster: the child's own, the known ones, else the defaults. */
function portsOf(input: WorkloadInput): Record<ComponentName, number> {
  const out = Object.fromEntries(COMPONENTS.map((c) => [c, portOf(c, { port: input.clusterPorts[c] })])) as Record<ComponentName, number>;
  out[input.traits.component] = portOf(input.traits.component, input.child.spec);
  return out;
}

/** The variables the profile says the binary reads; the spec's own env comes after them, so a user's entry wins. */
function componentEnv(input: WorkloadInput): V1EnvVar[] {
  const ports = portsOf(input);
  const env = launchFor(input).env.map((e): V1EnvVar => {
    if ('fieldPath' in e) return { name: e.name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: e.fieldPath } } };
    if ('portOf' in e) return { name: e.name, value: String(ports[e.portOf]) };
    // The fork's kernel dials <kubecluster>-journal: the Cluster's metadata.name, which names its children.
    if ('clusterName' in e) return { name: e.name, value: input.clusterName ?? nameOf(input.child) };
    return { name: e.name, value: e.value };
  });
  const own = new Set((input.child.spec.env ?? []).map((e) => e.name));
  return [...env.filter((e) => !own.has(e.name)), ...structuredClone(input.child.spec.env ?? [])];
}

/** The container's command and args: the profile's, each replaced by spec.command or spec.args when given. */
function componentCommand(input: LaunchInput): { command: string[]; args: string[]; custom: boolean } {
  const launch = launchFor(input);
  const port = String(portOf(input.traits.component, input.child.spec));
  const fill = (arg: string): string => arg.replaceAll('{port}', port).replaceAll('{data}', launch.dataPath);
  const { command, args } = input.child.spec;
  return {
    command: command ? [...command] : [...launch.command],
    args: args ? [...args] : launch.args.map(fill),
    custom: command !== undefined || args !== undefined,
  };
}

export function desiredStatefulSet(input: WorkloadInput): KubeObject {
  const { child, traits } = input;
  const name = nameOf(child);
  const spec = child.spec;
  const launch = launchFor(input);
  const run = componentCommand(input);
  const selector = selectorLabels(name, traits.component);
  // The spec's extra pod labels first: the operator's own (the selector among them) cannot be replaced.
  const podLabels = { ...structuredClone(spec.podLabels ?? {}), ...labelsFor(name, traits.component, input.clusterName) };
  // The user's own podAnnotations win over the scrape annotations of the same name.
  const annotations: Record<string, string> = { ...scrapeAnnotations(input), ...structuredClone(spec.podAnnotations ?? {}) };
  // A restart is a new template: the same key `kubectl rollout restart` writes, under our group.
  if (spec.restartedAt) annotations[RESTARTED_AT_ANNOTATION] = spec.restartedAt;
  const volumes: Record<string, unknown>[] = [];
  const mounts: Record<string, unknown>[] = [];
  const claimTemplates: Record<string, unknown>[] = [];
  if (spec.volume?.spec) {
    claimTemplates.push({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: DATA_VOLUME, labels: selector }, spec: quantitiesInClaim(spec.volume.spec) });
    mounts.push({ name: DATA_VOLUME, mountPath: launch.dataPath });
  } else if (spec.volume?.source) {
    volumes.push({ name: DATA_VOLUME, persistentVolumeClaim: structuredClone(spec.volume.source) });
    mounts.push({ name: DATA_VOLUME, mountPath: launch.dataPath });
  } else if (launch.writesData) {
    // The binary writes there whatever the spec says; without a volume its data lives as long as the pod.
    volumes.push({ name: DATA_VOLUME, emptyDir: {} });
    mounts.push({ name: DATA_VOLUME, mountPath: launch.dataPath });
  }
  const resources = canonicalQuantities(spec.resource);
  const container: Record<string, unknown> = {
    name: traits.component,
    image: input.image.name,
    imagePullPolicy: input.image.pullPolicy ?? 'IfNotPresent',
    command: run.command,
    ...(run.args.length > 0 ? { args: run.args } : {}),
    ports: [{ name: 'service', containerPort: portOf(traits.component, child.spec), protocol: 'TCP' }, ...metricsPorts(input)],
    env: componentEnv(input),
    // No Engula v0.2 binary serves HTTP or a gRPC health service: the service port accepting
    // connections is the only readiness it can show.
    readinessProbe: { tcpSocket: { port: 'service' }, periodSeconds: 10 },
    startupProbe: startupProbeOf(child),
    livenessProbe: livenessProbeOf(child),
    securityContext: containerSecurityContextOf(child, launch),
    ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
    ...(resources ? { resources } : {}),
  };
  const podSpec: Record<string, unknown> = {
    serviceAccountName: name,
    automountServiceAccountToken: launch.apiAccess,
    // zojw/engula-operator resource/statefulset.go gives Engula a minute to stop.
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 60,
    securityContext: podSecurityContextOf(child, launch),
    ...(spec.priorityClassName ? { priorityClassName: spec.priorityClassName } : {}),
    containers: [container],
    ...(volumes.length > 0 ? { volumes } : {}),
    ...(spec.nodeSelector ? { nodeSelector: structuredClone(spec.nodeSelector) } : {}),
    ...(spec.tolerations ? { tolerations: structuredClone(spec.tolerations) } : {}),
    ...(spec.affinity ? { affinity: structuredClone(spec.affinity) } : {}),
  };
  const spread = topologySpreadOf(child, name, traits.component);
  if (spread) podSpec.topologySpreadConstraints = spread;
  const metadata = meta(input);
  // Which launch the pods run, for people and for the suite's launch check; on the StatefulSet
  // itself, not its pod template, so it restarts nothing.
  metadata.annotations = { [LAUNCH_PROFILE_ANNOTATION]: run.custom ? CUSTOM_LAUNCH : profileOf(child) };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata,
    spec: {
      serviceName: name,
      replicas: spec.replicas,
      selector: { matchLabels: selector },
      ...(spec.minReadySeconds !== undefined ? { minReadySeconds: spec.minReadySeconds } : {}),
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

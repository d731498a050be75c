// The seed shape every benchmark Cluster has (samples/cluster-minimal.yaml): one pod each of
// journal, storage, kernel and engine, no volumes, default ports. It is the smallest Cluster that
// exercises every controller, the ordered bootstrap and every owned kind, and it keeps the pod
// count (4 per Cluster) within what kwok nodes on a shared 2-core machine can carry at N = 200.
//
// The floor and the 1,000-Cluster memory run also need the objects the operator ends with; they
// come from the operator's own pure builders, so both sides create byte-for-byte the same objects.
import { API_VERSION, COMPONENT_KINDS, COMPONENTS, type ChildObject, type Cluster, type ComponentName } from '../api/v1alpha1/index.ts';
import { COMPONENT_TRAITS } from '../controllers/components.ts';
import {
  desiredChild, desiredHeadlessService, desiredPodDisruptionBudget, desiredServiceAccount, desiredStatefulSet, desiredTopologyConfigMap, type WorkloadInput,
} from '../controllers/desired/index.ts';
import { engulaResources } from '../controllers/resources.ts';
import { coreResources, type KubeObject, type ResourceRef } from '../runtime/resource.ts';

export const SEED_NAME = 'seed';
export const PODS_PER_CLUSTER = 4;
export const CLUSTER_DOMAIN = 'cluster.local';

export function seedCluster(namespace: string, opts: { paused?: boolean } = {}): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: { name: SEED_NAME, namespace },
    spec: {
      name: SEED_NAME,
      image: { name: 'uhub.service.ucloud.cn/zojw/engula:0.9' },
      ...(opts.paused ? { paused: true } : {}),
      journal: { replicas: 1 },
      storage: { replicas: 1 },
      kernel: { replicas: 1 },
      engine: { replicas: 1 },
    },
  };
}

export function childOf(cluster: Cluster, component: ComponentName): ChildObject {
  const child = desiredChild(cluster, component);
  if (!child) throw new Error(`the seed Cluster has no ${component}`);
  return child;
}

/** Everything the component controller writes for one child, in its order (StatefulSet last). */
export function ownedObjectsOf(cluster: Cluster, child: ChildObject, component: ComponentName): Array<[ResourceRef, KubeObject]> {
  const traits = COMPONENT_TRAITS[component];
  const clusterPorts = Object.fromEntries(COMPONENTS.flatMap((c) => (cluster.spec[c] ? [[c, cluster.spec[c].port ?? COMPONENT_TRAITS[c].defaultPort]] : [])));
  const image = child.spec.image ?? cluster.spec.image;
  const input: WorkloadInput = { child, traits, clusterName: cluster.metadata?.name, image, clusterPorts };
  const out: Array<[ResourceRef, KubeObject]> = [[coreResources.serviceAccounts, desiredServiceAccount(input)]];
  out.push([coreResources.services, desiredHeadlessService(input)], [coreResources.podDisruptionBudgets, desiredPodDisruptionBudget(input)]);
  out.push([coreResources.statefulSets, desiredStatefulSet(input)]);
  return out;
}

export function topologyOf(cluster: Cluster): [ResourceRef, KubeObject] {
  return [coreResources.configMaps, desiredTopologyConfigMap(cluster, CLUSTER_DOMAIN)];
}

export function childRefOf(component: ComponentName): ResourceRef {
  return engulaResources[COMPONENT_KINDS[component]];
}

export { COMPONENTS };

// What `status` reads from the API server for one Cluster: the Cluster, its children, and what the
// children run (StatefulSets, pods, claims) with the namespace's Events. The Cluster must be
// readable; anything else the user may not read (RBAC) is left out and said so, as `kubectl
// describe` still shows an object when its Events are forbidden.
import type { CoreV1Event, V1PersistentVolumeClaim, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { COMPONENTS, type ComponentName } from '../api/v1alpha1/kinds.ts';
import type { ChildObject, Cluster } from '../api/v1alpha1/types.generated.ts';
import { childName } from '../controllers/desired/meta.ts';
import { ApiError } from '../runtime/errors.ts';
import type { ResourceRef } from '../runtime/resource.ts';
import { CallFailed, type KubeApi } from './client.ts';
import { CLAIMS, CLUSTERS, EVENTS, PODS, STATEFUL_SETS, childResource, qualifiedName } from './resources.ts';

/** The label every object under a child carries with the child's name (controllers/desired/meta.ts selectorLabels). */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';

export interface ClusterState {
  cluster: Cluster;
  /** The child of each component in the spec, when it exists. */
  children: Partial<Record<ComponentName, ChildObject>>;
  /** Components whose child the user may not read. */
  unreadChildren: ComponentName[];
  statefulSets: V1StatefulSet[];
  pods: V1Pod[];
  /** The namespace's claims (the view picks the Cluster's). */
  claims: V1PersistentVolumeClaim[];
  /** The namespace's Events (the view picks those of the Cluster's objects). */
  events: CoreV1Event[];
  /** What could not be read, each as "list events: Forbidden: ..." */
  unread: string[];
}

/** The components a Cluster's spec has, in the API's order. */
export function componentsOf(cluster: Cluster): ComponentName[] {
  return COMPONENTS.filter((c) => cluster.spec[c] !== undefined);
}

/** A refusal of a read is reported and left out; any other failure stops the command. */
async function readable<T>(what: Promise<T>, fallback: T, unread: string[]): Promise<T> {
  try {
    return await what;
  } catch (err) {
    const cause = err instanceof CallFailed ? err.cause : undefined;
    if (err instanceof CallFailed && cause instanceof ApiError && cause.statusCode === 403) {
      const ref = err.call.ref;
      unread.push(`${err.call.verb} ${ref ? qualifiedName(ref) : err.call.path}: ${cause.statusMessage}`);
      return fallback;
    }
    throw err;
  }
}

const UNREAD = Symbol('unread');

async function childOf(api: KubeApi, ref: ResourceRef, namespace: string, name: string, unread: string[]): Promise<ChildObject | undefined | typeof UNREAD> {
  try {
    return await readable<ChildObject | typeof UNREAD>(api.get<ChildObject>(ref, namespace, name), UNREAD, unread);
  } catch (err) {
    // Not made yet (the operator has not caught up, or is down): the view says the child is missing.
    if (err instanceof CallFailed && err.cause instanceof ApiError && err.cause.statusCode === 404) return undefined;
    throw err;
  }
}

export async function readClusterState(api: KubeApi, namespace: string, name: string): Promise<ClusterState> {
  const cluster = await api.get<Cluster>(CLUSTERS, namespace, name);
  const unread: string[] = [];
  const components = componentsOf(cluster);
  const instances = components.map((c) => childName(name, c));
  // Set-based, so one list finds what belongs to any of the children and nothing else.
  const selector = instances.length > 0 ? `${INSTANCE_LABEL} in (${instances.join(',')})` : undefined;
  const none = <T>(): Promise<T[]> => Promise.resolve([]);
  const [children, statefulSets, pods, claims, events] = await Promise.all([
    Promise.all(components.map(async (c) => [c, await childOf(api, childResource(c), namespace, childName(name, c), unread)] as const)),
    selector ? readable(api.list<V1StatefulSet>(STATEFUL_SETS, namespace, selector), [], unread) : none<V1StatefulSet>(),
    selector ? readable(api.list<V1Pod>(PODS, namespace, selector), [], unread) : none<V1Pod>(),
    readable(api.list<V1PersistentVolumeClaim>(CLAIMS, namespace), [], unread),
    readable(api.list<CoreV1Event>(EVENTS, namespace), [], unread),
  ]);
  const byComponent: Partial<Record<ComponentName, ChildObject>> = {};
  const unreadChildren: ComponentName[] = [];
  for (const [c, child] of children) {
    if (child === UNREAD) unreadChildren.push(c);
    else if (child) byComponent[c] = child;
  }
  return { cluster, children: byComponent, unreadChildren, statefulSets, pods, claims, events, unread };
}

/** The Clusters of one namespace, or of all ('' ). */
export function listClusters(api: KubeApi, namespace: string): Promise<Cluster[]> {
  return api.list<Cluster>(CLUSTERS, namespace);
}

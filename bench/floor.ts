// The floor: what convergence costs with no operator at all. A bare in-process client creates
// the objects the operator ends with (the same builders' output): the Cluster, its topology
// ConfigMap and four children; for journal and storage their ServiceAccount, Service, PDB and
// StatefulSet; for the kernel the same plus Role, RoleBinding and status ConfigMap once journal
// and storage have a ready pod; for the engine once the kernel has one. It waits for the same
// readiness the operator's Ready condition means: every StatefulSet observed, at its replicas,
// all updated and ready. Requests go through a pool as wide as the operator's workers, so both
// sides have the same concurrency; nothing is read or compared (the floor knows what is there).
import type { Logger } from 'pino';
import type { ChildObject, Cluster, ComponentName } from '../api/v1alpha1/index.ts';
import { COMPONENT_TRAITS } from '../controllers/components.ts';
import { Informer } from '../runtime/informer.ts';
import { coreResources, resourcePath, type KubeObject, type ResourceRef } from '../runtime/resource.ts';
import type { RestClient } from '../runtime/rest.ts';
import { Pool, waitUntil, withRetry } from './kube.ts';
import { childOf, childRefOf, COMPONENTS, ownedObjectsOf, seedCluster, topologyOf } from './seed.ts';
import { engulaResources } from '../controllers/resources.ts';

interface StsLike {
  metadata: { generation?: number; namespace?: string; name?: string };
  spec?: { replicas?: number };
  status?: { observedGeneration?: number; replicas?: number; readyReplicas?: number; updatedReplicas?: number };
}

export function statefulSetReady(obj: KubeObject | undefined): boolean {
  const s = obj as unknown as StsLike | undefined;
  if (!s) return false;
  const want = s.spec?.replicas ?? 1;
  const st = s.status;
  return (st?.observedGeneration ?? 0) >= (s.metadata.generation ?? 0) && st?.replicas === want && (st?.updatedReplicas ?? 0) >= want && (st?.readyReplicas ?? 0) >= want;
}

function hasReadyPod(obj: KubeObject | undefined): boolean {
  return ((obj as unknown as StsLike | undefined)?.status?.readyReplicas ?? 0) > 0;
}

export interface FloorResult {
  seconds: number;
  requests: number;
}

export async function runFloor(rest: RestClient, namespaces: string[], concurrency: number, log: Logger, timeoutMs: number): Promise<FloorResult> {
  const statefulSets = new Informer({ rest, ref: coreResources.statefulSets, labelSelector: 'app.kubernetes.io/managed-by=engula-operator', logger: log.child({ part: 'floor' }) });
  statefulSets.start();
  await statefulSets.waitForSync();
  const pool = new Pool(concurrency);
  let requests = 0;
  const create = async (ref: ResourceRef, obj: KubeObject): Promise<KubeObject> =>
    pool.run(() =>
      withRetry(() => {
        requests++;
        return rest.request<KubeObject>('POST', resourcePath(ref, obj.metadata.namespace ?? ''), { body: obj, query: { fieldManager: 'engula-operator' } });
      }),
    );
  const sts = (ns: string, component: ComponentName): KubeObject | undefined => statefulSets.store.get(`${ns}/${seedName(component)}`);
  const waitFor = (what: string, check: () => boolean): Promise<true> => waitUntil(what, () => check() || undefined, timeoutMs, 100);

  const one = async (ns: string): Promise<void> => {
    const cluster = (await create(engulaResources.Cluster, seedCluster(ns))) as unknown as Cluster;
    const children = new Map<ComponentName, ChildObject>();
    await create(...topologyOf(cluster));
    for (const c of COMPONENTS) children.set(c, (await create(childRefOf(c), childOf(cluster, c) as unknown as KubeObject)) as unknown as ChildObject);
    const start = async (c: ComponentName): Promise<void> => {
      const deps = COMPONENT_TRAITS[c].dependsOn;
      await waitFor(`${ns}: ${deps.join(', ')} ready before ${c}`, () => deps.every((d) => hasReadyPod(sts(ns, d))));
      for (const [ref, obj] of ownedObjectsOf(cluster, children.get(c)!, c)) await create(ref, obj);
    };
    await Promise.all(COMPONENTS.map(start));
    await waitFor(`${ns}: every StatefulSet ready`, () => COMPONENTS.every((c) => statefulSetReady(sts(ns, c))));
  };

  const started = Date.now();
  try {
    await Promise.all(namespaces.map(one));
  } finally {
    await statefulSets.stop();
  }
  return { seconds: (Date.now() - started) / 1000, requests };
}

function seedName(component: ComponentName): string {
  return `seed-${component}`;
}

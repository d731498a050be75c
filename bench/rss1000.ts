// Memory with many Clusters cached. With no operator running, a bare client creates M paused seed
// Clusters and every object the operator would have made for them (children, ConfigMaps,
// ServiceAccounts, Services, PDBs, Roles, RoleBindings, StatefulSets), with the StatefulSets at 0
// replicas so the control plane does not have to run 4·M pods; a paused Cluster is one the
// operator must not touch, so it leaves them so. Then the operator starts, lists and caches all of
// it, writes each object's status once (phase Paused), and settles; its RSS is read then, and
// again with the heap after a full GC (forced through the inspector).
import type { Logger } from 'pino';
import type { ChildObject, Cluster } from '../api/v1alpha1/index.ts';
import { engulaResources } from '../controllers/resources.ts';
import { Informer } from '../runtime/informer.ts';
import { resourcePath, type KubeObject, type ResourceRef } from '../runtime/resource.ts';
import type { RestClient } from '../runtime/rest.ts';
import { round } from './convergence.ts';
import { createNamespaces, Pool, waitUntil, withRetry } from './kube.ts';
import { startOperator } from './operator.ts';
import { childOf, childRefOf, COMPONENTS, ownedObjectsOf, seedCluster, topologyOf } from './seed.ts';

export interface Rss1000Result {
  clusters: number;
  objects: number;
  /** RSS once every status is written and the operator is quiet. */
  rssMiB: number;
  rssAfterGcMiB: number;
  heapAfterGcMiB: number;
  peakRssMiB: number;
  startupSeconds: number;
}

/** Creates the paused Clusters and their objects; returns how many objects were created. */
export async function createCachedClusters(rest: RestClient, count: number, log: Logger): Promise<number> {
  const namespaces = Array.from({ length: count }, (_, i) => `bench-rss-${i}`);
  log.info({ clusters: count }, 'creating paused Clusters and their objects with no operator running');
  await createNamespaces(rest, namespaces);
  const pool = new Pool(32);
  let objects = 0;
  const create = (ref: ResourceRef, obj: KubeObject): Promise<KubeObject> =>
    pool.run(() =>
      withRetry(() => {
        objects++;
        return rest.request<KubeObject>('POST', resourcePath(ref, obj.metadata.namespace ?? ''), { body: obj, query: { fieldManager: 'engula-operator' } });
      }),
    );
  let done = 0;
  await Promise.all(
    namespaces.map(async (ns) => {
      const cluster = (await create(engulaResources.Cluster, seedCluster(ns, { paused: true }))) as unknown as Cluster;
      await create(...topologyOf(cluster));
      for (const c of COMPONENTS) {
        const child = (await create(childRefOf(c), childOf(cluster, c) as unknown as KubeObject)) as unknown as ChildObject;
        for (const [ref, obj] of ownedObjectsOf(cluster, child, c)) {
          if (ref.plural === 'statefulsets') (obj.spec as { replicas: number }).replicas = 0;
          await create(ref, obj);
        }
      }
      if (++done % 100 === 0) log.info({ done, of: count }, 'created');
    }),
  );
  return objects;
}

/** Starts the operator on the objects createCachedClusters made and measures it once quiet. */
export async function measureRss(rest: RestClient, kubeconfig: string, count: number, objects: number, log: Logger, operatorRoot?: string, snapshotFile?: string): Promise<Rss1000Result> {
  const clusters = new Informer({ rest, ref: engulaResources.Cluster, logger: log.child({ part: 'clusters' }) });
  clusters.start();
  await clusters.waitForSync();
  const started = Date.now();
  const op = await startOperator({ kubeconfig, log, inspect: true, ...(operatorRoot ? { operatorRoot } : {}) });
  try {
    const paused = (c: KubeObject): boolean => (c.status as { phase?: string } | undefined)?.phase === 'Paused';
    await waitUntil(`${count} Clusters with status Paused`, () => clusters.store.list().filter((c) => c.metadata.namespace?.startsWith('bench-rss-') && paused(c)).length === count, 15 * 60_000, 1000);
    // Every object reconciled once by each of the five controllers (a second operator finds the
    // statuses written already), then quiet: no reconcile for 5 s.
    await waitUntil('every object reconciled', async () => (await op.metrics()).reconciles >= 5 * count, 15 * 60_000, 1000);
    const startupSeconds = (Date.now() - started) / 1000;
    let last = (await op.metrics()).reconciles;
    let since = Date.now();
    await waitUntil('the operator to go quiet', async () => {
      const now = (await op.metrics()).reconciles;
      if (now !== last) {
        last = now;
        since = Date.now();
      }
      return Date.now() - since >= 5_000;
      // The control plane itself takes minutes to write the status of thousands of StatefulSets
      // (kube-controller-manager's client is rate-limited), and each wakes its child once.
    }, 15 * 60_000, 500);
    const settled = op.stats();
    const gc = await op.collectGarbage();
    const afterGc = op.stats();
    if (snapshotFile) {
      log.info({ file: snapshotFile }, 'writing a heap snapshot');
      await op.heapSnapshot(snapshotFile);
    }
    const result: Rss1000Result = {
      clusters: count,
      objects,
      rssMiB: round(settled.rssMiB, 1),
      rssAfterGcMiB: round(afterGc.rssMiB, 1),
      heapAfterGcMiB: round(gc.usedHeapMiB, 1),
      peakRssMiB: round(afterGc.peakRssMiB, 1),
      startupSeconds: round(startupSeconds, 1),
    };
    log.info({ rss: result }, 'memory with many Clusters measured');
    return result;
  } catch (err) {
    log.error({ operatorLog: op.log() }, 'memory run failed');
    throw err;
  } finally {
    await op.stop();
    await clusters.stop();
  }
}

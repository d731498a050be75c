// Every status the operator writes while N seed Clusters converge, as a watch sees them: per kind,
// how many per Cluster, and (with --list) each one with its phase and Ready reason. It is how the
// status part of requestsPerCluster was taken apart (docs/benchmarks.md).
//
//   node bench/status-writes.ts [--clusters 50] [--list]
//
// Builds nothing: it runs this checkout's dist/ (npm run build first), on its own control plane.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Condition } from '../api/v1alpha1/index.ts';
import { engulaResources } from '../controllers/resources.ts';
import { Informer } from '../runtime/informer.ts';
import { resourcePath, type KubeObject } from '../runtime/resource.ts';
import { resolveBinDir } from '../testenv/bins.ts';
import { startControlPlane, tempControlPlaneDir } from '../testenv/controlplane.ts';
import { testenvLogger } from '../testenv/logger.ts';
import { createNamespaces, installCrds, Pool, restClientFor, waitUntil } from './kube.ts';
import { startOperator } from './operator.ts';
import { PODS_PER_CLUSTER, seedCluster } from './seed.ts';

const KINDS = ['Cluster', 'Journal', 'Storage', 'Kernel', 'Engine'] as const;
interface Written {
  seconds: number;
  namespace: string;
  kind: (typeof KINDS)[number];
  phase: string;
  ready: string;
}

const { values } = parseArgs({ options: { clusters: { type: 'string', default: '50' }, list: { type: 'boolean', default: false } } });
const n = Number(values.clusters);
const log = testenvLogger('status-writes');
const root = resolve(import.meta.dirname, '..');
const controlPlane = await startControlPlane({ dir: tempControlPlaneDir(), mode: 'full', binDir: await resolveBinDir(), nodes: Math.ceil((n * PODS_PER_CLUSTER) / 100) + 1, logger: log });
try {
  const rest = restClientFor(controlPlane.kubeconfig);
  await installCrds(rest, root);
  const started = Date.now();
  const written: Written[] = [];
  const informers = KINDS.map((kind) => {
    const informer = new Informer({ rest, ref: engulaResources[kind], logger: log.child({ kind }) });
    const record = (obj: KubeObject): void => {
      const status = obj.status as { phase?: string; conditions?: Condition[] } | undefined;
      if (!status) return;
      const ready = status.conditions?.find((c) => c.type === 'Ready');
      written.push({ seconds: (Date.now() - started) / 1000, namespace: obj.metadata.namespace ?? '', kind, phase: status.phase ?? '', ready: `${ready?.status}/${ready?.reason}` });
    };
    // A status write is an update whose status differs (the first one may come with the object).
    informer.addEventHandler({
      onAdd: record,
      onUpdate: (old, obj) => {
        if (JSON.stringify(old.status) !== JSON.stringify(obj.status)) record(obj);
      },
    });
    informer.start();
    return informer;
  });
  await Promise.all(informers.map((i) => i.waitForSync()));
  const op = await startOperator({ kubeconfig: controlPlane.kubeconfig, log });
  try {
    const namespaces = Array.from({ length: n }, (_, i) => `status-writes-${i}`);
    await createNamespaces(rest, namespaces);
    const pool = new Pool(64);
    await Promise.all(namespaces.map((ns) => pool.run(() => rest.request('POST', resourcePath(engulaResources.Cluster, ns), { body: seedCluster(ns) }))));
    await waitUntil(`${n} Clusters Ready`, () => written.filter((w) => w.kind === 'Cluster' && w.phase === 'Ready').length >= n, 20 * 60_000, 500);
    // Nothing should follow Ready; a few seconds show whether anything does.
    const settled = written.length;
    await new Promise((r) => setTimeout(r, 5_000)); // a fixed look at what follows, not a wait for a condition
    if (values.list) {
      for (const w of [...written].sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.seconds - b.seconds))) console.log(`${w.seconds.toFixed(2).padStart(7)} ${w.namespace} ${w.kind} ${w.phase} ${w.ready}`);
    }
    const perCluster = Object.fromEntries(KINDS.map((k) => [k, Math.round((written.filter((w) => w.kind === k).length / n) * 100) / 100]));
    console.log(JSON.stringify({ clusters: n, statusWritesPerCluster: perCluster, total: Math.round((written.length / n) * 100) / 100, afterReady: written.length - settled }));
  } finally {
    await op.stop();
    for (const i of informers) await i.stop();
    rest.close();
  }
} finally {
  await controlPlane.stop();
}

// The demo's waits: each polls with a deadline and prints what it waits for and how many of how many
// are ready, whenever that changes.
import { changes } from './say.ts';
import type { Kubectl } from './run.ts';

const COMPONENTS = ['journal', 'storage', 'kernel', 'engine'] as const;

interface ClusterJson {
  metadata: { generation?: number };
  spec: Partial<Record<(typeof COMPONENTS)[number], { replicas?: number }>>;
  status?: {
    observedGeneration?: number;
    phase?: string;
    readySummary?: string;
    components?: Partial<Record<(typeof COMPONENTS)[number], { desired?: number; ready?: number; phase?: string }>>;
  };
}

interface PodJson {
  metadata: { name: string; deletionTimestamp?: string };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

interface StatefulSetJson {
  metadata: { generation?: number };
  spec: { replicas?: number };
  status?: { observedGeneration?: number; replicas?: number; readyReplicas?: number; updatedReplicas?: number };
}

const podReady = (p: PodJson) =>
  !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Until the Cluster is Ready at its current generation and every pod it wants is Running and Ready
 * (and no other pod is left in the namespace, e.g. one being removed by a scale-down).
 */
export async function waitClusterReady(kubectl: Kubectl, namespace: string, name: string, timeoutMs = 180_000): Promise<{ pods: number }> {
  const progress = changes();
  let pods = 0;
  await until(`Cluster ${namespace}/${name} to be Ready`, timeoutMs, async () => {
    const c = await kubectl.json<ClusterJson>(['get', 'cluster', name, '-n', namespace]);
    const list = await kubectl.json<{ items: PodJson[] }>(['get', 'pods', '-n', namespace]);
    if (!c || !list) return false;
    const present = COMPONENTS.filter((k) => c.spec[k] !== undefined);
    const want = present.reduce((n, k) => n + (c.spec[k]?.replicas ?? 0), 0);
    const readyComponents = present.filter((k) => c.status?.components?.[k]?.phase === 'Ready').length;
    const perComponent = present.map((k) => `${k} ${c.status?.components?.[k]?.ready ?? 0}/${c.spec[k]?.replicas ?? 0}`).join(', ');
    const running = list.items.filter(podReady).length;
    const current = c.status?.observedGeneration === c.metadata.generation;
    progress(
      `waiting for Cluster ${namespace}/${name} to be Ready: ${readyComponents}/${present.length} components Ready (${perComponent}); ` +
        `${running}/${want} pods Running and Ready${current ? '' : '; the operator has not seen the latest change yet'}`,
    );
    pods = want;
    return current && c.status?.phase === 'Ready' && running === want && list.items.length === want;
  });
  return { pods };
}

/** Until the StatefulSet has `replicas` pods, all updated and ready. */
export async function waitStatefulSet(kubectl: Kubectl, namespace: string, name: string, replicas: number, timeoutMs = 120_000): Promise<void> {
  const progress = changes();
  await until(`StatefulSet ${namespace}/${name} at ${replicas} ready replicas`, timeoutMs, async () => {
    const s = await kubectl.json<StatefulSetJson>(['get', 'statefulset', name, '-n', namespace]);
    if (!s) return false;
    const st = s.status ?? {};
    progress(`waiting for StatefulSet ${namespace}/${name}: spec.replicas ${s.spec.replicas ?? 0} (want ${replicas}), ${st.readyReplicas ?? 0}/${replicas} pods ready`);
    return (
      s.spec.replicas === replicas &&
      st.observedGeneration === s.metadata.generation &&
      st.replicas === replicas &&
      st.readyReplicas === replicas &&
      st.updatedReplicas === replicas
    );
  });
}

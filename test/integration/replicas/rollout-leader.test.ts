// A roll outlives its leader (issue 21): two replicas as deployed; the leader is killed (SIGKILL,
// no goodbye) in the middle of an image change; the new leader continues from the partition it
// finds on the StatefulSet, so every pod is replaced exactly once and never two at a time.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { kubectlOk, waitFor } from '../../support/kube.ts';
import { conditionOf, getJson, listJson, type ConditionLike } from '../../support/operator.ts';
import { watchPods } from '../../support/pod-watch.ts';
import { startReplicas, type Replicas } from '../../support/replicas.ts';
import { namespaceSuite } from '../../support/suite.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');
const NAME = 'cluster-sample';

describe('a roll outlives its leader', () => {
  const suite = namespaceSuite('replicas-roll');
  let replicas: Replicas;
  before(async () => {
    const ns = suite.ns();
    replicas = await startReplicas(suite.cleanup, [ns]);
    const s = parse(readFileSync(resolve(root, 'samples/cluster-original.yaml'), 'utf8')) as { spec: Record<string, Record<string, unknown>> };
    // Three pods each, and each new pod available only after 3 s, so the roll takes long enough to be cut.
    for (const c of ['journal', 'storage', 'kernel', 'engine']) Object.assign(s.spec[c]!, { replicas: 3, minReadySeconds: 3 });
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], { input: stringify(s) });
    await waitFor('the sample Ready', async () => conditionOf(await getJson<{ status?: { conditions?: ConditionLike[] } }>(ns, 'cluster', NAME), 'Ready')?.status === 'True', { timeoutMs: 240_000, intervalMs: 500 });
  });

  it('the leader killed mid-roll: the new leader continues from the partition, no pod replaced twice', async (t) => {
    const ns = suite.ns();
    const pods = await watchPods(ns);
    try {
      const leader = await replicas.leader();
      await kubectlOk(['-n', ns, 'patch', 'cluster', NAME, '--type=merge', '-p', '{"spec":{"image":{"name":"uhub.service.ucloud.cn/zojw/engula:0.9.1"},"engine":{"image":{"name":"uhub.service.ucloud.cn/zojw/engula:0.9.1"}}}}']);
      await waitFor('the roll in its second component', () => pods.records.some((r) => r.what === 'down' && r.pod.includes('-storage-')), { timeoutMs: 120_000, intervalMs: 100 });
      const partition = (await getJson<{ spec: { updateStrategy: { rollingUpdate?: { partition?: number } } } }>(ns, 'statefulset', `${NAME}-storage`))?.spec.updateStrategy.rollingUpdate?.partition;
      const killedAt = Date.now();
      await replicas.processes[leader]!.kill();
      t.diagnostic(`killed the leader (slot ${leader}) with the storage partition at ${partition}, after ${pods.records.filter((r) => r.what === 'down').length} pods replaced`);
      const next = await replicas.leader(120_000);
      assert.notEqual(next, leader);
      t.diagnostic(`new leader: slot ${next}, ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
      await waitFor('every pod on the new image and the Cluster Ready', async () => {
        const all = await listJson<{ spec: { containers: Array<{ image: string }> } }>(ns, 'pods');
        const c = await getJson<{ status?: { conditions?: ConditionLike[] } }>(ns, 'cluster', NAME);
        return all.length === 12 && all.every((p) => p.spec.containers[0]!.image.endsWith(':0.9.1')) && conditionOf(c, 'Ready')?.status === 'True';
      }, { timeoutMs: 300_000, intervalMs: 1_000 });
      const downs = pods.replacements();
      const times = new Map<string, number>();
      for (const p of downs) times.set(p, (times.get(p) ?? 0) + 1);
      t.diagnostic(`new pods (by uid), in order: ${downs.join(', ')}`);
      // What the operators did: each roll step (a partition lowered to a pod's ordinal) once, across both leaders.
      const steps = replicas
        .logs()
        .split('\n')
        .filter((l) => l.includes('"msg":"applied StatefulSet"') && l.includes('replacing pod'))
        .map((l) => JSON.parse(l) as { time: number; message: string })
        .sort((a, b) => a.time - b.time)
        .map((l) => /replacing pod ([\w-]+)/.exec(l.message)?.[1] ?? '');
      t.diagnostic(`roll steps, both leaders: ${steps.join(', ')}`);
      const expected = ['journal', 'storage', 'kernel', 'engine'].flatMap((c) => [2, 1, 0].map((i) => `${NAME}-${c}-${i}`));
      assert.deepEqual(steps, expected, 'every step once, in order, the new leader going on from the partition');
      assert.deepEqual([...new Set(downs)].sort(), [...expected].sort(), 'every pod replaced');
      // A pod made twice in one step is the StatefulSet controller's (seen on a loaded machine), not a step taken twice: reported.
      const twice = [...times.entries()].filter(([, n]) => n > 1).map(([p]) => p);
      if (twice.length > 0) t.diagnostic(`pods the StatefulSet controller made twice within one step: ${twice.map((p) => `${p} (uids in event order: ${pods.uidFlips(p).join(' ')})`).join(', ')}`);
      assert.equal(pods.maxDown(), 1, 'never more than one pod down');
    } finally {
      await pods.stop();
    }
  });
});

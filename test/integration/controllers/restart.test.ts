// Must-show 6: the operator is SIGKILLed in the middle of convergence (some children and
// StatefulSets made, the Cluster not Ready), then started again. It converges, and nothing exists
// twice: every name is made once, every object has exactly one controller owner.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { kubectlOk, waitFor } from '../../support/kube.ts';
import { conditionOf, getJson, listJson, startOperator, type ConditionLike } from '../../support/operator.ts';
import { namespaceSuite } from '../../support/suite.ts';

const sample = readFileSync(resolve(import.meta.dirname, '..', '..', '..', 'samples/cluster-full.yaml'), 'utf8');

interface Obj {
  metadata: { name: string; ownerReferences?: Array<{ controller?: boolean; kind: string; name: string }> };
  status?: { conditions?: ConditionLike[] };
}

describe('SIGKILL mid-convergence, then restart', () => {
  const suite = namespaceSuite('ctrl-restart');

  it('converges after the restart, with no duplicates', async (t) => {
    const ns = suite.ns();
    const first = await startOperator(suite.cleanup, [ns]);
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], { input: sample });
    // Kill as soon as the fan-out has begun: the first StatefulSet exists, the Cluster is not Ready.
    await waitFor('the first StatefulSet', async () => (await listJson(ns, 'statefulsets')).length > 0, { timeoutMs: 60_000, intervalMs: 50 });
    await first.kill();
    const atKill = {
      statefulsets: (await listJson<Obj>(ns, 'statefulsets')).map((o) => o.metadata.name),
      ready: conditionOf(await getJson<Obj>(ns, 'cluster', 'full'), 'Ready')?.status,
    };
    t.diagnostic(`at SIGKILL: StatefulSets ${JSON.stringify(atKill.statefulsets)}, Cluster Ready=${atKill.ready}`);
    assert.notEqual(atKill.ready, 'True', 'killed before convergence');
    assert.ok(atKill.statefulsets.length < 4, 'killed before every StatefulSet existed');

    const started = Date.now();
    await startOperator(suite.cleanup, [ns]);
    await waitFor('Cluster Ready after the restart', async () => conditionOf(await getJson<Obj>(ns, 'cluster', 'full'), 'Ready')?.status === 'True', { timeoutMs: 120_000, intervalMs: 250 });
    t.diagnostic(`restart → Ready: ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const expect: Record<string, string[]> = {
      'journals.cluster.engula.io': ['full-journal'],
      'storages.cluster.engula.io': ['full-storage'],
      'kernels.cluster.engula.io': ['full-kernel'],
      'engines.cluster.engula.io': ['full-engine'],
      statefulsets: ['full-engine', 'full-journal', 'full-kernel', 'full-storage'],
      services: ['full-engine', 'full-journal', 'full-kernel', 'full-storage'],
      poddisruptionbudgets: ['full-engine', 'full-journal', 'full-kernel', 'full-storage'],
      // No Engula line calls the Kubernetes API: no Role for any component.
      roles: [],
      rolebindings: [],
    };
    for (const [kind, names] of Object.entries(expect)) {
      const items = await listJson<Obj>(ns, kind);
      assert.deepEqual(items.map((o) => o.metadata.name).sort(), names, kind);
      for (const o of items) assert.equal(o.metadata.ownerReferences?.filter((r) => r.controller).length, 1, `${kind}/${o.metadata.name} has one controller`);
    }
    const sas = (await listJson<Obj>(ns, 'serviceaccounts')).map((o) => o.metadata.name).filter((n) => n !== 'default').sort();
    assert.deepEqual(sas, ['full-engine', 'full-journal', 'full-kernel', 'full-storage']);
    const cms = (await listJson<Obj>(ns, 'configmaps')).map((o) => o.metadata.name).filter((n) => n !== 'kube-root-ca.crt').sort();
    assert.deepEqual(cms, ['full-config']);
    assert.equal((await listJson(ns, 'pods')).length, 3 + 3 + 1 + 2);
  });
});

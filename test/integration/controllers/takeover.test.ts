// Never take what is not ours (issue 22): objects of the names the operator would write, made by
// someone else first, are left untouched (a forced server-side apply would overwrite their fields
// and add our controller reference, after which deleting the Cluster would garbage-collect them);
// the Cluster or the child says which object is in the way, and converges by itself once it goes.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { kubectlOk, waitFor } from '../../support/kube.ts';
import { conditionOf, getJson, listJson, type ConditionLike } from '../../support/operator.ts';
import { operatorSuite } from '../../support/suite.ts';

interface Obj {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: unknown[]; resourceVersion: string };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
  status?: { phase?: string; conditions?: ConditionLike[] };
}

const cluster = `
apiVersion: cluster.engula.io/v1alpha1
kind: Cluster
metadata: { name: app }
spec:
  name: app
  image: { name: uhub.service.ucloud.cn/zojw/engula:0.9 }
  journal: { replicas: 1 }
  storage: { replicas: 1 }
  kernel: { replicas: 1 }
  engine: { replicas: 1 }
`;

describe('never take what is not ours', () => {
  const suite = operatorSuite('ctrl-takeover');

  it("a ConfigMap, a ServiceAccount and a Service that were there first are untouched, and the condition names them; they go, and the Cluster converges with no edit", async (t) => {
    const ns = suite.ns();
    await kubectlOk(['-n', ns, 'create', 'configmap', 'app-config', '--from-literal=database-url=postgres://app']);
    await kubectlOk(['-n', ns, 'create', 'serviceaccount', 'app-journal']);
    await kubectlOk(['-n', ns, 'annotate', 'serviceaccount', 'app-journal', 'team=payments']);
    await kubectlOk(['-n', ns, 'create', 'service', 'clusterip', 'app-storage', '--tcp=8080:8080']);
    const before = Object.fromEntries(
      await Promise.all([['configmap', 'app-config'], ['serviceaccount', 'app-journal'], ['service', 'app-storage']].map(async ([k, n]) => [`${k}/${n}`, await getJson<Obj>(ns, k!, n!)] as const)),
    );
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], { input: cluster });

    const c = await waitFor('the Cluster names the ConfigMap in the way', async () => {
      const o = await getJson<Obj>(ns, 'cluster', 'app');
      return conditionOf(o, 'NameTaken')?.status === 'True' ? o : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    t.diagnostic(`Cluster NameTaken: ${conditionOf(c, 'NameTaken')?.message}`);
    assert.match(conditionOf(c, 'NameTaken')?.message ?? '', /ConfigMap app-config exists and was not made by the operator/);
    for (const [component, what] of [['journal', /ServiceAccount app-journal exists and was not made by the operator/], ['storage', /Service app-storage exists and was not made by the operator/]] as const) {
      const child = await waitFor(`${component} says what is in the way`, async () => {
        const o = await getJson<Obj>(ns, component, `app-${component}`);
        return conditionOf(o, 'Degraded')?.reason === 'NameTaken' ? o : undefined;
      }, { timeoutMs: 60_000, intervalMs: 250 });
      t.diagnostic(`${component} Degraded: ${conditionOf(child, 'Degraded')?.message}`);
      assert.match(conditionOf(child, 'Degraded')?.message ?? '', what);
      assert.equal(await getJson(ns, 'statefulset', `app-${component}`), undefined, `no StatefulSet for ${component} while its name is taken`);
    }
    const events = await kubectlOk(['-n', ns, 'get', 'events', '--field-selector', 'reason=NameTaken', '-o', 'jsonpath={.items[*].message}']);
    assert.match(events, /ConfigMap app-config/);
    assert.match(events, /ServiceAccount app-journal/);
    // Untouched: the same version of each, no label or owner reference of ours.
    for (const [key, was] of Object.entries(before)) {
      const [k, n] = key.split('/') as [string, string];
      const now = await getJson<Obj>(ns, k, n);
      assert.equal(now?.metadata.resourceVersion, was?.metadata.resourceVersion, `${key} was written`);
      assert.equal(now?.metadata.ownerReferences, undefined, `${key} got an owner reference`);
    }

    const gone = Date.now();
    await kubectlOk(['-n', ns, 'delete', 'configmap', 'app-config']);
    await kubectlOk(['-n', ns, 'delete', 'serviceaccount', 'app-journal']);
    await kubectlOk(['-n', ns, 'delete', 'service', 'app-storage']);
    const ready = await waitFor('the Cluster Ready with nothing in the way, without an edit', async () => {
      const o = await getJson<Obj>(ns, 'cluster', 'app');
      return conditionOf(o, 'Ready')?.status === 'True' && conditionOf(o, 'NameTaken') === undefined ? o : undefined;
    }, { timeoutMs: 120_000, intervalMs: 500 });
    t.diagnostic(`objects deleted → Cluster Ready: ${((Date.now() - gone) / 1000).toFixed(1)} s`);
    assert.equal(ready.status?.phase, 'Ready');
    const cm = await getJson<Obj>(ns, 'configmap', 'app-config');
    assert.ok(cm?.data?.['topology.yaml'], 'the topology ConfigMap is made now');
  });

  it('a standalone Kernel named after a privileged ServiceAccount never runs a pod as it', async (t) => {
    const ns = suite.ns();
    await kubectlOk(['-n', ns, 'create', 'serviceaccount', 'deployer']);
    await kubectlOk(['-n', ns, 'create', 'rolebinding', 'deployer-admin', '--clusterrole=admin', `--serviceaccount=${ns}:deployer`]);
    const before = await getJson<Obj>(ns, 'serviceaccount', 'deployer');
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], {
      input: `apiVersion: cluster.engula.io/v1alpha1
kind: Kernel
metadata: { name: deployer }
spec:
  replicas: 1
  image: { name: attacker.example.com/shell:latest }
`,
    });
    const kernel = await waitFor('the Kernel says the ServiceAccount is in the way', async () => {
      const o = await getJson<Obj>(ns, 'kernel', 'deployer');
      return conditionOf(o, 'Degraded')?.reason === 'NameTaken' ? o : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    t.diagnostic(`Kernel Degraded: ${conditionOf(kernel, 'Degraded')?.message}`);
    assert.match(conditionOf(kernel, 'Degraded')?.message ?? '', /ServiceAccount deployer exists and was not made by the operator/);
    assert.equal(await getJson(ns, 'statefulset', 'deployer'), undefined, 'no StatefulSet');
    const pods = await listJson<{ spec: { serviceAccountName?: string } }>(ns, 'pods');
    assert.deepEqual(pods.filter((p) => p.spec.serviceAccountName === 'deployer'), [], 'no pod runs as the ServiceAccount');
    assert.equal((await getJson<Obj>(ns, 'serviceaccount', 'deployer'))?.metadata.resourceVersion, before?.metadata.resourceVersion, 'the ServiceAccount is untouched');
  });

  it('a component removed from a protected Cluster is deleted all the same (its child unprotected first)', async () => {
    const ns = suite.ns();
    // The shipped policy, as make install applies it (shared and idempotent; it refuses only what says deletionProtection: true).
    await kubectlOk(['apply', '--server-side', '--force-conflicts', '-k', resolve(import.meta.dirname, '..', '..', '..', 'config', 'policy')]);
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], {
      input: `apiVersion: cluster.engula.io/v1alpha1
kind: Cluster
metadata: { name: guarded }
spec:
  name: guarded
  deletionProtection: true
  image: { name: uhub.service.ucloud.cn/zojw/engula:0.9 }
  journal: { replicas: 1 }
  storage: { replicas: 1 }
  kernel: { replicas: 1 }
  engine: { replicas: 1 }
`,
    });
    await waitFor('the engine child, protected', async () => (await getJson<Obj>(ns, 'engine', 'guarded-engine'))?.spec?.deletionProtection === true, { timeoutMs: 60_000 });
    await kubectlOk(['-n', ns, 'patch', 'cluster', 'guarded', '--type=json', '-p', '[{"op":"remove","path":"/spec/engine"}]']);
    await waitFor('the engine child deleted by the operator', async () => (await getJson(ns, 'engine', 'guarded-engine')) === undefined, { timeoutMs: 60_000, intervalMs: 250 });
    // Clean-up can delete the rest once the Cluster is unprotected.
    await kubectlOk(['-n', ns, 'patch', 'cluster', 'guarded', '--type=merge', '-p', '{"spec":{"deletionProtection":false}}']);
  });
});

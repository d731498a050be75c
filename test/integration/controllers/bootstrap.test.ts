// Must-show 2: the ordered bootstrap. The journal is held back (its pods select a node label no
// node has), so the kernel waits, says so in its Ready condition, and gets no StatefulSet; the
// engine waits for the kernel. Once the journal can schedule, the kernel and then the engine
// start, and each StatefulSet is created after its dependencies had a ready pod. Also: a
// standalone child with its own image runs without any Cluster.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubectlOk, waitFor } from '../../support/kube.ts';
import { conditionOf, getJson, listJson, type ConditionLike } from '../../support/operator.ts';
import { operatorSuite } from '../../support/suite.ts';

const cluster = (ns: string): string => `
apiVersion: cluster.engula.io/v1alpha1
kind: Cluster
metadata: { name: order, namespace: ${ns} }
spec:
  name: order
  image: { name: uhub.service.ucloud.cn/zojw/engula:0.9 }
  journal:
    replicas: 1
    nodeSelector: { engula-test/no-such-node: "true" }
  storage: { replicas: 2 }
  kernel: { replicas: 1 }
  engine: { replicas: 1 }
`;

interface Obj {
  metadata: { creationTimestamp: string };
  status?: { conditions?: ConditionLike[]; readyReplicas?: number; phase?: string };
}

/** When the first pod of a component became Ready (the Ready condition's transition time). */
async function firstReadyAt(ns: string, instance: string): Promise<number> {
  const pods = await listJson<{ status: { conditions?: Array<ConditionLike & { lastTransitionTime: string }> } }>(ns, 'pods', `app.kubernetes.io/instance=${instance}`);
  const times = pods.map((p) => p.status.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime).filter((t): t is string => t !== undefined).map((t) => Date.parse(t));
  assert.ok(times.length > 0, `${instance} has a ready pod`);
  return Math.min(...times);
}

describe('ordered bootstrap', () => {
  const suite = operatorSuite('ctrl-order');

  it('the kernel waits for journal and storage, the engine for the kernel', async (t) => {
    const ns = suite.ns();
    await kubectlOk(['apply', '-f', '-'], { input: cluster(ns) });
    await waitFor('storage ready while the journal cannot schedule', async () => (await getJson<Obj>(ns, 'storage', 'order-storage'))?.status?.readyReplicas === 2, { timeoutMs: 60_000 });
    // Its status follows the storage's first ready pod within the coalescing delay (half a second).
    const kernel = await waitFor('the kernel says it waits, for the journal only', async () => {
      const k = await getJson<Obj>(ns, 'kernel', 'order-kernel');
      const c = conditionOf(k, 'Ready');
      return c?.reason === 'WaitingForDependencies' && !/storage/.test(c.message ?? '') ? k : undefined;
    });
    const ready = conditionOf(kernel, 'Ready');
    t.diagnostic(`kernel Ready condition while waiting: ${ready?.status} ${ready?.reason}: ${ready?.message}`);
    assert.equal(ready?.status, 'False');
    assert.match(ready?.message ?? '', /journal \(order-journal\)/);
    assert.doesNotMatch(ready?.message ?? '', /storage/, 'storage has a ready pod already');
    assert.equal(kernel.status?.phase, 'Pending');
    const engine = await getJson<Obj>(ns, 'engine', 'order-engine');
    assert.equal(conditionOf(engine, 'Ready')?.reason, 'WaitingForDependencies');
    assert.match(conditionOf(engine, 'Ready')?.message ?? '', /kernel \(order-kernel\)/);
    // The Service, ServiceAccount and RBAC exist already (they need nothing); the StatefulSets do not.
    assert.ok(await getJson(ns, 'service', 'order-kernel'));
    assert.equal(await getJson(ns, 'statefulset', 'order-kernel'), undefined);
    assert.equal(await getJson(ns, 'statefulset', 'order-engine'), undefined);
    // The Cluster names the component that holds the others up (a second later: its roll-up is
    // coalesced); the wait itself is the kernel's to say, so each bootstrap step is not written twice.
    const clusterSays = await waitFor('the Cluster names the journal as not ready, and storage as ready', async () => {
      const message = conditionOf(await getJson<Obj>(ns, 'cluster', 'order'), 'Ready')?.message ?? '';
      return /journal \(Pending\)/.test(message) && !/storage/.test(message) ? message : undefined;
    });
    assert.equal(clusterSays, 'Not ready: journal (Pending); kernel (Pending); engine (Pending)');

    await kubectlOk(['-n', ns, 'patch', 'cluster', 'order', '--type=json', '-p', '[{"op":"remove","path":"/spec/journal/nodeSelector"}]']);
    await waitFor('Cluster Ready', async () => conditionOf(await getJson<Obj>(ns, 'cluster', 'order'), 'Ready')?.status === 'True', { timeoutMs: 90_000 });

    const kernelSts = Date.parse((await getJson<Obj>(ns, 'statefulset', 'order-kernel'))!.metadata.creationTimestamp);
    const engineSts = Date.parse((await getJson<Obj>(ns, 'statefulset', 'order-engine'))!.metadata.creationTimestamp);
    const journalReady = await firstReadyAt(ns, 'order-journal');
    const storageReady = await firstReadyAt(ns, 'order-storage');
    const kernelReady = await firstReadyAt(ns, 'order-kernel');
    t.diagnostic(`first ready pod: journal ${new Date(journalReady).toISOString()}, storage ${new Date(storageReady).toISOString()}; kernel StatefulSet created ${new Date(kernelSts).toISOString()}; kernel ready ${new Date(kernelReady).toISOString()}; engine StatefulSet created ${new Date(engineSts).toISOString()}`);
    // Timestamps have one-second resolution, so "not before" is the strongest check they allow.
    assert.ok(kernelSts >= journalReady && kernelSts >= storageReady, 'kernel StatefulSet after journal and storage had ready pods');
    assert.ok(engineSts >= kernelReady, 'engine StatefulSet after the kernel had a ready pod');
  });

  it('a standalone child with its own image runs without a Cluster', async () => {
    const ns = suite.ns();
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], {
      input: `apiVersion: cluster.engula.io/v1alpha1
kind: Journal
metadata: { name: lone-journal }
spec:
  replicas: 1
  image: { name: uhub.service.ucloud.cn/zojw/engula:0.9 }
`,
    });
    await waitFor('standalone journal Ready', async () => conditionOf(await getJson<Obj>(ns, 'journal', 'lone-journal'), 'Ready')?.status === 'True', { timeoutMs: 60_000 });
    const sts = await getJson<{ metadata: { ownerReferences: Array<{ kind: string }> }; spec: { template: { spec: { volumes: unknown[]; containers: Array<{ env: Array<{ name: string; value?: string }> }> } } } }>(ns, 'statefulset', 'lone-journal');
    assert.equal(sts?.metadata.ownerReferences[0]?.kind, 'Journal');
    // No volume in the spec: the binary writes its files under /data all the same, so it gets an emptyDir there.
    assert.deepEqual(sts?.spec.template.spec.volumes, [{ name: 'data', emptyDir: {} }]);
    // No cluster: the fork's kubecluster names the journal itself.
    assert.equal(sts?.spec.template.spec.containers[0]?.env.find((e) => e.name === 'kubecluster')?.value, 'lone-journal');
  });
});

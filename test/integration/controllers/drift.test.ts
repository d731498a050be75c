// Must-show 5 and the pause switch: a StatefulSet or Service edited or deleted by hand is put back
// within seconds; a paused Cluster gets no writes for itself or its children (its status still
// reports), and resuming puts everything right.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { kubectlOk, waitFor } from '../../support/kube.ts';
import { conditionOf, getJson, type ConditionLike } from '../../support/operator.ts';
import { operatorSuite } from '../../support/suite.ts';

const cluster = (ns: string): string => `
apiVersion: cluster.engula.io/v1alpha1
kind: Cluster
metadata: { name: drift, namespace: ${ns} }
spec:
  name: drift
  image: { name: uhub.service.ucloud.cn/zojw/engula:0.9 }
  journal: { replicas: 1 }
  storage: { replicas: 1 }
  kernel: { replicas: 1 }
  engine: { replicas: 2 }
`;

interface Sts {
  metadata: { uid: string };
  spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } };
}
interface Svc {
  metadata: { uid: string };
  spec: { publishNotReadyAddresses?: boolean; ports: Array<{ name: string; port: number }> };
}

/** Deletes `kind` `name` by hand and waits until the operator made it anew (another uid); returns the seconds that took. */
async function deleteAndAwaitRecreated(ns: string, kind: string, name: string, what: string): Promise<number> {
  const old = await getJson<{ metadata: { uid: string } }>(ns, kind, name);
  const started = Date.now();
  await kubectlOk(['-n', ns, 'delete', kind, name, '--wait=false']);
  await waitFor(what, async () => {
    const now = await getJson<{ metadata: { uid: string } }>(ns, kind, name);
    return now !== undefined && now.metadata.uid !== old?.metadata.uid;
  }, { timeoutMs: 10_000, intervalMs: 100 });
  return (Date.now() - started) / 1000;
}

describe('drift is put back; pause stops writes', () => {
  const suite = operatorSuite('ctrl-drift');
  before(async () => {
    const ns = suite.ns();
    await kubectlOk(['apply', '-f', '-'], { input: cluster(ns) });
    await waitFor('Cluster Ready', async () => conditionOf(await getJson<{ status?: { conditions?: ConditionLike[] } }>(ns, 'cluster', 'drift'), 'Ready')?.status === 'True', { timeoutMs: 90_000 });
  });

  it('a StatefulSet edited by hand is restored', async (t) => {
    const ns = suite.ns();
    const started = Date.now();
    await kubectlOk(['-n', ns, 'patch', 'statefulset', 'drift-engine', '--type=strategic', '-p', '{"spec":{"replicas":5,"template":{"spec":{"containers":[{"name":"engine","image":"busybox"}]}}}}']);
    await waitFor('replicas and image put back', async () => {
      const sts = await getJson<Sts>(ns, 'statefulset', 'drift-engine');
      return sts?.spec.replicas === 2 && sts.spec.template.spec.containers[0]?.image === 'uhub.service.ucloud.cn/zojw/engula:0.9';
    }, { timeoutMs: 10_000, intervalMs: 100 });
    t.diagnostic(`edited StatefulSet restored in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('a deleted StatefulSet is re-created', async (t) => {
    const ns = suite.ns();
    const seconds = await deleteAndAwaitRecreated(ns, 'statefulset', 'drift-kernel', 'a new kernel StatefulSet');
    t.diagnostic(`deleted StatefulSet re-created in ${seconds.toFixed(1)} s`);
  });

  it('a Service edited or deleted by hand is restored', async (t) => {
    const ns = suite.ns();
    const started = Date.now();
    await kubectlOk(['-n', ns, 'patch', 'service', 'drift-journal', '--type=merge', '-p', '{"spec":{"publishNotReadyAddresses":false}}']);
    await waitFor('publishNotReadyAddresses back to true', async () => (await getJson<Svc>(ns, 'service', 'drift-journal'))?.spec.publishNotReadyAddresses === true, { timeoutMs: 10_000, intervalMs: 100 });
    t.diagnostic(`edited Service restored in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const seconds = await deleteAndAwaitRecreated(ns, 'service', 'drift-storage', 'a new storage Service');
    t.diagnostic(`deleted Service re-created in ${seconds.toFixed(1)} s`);
  });

  it('paused: no writes but status; resumed: converges', async () => {
    const ns = suite.ns();
    await kubectlOk(['-n', ns, 'patch', 'cluster', 'drift', '--type=merge', '-p', '{"spec":{"paused":true}}']);
    await waitFor('Cluster phase Paused', async () => (await getJson<{ status?: { phase?: string } }>(ns, 'cluster', 'drift'))?.status?.phase === 'Paused');
    await waitFor('children report Paused', async () => (await getJson<{ status?: { phase?: string } }>(ns, 'engine', 'drift-engine'))?.status?.phase === 'Paused');
    const writesBefore = await suite.operator().writes();
    const svcBefore = await getJson<Svc>(ns, 'service', 'drift-engine');
    await kubectlOk(['-n', ns, 'patch', 'cluster', 'drift', '--type=merge', '-p', '{"spec":{"engine":{"replicas":3}}}']);
    await kubectlOk(['-n', ns, 'delete', 'service', 'drift-engine', '--wait=false']);
    // The Cluster's status still follows (observedGeneration of the new spec): the only writes allowed.
    const gen = (await getJson<{ metadata: { generation: number } }>(ns, 'cluster', 'drift'))!.metadata.generation;
    await waitFor('paused status observes the new generation', async () => (await getJson<{ status?: { observedGeneration?: number } }>(ns, 'cluster', 'drift'))?.status?.observedGeneration === gen);
    const child = await getJson<{ spec: { replicas: number } }>(ns, 'engine', 'drift-engine');
    assert.equal(child?.spec.replicas, 2, 'the child spec is not touched while paused');
    assert.equal(await getJson(ns, 'service', 'drift-engine'), undefined, 'a deleted Service stays deleted while paused');
    const sts = await getJson<Sts>(ns, 'statefulset', 'drift-engine');
    assert.equal(sts?.spec.replicas, 2);
    const writesAfter = await suite.operator().writes();
    // Status writes are patches of /status, the only writes allowed; nothing may be created, applied or deleted.
    assert.equal(writesAfter.objects.POST ?? 0, writesBefore.objects.POST ?? 0, 'no creates while paused');
    assert.equal(writesAfter.objects.PATCH ?? 0, writesBefore.objects.PATCH ?? 0, 'no applies while paused');
    assert.equal(writesAfter.objects.DELETE ?? 0, writesBefore.objects.DELETE ?? 0, 'no deletes while paused');
    assert.ok((writesAfter.byMethod.PATCH ?? 0) > (writesBefore.byMethod.PATCH ?? 0), 'status was written while paused');
    assert.ok(svcBefore);

    await kubectlOk(['-n', ns, 'patch', 'cluster', 'drift', '--type=merge', '-p', '{"spec":{"paused":false}}']);
    await waitFor('resumed: Service back, engine at 3 ready', async () => {
      const s = await getJson<Sts & { status: { readyReplicas?: number } }>(ns, 'statefulset', 'drift-engine');
      return (await getJson(ns, 'service', 'drift-engine')) !== undefined && s?.spec.replicas === 3 && s.status.readyReplicas === 3;
    }, { timeoutMs: 30_000 });
    await waitFor('Cluster Ready', async () => conditionOf(await getJson<{ status?: { conditions?: ConditionLike[] } }>(ns, 'cluster', 'drift'), 'Ready')?.status === 'True', { timeoutMs: 30_000 });
  });
});

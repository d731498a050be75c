// Ownership holds on UPDATE, through the real kube-apiserver and the operator as shipped (webhooks
// on, leader election on): `kubectl replace` of a child the Cluster controls, from a file without
// the controller reference, is refused with a message naming the Cluster and what to do instead, and
// so is a JSON patch that removes it; the stored child keeps it. Deleting the Cluster with
// --cascade=orphan still works: the garbage collector's update that drops the reference is admitted,
// and the children stay, on their own (once the collector watches their kinds: see
// test/support/garbage-collector.ts).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { kubectl, kubectlOk, testEnv, waitFor } from '../../support/kube.ts';
import { CHILD_KIND_NAMES, KINDS } from '../../../api/v1alpha1/kinds.ts';
import { waitUntilCollectorWatches } from '../../support/garbage-collector.ts';
import { getJson, startOperator } from '../../support/operator.ts';
import { namespaceSuite } from '../../support/suite.ts';

interface OwnerRef {
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}
interface Child {
  metadata: { name: string; uid: string; resourceVersion: string; ownerReferences?: OwnerRef[] };
  spec: Record<string, unknown>;
}

const CLUSTER = {
  apiVersion: 'cluster.engula.io/v1alpha1',
  kind: 'Cluster',
  metadata: { name: 'owner' },
  spec: { name: 'owner', image: { name: 'uhub.service.ucloud.cn/zojw/engula:0.9' }, journal: { replicas: 1 }, storage: { replicas: 1 }, kernel: { replicas: 1 }, engine: { replicas: 1 } },
};

describe('an update that drops the controller reference of a Cluster, through the apiserver', () => {
  const suite = namespaceSuite('webhook-ctrlref');
  let clusterUid = '';

  before(async () => {
    const ns = suite.ns();
    if (testEnv().mode === 'full') {
      await waitUntilCollectorWatches(ns, CHILD_KIND_NAMES.map((kind) => ({
        resource: `${KINDS[kind].plural}.cluster.engula.io`,
        object: () => ({ apiVersion: 'cluster.engula.io/v1alpha1', kind, metadata: {}, spec: { replicas: 1, clusterName: 'canary', image: { name: 'canary:1' } } }),
      })));
    }
    await startOperator(suite.cleanup, [ns]);
    await kubectlOk(['apply', '-n', ns, '-f', '-'], { input: JSON.stringify(CLUSTER) });
    clusterUid = (await getJson<Child>(ns, 'cluster', 'owner'))!.metadata.uid;
    await waitFor('the operator to write the Cluster\'s journal', async () => (await getJson<Child>(ns, 'journal', 'owner-journal'))?.metadata.ownerReferences?.some((r) => r.uid === clusterUid), { timeoutMs: 60_000 });
  });

  const REFUSAL = new RegExp(
    'metadata\\.ownerReferences: Forbidden: .*Journal owner-journal is controlled by Cluster owner, and this update removes that controller reference; ' +
      'the reference stays while the Cluster exists\\. Keep metadata\\.ownerReferences as stored .* make changes on the Cluster instead: ' +
      `kubectl edit cluster owner -n ${'NS'}; to detach the Cluster's children, delete the Cluster without them: kubectl delete cluster owner -n ${'NS'} --cascade=orphan`,
  );
  const refusalIn = (namespace: string) => new RegExp(REFUSAL.source.replaceAll('NS', namespace));

  test('kubectl replace from a file without ownerReferences is refused, naming the Cluster and what to do; the child keeps its reference', async (t) => {
    const ns = suite.ns();
    // The operator writes the child's status meanwhile: a replace of a version just superseded is a
    // Conflict (409) before admission is asked, so it is made again from the latest version.
    const replaceWithout = async () => {
      const file = (await getJson<Child>(ns, 'journal', 'owner-journal'))!;
      delete file.metadata.ownerReferences;
      return kubectl(['replace', '-n', ns, '-f', '-'], { input: JSON.stringify(file) });
    };
    let r = await replaceWithout();
    for (let i = 0; i < 10 && r.stderr.includes('(Conflict)'); i++) r = await replaceWithout();
    t.diagnostic(`kubectl replace: exit ${r.code}\n${r.stderr.trim()}`);
    assert.notEqual(r.code, 0, `admitted: ${r.stdout}`);
    assert.match(r.stderr, /admission webhook "validate\.cluster\.engula\.io" denied the request/);
    assert.match(r.stderr, refusalIn(ns));
    const after = (await getJson<Child>(ns, 'journal', 'owner-journal'))!;
    assert.deepEqual(after.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid, o.controller]), [['Cluster', 'owner', clusterUid, true]]);
  });

  test('a JSON patch that removes it, or one that points it at another uid, is refused the same way', async () => {
    const ns = suite.ns();
    const removed = await kubectl(['patch', '-n', ns, 'journal', 'owner-journal', '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/ownerReferences"}]']);
    assert.notEqual(removed.code, 0, removed.stdout);
    assert.match(removed.stderr, refusalIn(ns));
    const moved = await kubectl(['patch', '-n', ns, 'journal', 'owner-journal', '--type', 'json', '-p', '[{"op":"replace","path":"/metadata/ownerReferences/0/uid","value":"00000000-0000-0000-0000-000000000000"}]']);
    assert.notEqual(moved.code, 0, moved.stdout);
    assert.match(moved.stderr, /replaces that controller reference with one to uid "00000000-0000-0000-0000-000000000000"/);
  });

  test('kubectl delete cluster --cascade=orphan still leaves the children, their reference dropped by the garbage collector', { skip: testEnv().mode !== 'full' && 'needs the garbage collector (full mode)' }, async () => {
    const ns = suite.ns();
    await kubectlOk(['delete', '-n', ns, 'cluster', 'owner', '--cascade=orphan', '--wait=true', '--timeout=60s']);
    for (const kind of ['journal', 'storage', 'kernel', 'engine']) {
      const child = await waitFor(`${kind} owner-${kind} to lose its reference to the deleted Cluster`, async () => {
        const c = await getJson<Child>(ns, kind, `owner-${kind}`);
        if (c === undefined) throw new Error(`${kind} owner-${kind} is gone`);
        if ((c.metadata.ownerReferences ?? []).some((r) => r.uid === clusterUid)) throw new Error(`${kind} owner-${kind} still names the Cluster: ${JSON.stringify(c.metadata)}`);
        return c;
      }, { timeoutMs: 60_000 });
      assert.ok(child, `${kind} is still there`);
    }
  });
});

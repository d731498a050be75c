// Issue 9, must-show 1: with the operator run as shipped (webhooks on and registered through the real
// kube-apiserver, leader election on), a Cluster in the shape that never converged before (pull
// secrets on the Cluster and on components, sharing a name; a component image without pullPolicy
// under a Cluster image with one; an inherited image; resource quantities as people write them; an
// env var with an empty value) converges, its own child writes pass its own webhook, and then the
// operator makes no write at all for two minutes. Writes are read from the operator's request log
// (--api-request-log: one line per request it sent), leaving out the Lease renewals of leader
// election, which are the only writes an idle leader must make.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubectlOk, waitFor } from '../../support/kube.ts';
import { conditionOf, getJson, type ConditionLike } from '../../support/operator.ts';
import { isLeaseRequest, readRequestLog, writesSent, type RequestRecord } from '../../support/request-log.ts';
import { operatorSuite } from '../../support/suite.ts';

const IDLE_MS = 120_000;

const CLUSTER = {
  apiVersion: 'cluster.engula.io/v1alpha1',
  kind: 'Cluster',
  metadata: { name: 'owned' },
  spec: {
    name: 'owned',
    image: { name: 'uhub.service.ucloud.cn/zojw/engula:0.9', pullPolicy: 'Always' },
    imagePullSecrets: [{ name: 'cluster-regcred' }, { name: 'shared' }],
    journal: {
      replicas: 1,
      // No pullPolicy under a Cluster image that has one.
      image: { name: 'uhub.service.ucloud.cn/zojw/engula:0.9-journal' },
      imagePullSecrets: [{ name: 'shared' }, { name: 'journal-regcred' }],
      resource: { requests: { cpu: '0.5', memory: '1024Mi' }, limits: { cpu: 1, memory: '1.5Gi' } },
      env: [{ name: 'EMPTY', value: '' }, { name: 'LOG_LEVEL', value: 'debug' }],
    },
    // The Cluster's image, inherited.
    storage: { replicas: 1, imagePullSecrets: [{ name: 'storage-regcred' }], resource: { requests: { cpu: '100m', memory: '0.5Gi' } } },
    kernel: { replicas: 1, imagePullSecrets: [{ name: 'cluster-regcred' }] },
    engine: { replicas: 1, env: [{ name: 'EMPTY', value: '' }] },
  },
};

interface Child {
  spec: { image?: { name: string; pullPolicy?: string }; imagePullSecrets?: Array<{ name: string }>; resource?: unknown; env?: unknown };
}

describe('a Cluster with pull secrets at both levels converges with webhooks on, then the operator is idle', () => {
  // As shipped: webhooks on (registered by URL through the apiserver), leader election on.
  const suite = operatorSuite('ctrl-ownership');

  /** Writes the operator sent, except Lease renewals (leader election), from its request log. */
  const writes = (): RequestRecord[] => writesSent(readRequestLog(suite.operator().requestLog)).filter((r) => !isLeaseRequest(r));

  it(`converges, every child admitted by the operator's own webhook; then ${IDLE_MS / 1000} s idle: zero writes`, { timeout: 8 * 60_000 }, async (t) => {
    const ns = suite.ns();
    const operator = suite.operator();
    const started = Date.now();
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], { input: JSON.stringify(CLUSTER) });
    await waitFor('Cluster owned Ready', async () => conditionOf(await getJson<{ status?: { conditions?: ConditionLike[] } }>(ns, 'cluster', 'owned'), 'Ready')?.status === 'True', {
      timeoutMs: 180_000,
      intervalMs: 500,
    });
    t.diagnostic(`apply → Ready with webhooks on: ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const journal = (await getJson<Child>(ns, 'journal', 'owned-journal'))!;
    assert.deepEqual(journal.spec.imagePullSecrets, [{ name: 'cluster-regcred' }, { name: 'shared' }, { name: 'journal-regcred' }]);
    assert.equal(journal.spec.image?.name, 'uhub.service.ucloud.cn/zojw/engula:0.9-journal');
    assert.ok(journal.spec.image?.pullPolicy, 'the pull policy is filled in');
    assert.deepEqual(journal.spec.env, CLUSTER.spec.journal.env, 'the empty env value is kept');
    const storage = (await getJson<Child>(ns, 'storage', 'owned-storage'))!;
    assert.deepEqual(storage.spec.image, { name: 'uhub.service.ucloud.cn/zojw/engula:0.9', pullPolicy: 'Always' }, 'the inherited image, with the Cluster\'s pullPolicy');
    const sa = (await getJson<{ imagePullSecrets?: Array<{ name: string }> }>(ns, 'serviceaccount', 'owned-storage'))!;
    assert.deepEqual(sa.imagePullSecrets, [{ name: 'cluster-regcred' }, { name: 'shared' }, { name: 'storage-regcred' }]);
    assert.doesNotMatch(operator.log(), /denied the request/, 'no write of the operator was refused by its own webhook');

    // Settle: writes in flight when the Cluster turned Ready (status roll-ups) finish.
    let seen = writes().length;
    await waitFor('no write for 5 s in a row', async () => {
      await new Promise((r) => setTimeout(r, 5000));
      const now = writes().length;
      const quiet = now === seen;
      seen = now;
      return quiet;
    }, { timeoutMs: 60_000, intervalMs: 0 });

    const before = writes();
    // The measurement window itself: the assertion is about what happens during it.
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const during = writes().slice(before.length);
    t.diagnostic(`writes to converge: ${before.length}; during ${IDLE_MS / 1000} s idle (Lease renewals aside): ${during.length}`);
    assert.deepEqual(during.map((w) => `${w.method} ${w.path}`), [], 'writes during the idle window');
    assert.ok(before.length > 0, 'the request log does record the operator\'s writes');
    assert.ok(operator.alive);
  });
});

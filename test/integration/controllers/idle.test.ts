// With 20 converged Clusters and nothing changing, the operator, run as shipped (webhooks on, leader
// election on), sends no write at all for two minutes but its Lease renewals. Writes are counted
// from the operator's own request records (--api-request-log): every request it makes, the webhook
// side's included, goes through the runtime's REST client that keeps them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubectlOk, waitFor } from '../../support/kube.ts';
import { getJson } from '../../support/operator.ts';
import { operatorSuite } from '../../support/suite.ts';

const CLUSTERS = 20;
const IDLE_MS = 120_000;

function cluster(name: string): string {
  return `---
apiVersion: cluster.engula.io/v1alpha1
kind: Cluster
metadata: { name: ${name} }
spec:
  name: ${name}
  image: { name: uhub.service.ucloud.cn/zojw/engula:0.9 }
  journal: { replicas: 1, volume: { spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } } } }
  storage: { replicas: 1 }
  kernel: { replicas: 1 }
  engine: { replicas: 1 }
`;
}

describe('an idle operator writes nothing', () => {
  // Two namespaces, so the per-namespace informers of --namespaces are exercised too.
  const suite = operatorSuite(['ctrl-idle-a', 'ctrl-idle-b']);

  it(`${CLUSTERS} converged Clusters, ${IDLE_MS / 1000} s idle: zero writes`, { timeout: 8 * 60_000 }, async (t) => {
    const namespaces = suite.namespaces();
    const operator = suite.operator();
    const started = Date.now();
    const names = Array.from({ length: CLUSTERS }, (_, i) => `idle-${i}`);
    for (const [i, ns] of namespaces.entries()) {
      await kubectlOk(['-n', ns, 'apply', '-f', '-'], { input: names.filter((_, j) => j % namespaces.length === i).map(cluster).join('') });
    }
    await waitFor(`${CLUSTERS} Clusters Ready`, async () => {
      let ready = 0;
      for (const ns of namespaces) {
        const out = await kubectlOk(['-n', ns, 'get', 'clusters.cluster.engula.io', '-o', 'jsonpath={range .items[*]}{.status.phase}{"\\n"}{end}']);
        ready += out.split('\n').filter((l) => l === 'Ready').length;
      }
      return ready === CLUSTERS;
    }, { timeoutMs: 240_000, intervalMs: 1000 });
    t.diagnostic(`${CLUSTERS} Clusters apply → all Ready: ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // Settle: writes already in flight when the last Cluster turned Ready (status roll-ups) finish.
    let last = await operator.writes();
    await waitFor('no write for 5 s in a row', async () => {
      await new Promise((r) => setTimeout(r, 5000));
      const now = await operator.writes();
      const quiet = now.total === last.total;
      last = now;
      return quiet;
    }, { timeoutMs: 60_000, intervalMs: 0 });

    const before = await operator.writes();
    // The measurement window itself: the assertion is about what happens during it.
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const afterIdle = await operator.writes();
    t.diagnostic(`writes before the window ${JSON.stringify(before.byMethod)} (total ${before.total}); during ${IDLE_MS / 1000} s idle: ${afterIdle.total - before.total}`);
    assert.equal(afterIdle.total - before.total, 0, `writes during the idle window: ${JSON.stringify(afterIdle.byMethod)} vs ${JSON.stringify(before.byMethod)}`);
    assert.ok(before.total > 0, 'the counter does count the operator\'s writes');
    assert.ok(await getJson(namespaces[0]!, 'cluster', 'idle-0'));
  });
});

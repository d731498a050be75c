// A scale call goes through exactly the validation `kubectl apply` does: the CRD schema, its CEL
// rules and the operator's validating webhook, run by the API server on the patch. Each refusal is
// a 422 naming the field and the reason, and the Cluster is left as it was.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { kubectlOk, suiteCleanup } from '../../support/kube.ts';
import { getJson } from '../../support/operator.ts';
import { installCrds, startTestWebhooks, waitUntilWebhookCalled, type TestWebhooks } from '../../support/webhooks.ts';
import { AUDIENCE, closeAdmin, clusterManifest, installScalerRole, mintToken, rawCall, scalePath, serviceAccount } from '../../support/scaling-callers.ts';

const cleanup = suiteCleanup();
let w: TestWebhooks;
let ns = '';
let ca = '';
let token = '';

interface ClusterView {
  metadata: { resourceVersion: string; generation: number };
  spec: Record<string, { replicas: number }>;
}

before(async () => {
  await installCrds();
  await installScalerRole();
  w = await startTestWebhooks(cleanup, 'scaling-valid', { maxReplicas: 10 });
  ns = w.namespace;
  ca = w.running.certificates.current().caBundlePem ?? '';
  await waitUntilWebhookCalled(w);
  await kubectlOk(['apply', '-n', ns, '-f', '-'], { input: clusterManifest('demo', { journal: 3, storage: 3, kernel: 1, engine: 2 }) });
  await serviceAccount(ns, 'scaler', { clusterRole: 'engula-cluster-scaler' });
  token = await mintToken(ns, 'scaler', [AUDIENCE]);
});

after(async () => {
  await cleanup.run();
  closeAdmin();
});

const put = (component: string, replicas: unknown, resourceVersion?: string) =>
  rawCall(w.running.baseUrl, ca, 'PUT', scalePath(ns, 'demo', component), {
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'demo', ...(resourceVersion ? { resourceVersion } : {}) }, spec: { replicas } }),
  });

describe('invalid scale calls are refused by the same rules as kubectl apply', { concurrency: false }, () => {
  const cases: Array<{ what: string; component: string; replicas: unknown; reason: RegExp }> = [
    { what: 'a negative count', component: 'engine', replicas: -1, reason: /greater than or equal to 0|from 0 to 10/ },
    { what: 'not an integer (2.5)', component: 'engine', replicas: 2.5, reason: /integer/ },
    { what: 'not a number ("3")', component: 'engine', replicas: '3', reason: /integer/ },
    { what: 'above --max-replicas', component: 'engine', replicas: 11, reason: /max-replicas is 10/ },
    { what: 'a journal scale-down the Cluster does not allow', component: 'journal', replicas: 2, reason: /allowScaleDown/ },
    { what: 'a storage scale-down the Cluster does not allow', component: 'storage', replicas: 1, reason: /allowScaleDown/ },
    { what: 'the kernel to 0', component: 'kernel', replicas: 0, reason: /kernel|greater than or equal to 1/ },
  ];
  for (const c of cases) {
    test(`${c.what}: 422 with the field and the reason, and nothing changes`, async () => {
      const before = await getJson<ClusterView>(ns, 'cluster', 'demo');
      const r = await put(c.component, c.replicas);
      assert.equal(r.code, 422, JSON.stringify(r.body));
      assert.equal(r.body.kind, 'Status');
      assert.equal(r.body.reason, 'Invalid');
      assert.match(String(r.body.message), c.reason);
      const causes = (r.body.details as { causes?: Array<{ field?: string; message?: string }> }).causes ?? [];
      assert.ok(causes.some((k) => k.field?.includes(`${c.component}.replicas`)), `a cause names spec.${c.component}.replicas: ${JSON.stringify(causes)}`);
      const after = await getJson<ClusterView>(ns, 'cluster', 'demo');
      assert.equal(after?.metadata.resourceVersion, before?.metadata.resourceVersion, 'the Cluster was not written');
      assert.deepEqual(after?.spec, before?.spec);
    });
  }

  test('a stale resourceVersion: 409, and nothing changes', async () => {
    const before = await getJson<ClusterView>(ns, 'cluster', 'demo');
    const ok = await put('engine', 3, before?.metadata.resourceVersion);
    assert.equal(ok.code, 200, JSON.stringify(ok.body));
    const stale = await put('engine', 4, before?.metadata.resourceVersion);
    assert.equal(stale.code, 409);
    assert.equal(stale.body.reason, 'Conflict');
    const after = await getJson<ClusterView>(ns, 'cluster', 'demo');
    assert.equal(after?.spec.engine?.replicas, 3);
  });

  test('the same scale-down is taken once the Cluster allows it', async () => {
    await kubectlOk(['patch', 'cluster', 'demo', '-n', ns, '--type', 'merge', '-p', '{"spec":{"allowScaleDown":true}}']);
    const r = await put('journal', 2);
    assert.equal(r.code, 200, JSON.stringify(r.body));
    assert.equal((r.body.spec as { replicas: number }).replicas, 2);
  });
});

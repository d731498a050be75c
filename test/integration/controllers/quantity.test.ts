// The operator's canonical quantities agree with the real apiserver's: each is written into a
// LimitRange each (which needs no pods) and read back as stored.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { canonicalQuantity } from '../../../controllers/desired/quantity.ts';
import { kubeConfig, testNamespace } from '../../support/kube.ts';
import { CANONICAL } from '../../unit/controllers/fixtures/quantities.ts';

test('canonicalQuantity matches what kube-apiserver stores', async (t) => {
  const ns = await testNamespace(t, 'quantity');
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  const inputs = CANONICAL.map(([input]) => String(input));
  const ours: Record<string, string> = {};
  const theirs: Record<string, string | undefined> = {};
  for (const [i, q] of inputs.entries()) {
    // One LimitRange each: a LimitRange takes one limit per type.
    const created = await core.createNamespacedLimitRange({ namespace: ns, body: { metadata: { name: `q${i}` }, spec: { limits: [{ type: 'Container', max: { cpu: q } }] } } });
    ours[q] = canonicalQuantity(q);
    theirs[q] = created.spec?.limits[0]?.max?.cpu;
  }
  assert.deepEqual(ours, theirs);
});

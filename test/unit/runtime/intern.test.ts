import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StringPool } from '../../../runtime/intern.ts';

describe('StringPool', () => {
  it('keeps one entry per repeated value, and leaves the object equal to what was parsed', () => {
    const pool = new StringPool();
    const text = JSON.stringify({
      apiVersion: 'apps/v1',
      metadata: { name: 'a', uid: 'u-1', resourceVersion: '7', labels: { 'app.kubernetes.io/managed-by': 'engula-operator', x: 'a' } },
      spec: { list: ['engula-operator', { name: 'a' }], data: 'x'.repeat(300) },
      status: { conditions: [{ type: 'Ready', lastTransitionTime: '2026-11-23T00:00:00Z' }] },
    });
    for (let i = 0; i < 3; i++) {
      const obj = JSON.parse(text) as unknown;
      pool.internValues(obj);
      assert.deepEqual(obj, JSON.parse(text));
    }
    // apps/v1, a, engula-operator, Ready: each once; uid, resourceVersion, the timestamp and the long string never.
    assert.equal(pool.size, 4);
  });

  it('starts over past its bound, so churn cannot grow it', () => {
    const pool = new StringPool(10);
    for (let i = 0; i < 25; i++) pool.intern(`v${i}`);
    assert.equal(pool.size, 5);
    assert.equal(pool.intern('v24'), 'v24');
  });

  it('leaves frozen objects alone (already cached)', () => {
    const pool = new StringPool();
    pool.internValues(Object.freeze({ a: 'x' }));
    assert.equal(pool.size, 0);
  });
});

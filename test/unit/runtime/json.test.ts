import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jsonEqual, stableStringify } from '../../../runtime/json.ts';

/** The form the applied-hash annotations were made with: JSON.stringify with a key-sorting replacer. */
function replacerForm(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(value).sort()) sorted[k] = (value as Record<string, unknown>)[k];
      return sorted;
    }
    return value;
  });
}

/** JSON values, with undefined members and keys that sort differently by code unit. */
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, false, 0, -1.5, 1e21, Number.NaN, undefined, '', 'é', 'Z', 'a"b\n'),
    fc.string(),
    fc.double(),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 3 }), tie('v'), { maxKeys: 5 }),
  ),
})).v;

/** The same object with its keys in another order. */
function shuffled(v: unknown, seed: number): unknown {
  if (Array.isArray(v)) return v.map((x, i) => shuffled(x, seed + i));
  if (v === null || typeof v !== 'object') return v;
  const entries = Object.entries(v);
  const rotated = entries.slice(seed % Math.max(1, entries.length)).concat(entries.slice(0, seed % Math.max(1, entries.length))).reverse();
  return Object.fromEntries(rotated.map(([k, x]) => [k, shuffled(x, seed + 1)]));
}

describe('stable JSON', () => {
  it('stableStringify writes exactly what the replacer form wrote (the applied hashes stay valid)', () => {
    fc.assert(fc.property(value, (v) => assert.equal(stableStringify(v), replacerForm(v))), { numRuns: 3_000 });
  });

  it('jsonEqual agrees with comparing the replacer form, whatever the key order', () => {
    fc.assert(
      fc.property(value, value, fc.nat(), (a, b, seed) => {
        assert.equal(jsonEqual(a, b), replacerForm(a) === replacerForm(b));
        assert.equal(jsonEqual(a, shuffled(a, seed)), true);
      }),
      { numRuns: 3_000 },
    );
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalQuantity } from '../../../controllers/desired/quantity.ts';
import { CANONICAL } from './fixtures/quantities.ts';

test('quantities take the form the apiserver stores', () => {
  for (const [input, want] of CANONICAL) assert.equal(canonicalQuantity(input), want, `canonicalQuantity(${JSON.stringify(input)})`);
});

test('text that is not a quantity is left for the apiserver to refuse', () => {
  for (const input of ['lots', '1.2.3', '', 'Gi', '5 Gi']) assert.equal(canonicalQuantity(input), input);
});

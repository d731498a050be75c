// --roll-operator-changes=DELAY: one Cluster starts rolling the operator's change at a time, DELAY apart; a started one keeps going.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FleetRoll } from '../../../controllers/fleet-roll.ts';

describe('FleetRoll', () => {
  it('admits one Cluster per delay, and a Cluster once admitted on every later step', () => {
    let now = 1_000;
    const fleet = new FleetRoll(60_000, () => now);
    assert.deepEqual(fleet.admit('ns/a'), { ok: true });
    assert.deepEqual(fleet.admit('ns/b'), { ok: false, retryAfterMs: 60_000 });
    now += 20_000;
    assert.deepEqual(fleet.admit('ns/a'), { ok: true }, 'its next component goes on');
    assert.deepEqual(fleet.admit('ns/b'), { ok: false, retryAfterMs: 40_000 });
    now += 40_000;
    assert.deepEqual(fleet.admit('ns/b'), { ok: true });
  });
});

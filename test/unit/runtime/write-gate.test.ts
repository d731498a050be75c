import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeadershipGate, LeadershipLostError } from '../../../runtime/write-gate.ts';
import { FakeClock } from '../../support/fake-clock.ts';

const isLeadershipLost = (err: unknown): boolean => err instanceof LeadershipLostError;

describe('LeadershipGate (the fence between the lease and the leader\'s writes)', () => {
  it('refuses every write before leadership is granted', () => {
    const gate = new LeadershipGate(new FakeClock());
    assert.throws(() => gate.admit('PATCH', '/x'), isLeadershipLost);
  });

  it('admits writes until the moment the lease could be taken, and not one millisecond later', () => {
    const clock = new FakeClock();
    const gate = new LeadershipGate(clock);
    gate.extend(clock.now() + 1_000);
    const signal = gate.admit('POST', '/x');
    assert.equal(signal.aborted, false);
    clock.advance(999);
    gate.admit('PUT', '/x');
    clock.advance(1);
    assert.throws(() => gate.admit('PUT', '/x'), /could be held by another replica/);
  });

  it('a renewal moves the fence forward, never back', () => {
    const clock = new FakeClock();
    const gate = new LeadershipGate(clock);
    gate.extend(clock.now() + 5_000);
    gate.extend(clock.now() + 1_000);
    clock.advance(4_000);
    gate.admit('DELETE', '/x');
  });

  it('revoke aborts writes in flight and is final', () => {
    const clock = new FakeClock();
    const gate = new LeadershipGate(clock);
    gate.extend(clock.now() + 60_000);
    const inFlight = gate.admit('PATCH', '/x');
    gate.revoke('lost');
    assert.equal(inFlight.aborted, true);
    assert.ok(isLeadershipLost(inFlight.reason));
    gate.extend(clock.now() + 60_000);
    assert.throws(() => gate.admit('PATCH', '/x'), /leadership was given up/);
  });
});

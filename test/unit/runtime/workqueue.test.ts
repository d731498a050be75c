import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ItemExponentialFailureRateLimiter, MaxOfRateLimiter, BucketRateLimiter } from '../../../runtime/rate-limiter.ts';
import { WorkQueue } from '../../../runtime/workqueue.ts';
import { FakeClock } from '../../support/fake-clock.ts';

function queue(clock = new FakeClock()): { q: WorkQueue; clock: FakeClock } {
  return { q: new WorkQueue({ name: 't', clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) }), clock };
}

describe('WorkQueue', () => {
  it('de-duplicates a key added many times before it is taken', async () => {
    const { q } = queue();
    for (let i = 0; i < 10; i++) q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    assert.equal(q.length, 2);
    assert.equal(await q.get(), 'ns/a');
    assert.equal(await q.get(), 'ns/b');
    assert.equal(q.length, 0);
  });

  it('never hands out a key that a worker holds; a re-add during processing comes back after done()', async () => {
    const { q } = queue();
    q.add('k');
    const first = await q.get();
    assert.equal(first, 'k');
    q.add('k');
    q.add('k');
    assert.equal(q.length, 0, 'a key being processed is not queued again');
    let second: string | undefined;
    const pending = q.get().then((k) => (second = k));
    await Promise.resolve();
    assert.equal(second, undefined, 'no second worker gets the key while the first holds it');
    q.done('k');
    await pending;
    assert.equal(second, 'k', 'the add made during processing is not lost');
    q.done('k');
    assert.equal(q.length, 0);
  });

  it('hands different keys to concurrent getters in FIFO order', async () => {
    const { q } = queue();
    const got = [q.get(), q.get()];
    q.add('a');
    q.add('b');
    assert.deepEqual(await Promise.all(got), ['a', 'b']);
  });

  it('addAfter delays the key and keeps the earliest of two delays', async () => {
    const { q, clock } = queue();
    q.addAfter('k', 1000);
    q.addAfter('k', 300);
    q.addAfter('k', 2000);
    assert.equal(q.length, 0);
    clock.advance(299);
    assert.equal(q.length, 0);
    clock.advance(1);
    assert.equal(q.length, 1);
    clock.advance(5000);
    assert.equal(q.length, 1, 'the later delays were dropped, not queued again');
  });

  it('backs off per key, doubling from the base to the cap, and starts over after forget()', () => {
    const { q, clock } = queue();
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      q.addRateLimited('k');
      let waited = 0;
      while (q.length === 0) {
        clock.advance(1);
        waited++;
      }
      delays.push(waited);
      // Take and finish it, as a failing worker would (get() takes a queued key synchronously).
      void q.get();
      q.done('k');
    }
    assert.deepEqual(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    assert.equal(q.numRequeues('k'), 10);
    q.forget('k');
    assert.equal(q.numRequeues('k'), 0);
  });

  it('shutdown wakes waiting getters with undefined, drops queued and delayed keys, and lets in-flight keys finish', async () => {
    const { q, clock } = queue();
    q.add('held');
    const held = await q.get();
    q.add('queued');
    q.addAfter('later', 100);
    const waiting = q.get();
    const waiting2 = q.get();
    assert.equal(await waiting, 'queued');
    q.shutdown();
    assert.equal(await waiting2, undefined);
    clock.advance(1000);
    assert.equal(q.length, 0);
    q.add('new');
    assert.equal(q.length, 0, 'no new work after shutdown');
    let drained = false;
    const d = q.drained().then(() => (drained = true));
    q.done(held ?? '');
    await Promise.resolve();
    assert.equal(drained, false, 'one key still in flight');
    q.done('queued');
    await d;
    assert.equal(drained, true);
  });
});

describe('rate limiters', () => {
  it('the bucket lets a burst through and then spaces items at 1/qps', () => {
    const clock = new FakeClock();
    const b = new BucketRateLimiter(10, 3, clock);
    assert.deepEqual([b.when(), b.when(), b.when()], [0, 0, 0]);
    assert.equal(Math.round(b.when()), 100);
    assert.equal(Math.round(b.when()), 200);
    clock.advance(1000);
    // 10 tokens refilled, but burst caps the bucket at 3 (minus the 2 borrowed).
    assert.equal(b.when(), 0);
  });

  it('MaxOf takes the longer of per-key backoff and the overall bucket', () => {
    const clock = new FakeClock();
    const l = new MaxOfRateLimiter(new ItemExponentialFailureRateLimiter(5, 60_000), new BucketRateLimiter(1, 1, clock));
    assert.equal(l.when('a'), 5, 'first failure: the bucket has a token, backoff says 5 ms');
    assert.equal(Math.round(l.when('b')), 1000, 'second item: the bucket is empty, 1 qps → 1 s');
    assert.equal(l.numRequeues('a'), 1);
    l.forget('a');
    assert.equal(l.numRequeues('a'), 0);
  });

  it('caps without overflowing after very many failures', () => {
    const l = new ItemExponentialFailureRateLimiter(5, 300_000);
    let last = 0;
    for (let i = 0; i < 2000; i++) last = l.when('k');
    assert.equal(last, 300_000);
  });
});

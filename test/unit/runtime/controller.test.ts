import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { Client } from '../../../runtime/client.ts';
import { Controller, type ControllerSpec, type EventSource } from '../../../runtime/controller.ts';
import { TerminalError } from '../../../runtime/errors.ts';
import { MemoryEventRecorder } from '../../support/memory-event-recorder.ts';
import { generationChanged } from '../../../runtime/predicate.ts';
import type { EventHandler } from '../../../runtime/informer.ts';
import { RuntimeMetrics } from '../../../runtime/metrics.ts';
import { ItemExponentialFailureRateLimiter } from '../../../runtime/rate-limiter.ts';
import { resource, resourceName, type KubeObject, type ResourceRef } from '../../../runtime/resource.ts';
import { RestClient } from '../../../runtime/rest.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { waitFor } from '../../support/kube.ts';

const widgets = resource('example.com/v1', 'Widget', 'widgets');
const parts = resource('v1', 'ConfigMap', 'configmaps');

/** Stands in for the informers: the test fires events by hand. */
class FakeSource implements EventSource {
  readonly handlers = new Map<string, EventHandler[]>();
  informersFor(): Array<{ waitForSync(): Promise<void> }> {
    return [{ waitForSync: () => Promise.resolve() }];
  }
  addEventHandler(ref: ResourceRef, h: EventHandler): void {
    const k = resourceName(ref);
    this.handlers.set(k, [...(this.handlers.get(k) ?? []), h]);
  }
  add(ref: ResourceRef, obj: KubeObject): void {
    for (const h of this.handlers.get(resourceName(ref)) ?? []) h.onAdd?.(obj);
  }
  update(ref: ResourceRef, old: KubeObject, obj: KubeObject): void {
    for (const h of this.handlers.get(resourceName(ref)) ?? []) h.onUpdate?.(old, obj);
  }
  get(): Promise<KubeObject | undefined> {
    return Promise.resolve(undefined);
  }
  list(): Promise<KubeObject[]> {
    return Promise.resolve([]);
  }
}

function obj(name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name, namespace: 'ns', uid: `uid-${name}`, generation: 1, ...extra } };
}

function setup(spec: Omit<ControllerSpec, 'name' | 'for'> & Partial<Pick<ControllerSpec, 'for'>>, clock?: FakeClock, client = new Client({ rest: new RestClient(new KubeConfig()) })) {
  const source = new FakeSource();
  const metrics = new RuntimeMetrics(undefined, { processMetrics: false });
  const controller = new Controller(
    { name: 'widget', for: widgets, rateLimiter: new ItemExponentialFailureRateLimiter(1, 1000), ...spec },
    {
      informers: source,
      client,
      recorder: new MemoryEventRecorder(),
      metrics,
      logger: pino({ level: 'silent' }),
      ...(clock ? { clock } : {}),
    },
  );
  return { source, metrics, controller };
}

/** A controller on a fake clock, started, with widget `a` added: where the retry tests begin. */
async function startedWithA(reconcile: ControllerSpec['reconcile']) {
  const clock = new FakeClock();
  const { source, controller, metrics } = setup({ reconcile }, clock);
  await controller.start();
  source.add(widgets, obj('a'));
  return { clock, source, controller, metrics };
}

async function counter(metrics: RuntimeMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const m = await metrics.registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

describe('Controller', () => {
  it('never reconciles one key on two workers at once, while other keys run in parallel', async () => {
    const active = new Map<string, number>();
    let maxPerKey = 0;
    let maxOverall = 0;
    let running = 0;
    let calls = 0;
    let release!: () => void;
    let gate = new Promise<void>((r) => (release = r));
    const { source, controller } = setup({
      maxConcurrentReconciles: 4,
      reconcile: async (req) => {
        calls++;
        const n = (active.get(req.name) ?? 0) + 1;
        active.set(req.name, n);
        running++;
        maxPerKey = Math.max(maxPerKey, n);
        maxOverall = Math.max(maxOverall, running);
        await gate;
        active.set(req.name, n - 1);
        running--;
      },
    });
    await controller.start();
    source.add(widgets, obj('a'));
    source.add(widgets, obj('b'));
    await waitFor('two reconciles in flight', () => running === 2);
    // Events for a key already being reconciled: must wait, not start a second reconcile.
    for (let i = 0; i < 5; i++) source.update(widgets, obj('a'), obj('a', { generation: i + 2 }));
    await new Promise((r) => setImmediate(r));
    assert.equal(running, 2);
    release();
    gate = new Promise<void>((r) => (release = r));
    // The five events collapse into one more reconcile of 'a'.
    await waitFor('the coalesced re-reconcile of a', () => calls === 3 && running === 1);
    release();
    await waitFor('idle', () => running === 0 && controller.queue.processingCount === 0);
    assert.equal(maxPerKey, 1);
    assert.equal(maxOverall, 2);
    assert.equal(calls, 3);
    await controller.stop(1000);
  });

  it('a watch with ignoreOwnWrites drops the echoes of the operator\'s own writes, not a hand edit', async () => {
    /** The Client's record of its writes, by version (tests/integration/runtime/apply.test.ts
     * checks the record itself against a real API server). */
    class KnownWrites extends Client {
      override isOwnWrite(o: KubeObject): boolean {
        return o.metadata.resourceVersion === 'ours';
      }
    }
    const reconciled: string[] = [];
    const owner = (name: string) => [{ apiVersion: 'example.com/v1', kind: 'Widget', name, uid: `uid-${name}`, controller: true }];
    const part = (name: string, rv: string, ownerName: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv, ownerReferences: owner(ownerName) } });
    const mapOwner = (o: KubeObject) => [{ namespace: o.metadata.namespace ?? '', name: o.metadata.ownerReferences?.[0]?.name ?? '' }];
    const { source, controller } = setup(
      {
        watches: [{ resource: parts, map: mapOwner, ignoreOwnWrites: true }],
        reconcile: (req) => {
          reconciled.push(req.name);
          return Promise.resolve();
        },
      },
      undefined,
      new KnownWrites({ rest: new RestClient(new KubeConfig()) }),
    );
    await controller.start();
    source.add(parts, part('p1', 'ours', 'a'));
    source.update(parts, part('p1', 'ours', 'a'), part('p1', 'ours', 'a'));
    source.add(parts, part('p2', 'theirs', 'b'));
    await waitFor('the reconcile of b', () => reconciled.includes('b'));
    source.update(parts, part('p1', 'ours', 'a'), part('p1', 'hand-edit', 'a'));
    await waitFor('the reconcile of a', () => reconciled.includes('a'));
    await waitFor('idle', () => controller.queue.processingCount === 0 && controller.queue.length === 0);
    assert.deepEqual(reconciled, ['b', 'a'], 'the echoes of a write of its own woke nothing; a hand edit did');
    await controller.stop(1000);
  });

  it('retries an error with growing backoff and forgets the backoff after a success', async () => {
    const seen: number[] = [];
    let fail = 3;
    const { clock, controller, metrics } = await startedWithA(async (_req, ctx) => {
      seen.push(ctx.retries);
      if (fail-- > 0) throw new Error('transient');
    });
    await waitFor('first failure', () => seen.length === 1 && controller.queue.waitingCount === 1);
    clock.advance(0.5);
    assert.equal(seen.length, 1, 'not before the 1 ms backoff');
    clock.advance(0.5);
    await waitFor('second attempt', () => seen.length === 2 && controller.queue.waitingCount === 1);
    clock.advance(1.9);
    assert.equal(seen.length, 2, 'second backoff is 2 ms');
    clock.advance(0.1);
    await waitFor('third attempt', () => seen.length === 3 && controller.queue.waitingCount === 1);
    clock.advance(4);
    await waitFor('fourth attempt succeeds', () => seen.length === 4 && controller.queue.processingCount === 0);
    assert.deepEqual(seen, [0, 1, 2, 3]);
    assert.equal(controller.queue.numRequeues('ns/a'), 0, 'success forgot the backoff');
    assert.equal(await counter(metrics, 'controller_runtime_reconcile_errors_total', { controller: 'widget' }), 3);
    assert.equal(await counter(metrics, 'controller_runtime_reconcile_total', { controller: 'widget', result: 'error' }), 3);
    assert.equal(await counter(metrics, 'controller_runtime_reconcile_total', { controller: 'widget', result: 'success' }), 1);
    assert.equal(await counter(metrics, 'workqueue_retries_total', { name: 'widget' }), 3);
    await controller.stop(1000);
  });

  it('comes back after requeueAfterMs, without counting a failure', async () => {
    let calls = 0;
    const { clock, controller, metrics } = await startedWithA(async () => (++calls === 1 ? { requeueAfterMs: 30_000 } : undefined));
    await waitFor('first reconcile', () => calls === 1 && controller.queue.waitingCount === 1);
    clock.advance(29_999);
    assert.equal(calls, 1);
    clock.advance(1);
    await waitFor('requeued reconcile', () => calls === 2);
    assert.equal(controller.queue.numRequeues('ns/a'), 0);
    assert.equal(await counter(metrics, 'controller_runtime_reconcile_total', { controller: 'widget', result: 'requeue_after' }), 1);
    await controller.stop(1000);
  });

  it('does not retry a terminal error, and counts it', async () => {
    let calls = 0;
    const { clock, source, controller, metrics } = await startedWithA(async () => {
      calls++;
      throw new TerminalError('spec can never work');
    });
    await waitFor('reconciled once', () => calls === 1 && controller.queue.processingCount === 0);
    clock.advance(3_600_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 1);
    assert.equal(controller.queue.waitingCount, 0);
    assert.equal(await counter(metrics, 'controller_runtime_terminal_reconcile_errors_total', { controller: 'widget' }), 1);
    assert.equal(await counter(metrics, 'controller_runtime_reconcile_errors_total', { controller: 'widget' }), 1);
    // A new event still reconciles it: terminal means "not retried", not "ignored forever".
    source.update(widgets, obj('a'), obj('a', { generation: 2 }));
    await waitFor('reconciled on the next change', () => calls === 2);
    await controller.stop(1000);
  });

  it('catches a bug (TypeError) in the reconciler, counts it as a panic and retries', async () => {
    let calls = 0;
    const { clock, controller, metrics } = await startedWithA(async () => {
      calls++;
      if (calls === 1) (undefined as unknown as { x: () => void }).x();
    });
    await waitFor('first call', () => calls === 1 && controller.queue.waitingCount === 1);
    assert.equal(await counter(metrics, 'controller_runtime_reconcile_panics_total', { controller: 'widget' }), 1);
    clock.advance(1);
    await waitFor('retried', () => calls === 2);
    await controller.stop(1000);
  });

  it('filters status-only updates of the primary with generationChanged, and maps owned objects to the owner', async () => {
    const keys: string[] = [];
    const { source, controller } = setup({
      owns: [{ resource: parts }],
      predicates: [generationChanged],
      reconcile: async (req) => {
        keys.push(`${req.namespace}/${req.name}`);
      },
    });
    await controller.start();
    source.update(widgets, obj('a', { resourceVersion: '1' }), obj('a', { resourceVersion: '2' }));
    const owned: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'a-part',
        namespace: 'ns',
        ownerReferences: [
          { apiVersion: 'example.com/v1', kind: 'Widget', name: 'owner', uid: 'u', controller: true },
          { apiVersion: 'example.com/v1', kind: 'Widget', name: 'not-controller', uid: 'u2' },
        ],
      },
    };
    source.add(parts, owned);
    await waitFor('owner reconciled', () => keys.length === 1);
    source.update(widgets, obj('a', { generation: 1 }), obj('a', { generation: 2 }));
    await waitFor('spec change reconciled', () => keys.length === 2);
    assert.deepEqual(keys, ['ns/owner', 'ns/a']);
    await controller.stop(1000);
  });

  it('on stop takes no new work and waits for the reconcile in flight', async () => {
    let finish!: () => void;
    let finished = false;
    let calls = 0;
    const { source, controller } = setup({
      reconcile: async () => {
        calls++;
        await new Promise<void>((r) => (finish = r));
        finished = true;
      },
    });
    await controller.start();
    source.add(widgets, obj('a'));
    await waitFor('in flight', () => calls === 1);
    source.add(widgets, obj('b'));
    const stopping = controller.stop(5000);
    source.add(widgets, obj('c'));
    finish();
    assert.equal(await stopping, true);
    assert.equal(finished, true);
    assert.equal(calls, 1, 'queued and new keys are not started after stop');
  });
});

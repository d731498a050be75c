// A controller: event handlers feed a work queue; N workers take keys and call the reconciler,
// and the result decides what happens to the key (controller-runtime's
// internal/controller.reconcileHandler):
// - success → forget the key's backoff;
// - { requeueAfterMs } → forget, then add after that delay;
// - { requeue: true } → add with per-key backoff;
// - TerminalError → logged and counted, not retried;
// - any other error → logged and counted, retried with per-key backoff and the overall bucket.
//   An exception that is a bug (TypeError and friends) also counts as a panic.
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { Client } from './client.ts';
import { realClock, type Clock } from './clock.ts';
import { errorMessage, isProgrammerError, isTerminal } from './errors.ts';
import type { EventRecorder } from './events.ts';
import { enqueueMapped, enqueueObject, enqueueOwner, withoutOwnWrites, type KeySink } from './handler.ts';
import type { Predicate } from './predicate.ts';
import type { Request } from './request.ts';
import type { CacheReader } from './informer-factory.ts';
import type { EventHandler } from './informer.ts';
import type { RuntimeMetrics, ReconcileResult } from './metrics.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { splitKey, type KubeObject, type ResourceRef } from './resource.ts';
import { WorkQueue } from './workqueue.ts';

export interface Result {
  /** Come back after this many milliseconds (also after success: periodic checks). */
  requeueAfterMs?: number;
  /** Come back with per-key backoff, without counting as an error. */
  requeue?: boolean;
}

export interface ReconcileContext {
  /** Aborts at the reconcile timeout, or when a graceful shutdown runs out of time. */
  signal: AbortSignal;
  log: Logger;
  cache: CacheReader;
  client: Client;
  recorder: EventRecorder;
  /** How many times in a row this key failed before this attempt. */
  retries: number;
}

export type Reconciler = (req: Request, ctx: ReconcileContext) => Promise<Result | void>;

/** How a watch's events become work, the same for owned kinds and mapped watches. */
export interface EventOptions {
  predicates?: Predicate[];
  /**
   * Enqueue this long after the event rather than at once; further events for the same key in the
   * meantime ride along. For roll-ups (a parent's status made of its children's), where several
   * children changing together should cost one reconcile and one status write, not one each.
   */
  coalesceMs?: number;
  /**
   * Drop events that carry exactly what this operator's own write of the object returned (the
   * Client remembers each). For owned objects watched only for drift: the reconcile that wrote one
   * has its result already, so its echo cannot change the outcome. Not for objects whose status
   * others write, nor for kinds whose events a reconcile waits on.
   */
  ignoreOwnWrites?: boolean;
}

/** A kind whose controller owner is a `for` object: its events enqueue the owner (controller-runtime's Owns()). */
export interface OwnsSpec extends EventOptions {
  resource: ResourceRef;
}

/** Any other kind: its events enqueue what `map` says (controller-runtime's Watches() with EnqueueRequestsFromMapFunc). */
export interface WatchSpec extends EventOptions {
  resource: ResourceRef;
  map: (obj: KubeObject) => Request[];
}

export interface ControllerSpec {
  name: string;
  for: ResourceRef;
  owns?: OwnsSpec[];
  watches?: WatchSpec[];
  reconcile: Reconciler;
  /** Default 1. */
  maxConcurrentReconciles?: number;
  /** Predicates on the primary kind (e.g. generationChanged). */
  predicates?: Predicate[];
  reconcileTimeoutMs?: number;
  rateLimiter?: RateLimiter;
}

/** Where a controller's events and reads come from: the InformerFactory, or a fake in unit tests. */
export interface EventSource extends CacheReader {
  informersFor(ref: ResourceRef): Array<{ waitForSync(signal?: AbortSignal): Promise<void> }>;
  addEventHandler(ref: ResourceRef, handler: EventHandler): void;
}

export interface ControllerDeps {
  informers: EventSource;
  client: Client;
  recorder: EventRecorder;
  metrics: RuntimeMetrics;
  logger: Logger;
  clock?: Clock;
  /** Cache sync deadline before workers start (controller-runtime's CacheSyncTimeout, 2 min). */
  cacheSyncTimeoutMs?: number;
}

export class Controller {
  readonly name: string;
  readonly spec: ControllerSpec;
  readonly queue: WorkQueue;
  private readonly deps: ControllerDeps;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly workers: number;
  /** Aborted when a graceful shutdown runs out of time: in-flight reconciles should give up. */
  private readonly hardStop = new AbortController();
  private running: Promise<void>[] = [];
  private started = false;

  constructor(spec: ControllerSpec, deps: ControllerDeps) {
    this.spec = spec;
    this.name = spec.name;
    this.deps = deps;
    this.clock = deps.clock ?? realClock;
    this.workers = Math.max(1, spec.maxConcurrentReconciles ?? 1);
    // Every reconcile in flight may wait on it (a delay, a discovery answer) and removes its
    // listener after: however many workers there are, that is no leak.
    setMaxListeners(0, this.hardStop.signal);
    this.log = deps.logger.child({ controller: spec.name });
    this.queue = new WorkQueue({ name: spec.name, clock: this.clock, metrics: deps.metrics.queueMetrics(spec.name), ...(spec.rateLimiter ? { rateLimiter: spec.rateLimiter } : {}) });
    deps.metrics.trackQueue(this.queue);
    deps.metrics.registerController(spec.name, this.workers);
    // Informers exist (and start with the manager) on every replica, so a standby's caches are warm.
    deps.informers.informersFor(spec.for);
    for (const w of [...(spec.owns ?? []), ...(spec.watches ?? [])]) deps.informers.informersFor(w.resource);
  }

  /** Attaches the handlers (which replay every cached object), waits for the caches, then runs
   * the workers until stop(). */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.started) throw new Error(`controller ${this.name} already started`);
    this.started = true;
    const { informers } = this.deps;
    informers.addEventHandler(this.spec.for, enqueueObject(this.queue, this.spec.predicates ?? []));
    for (const o of this.spec.owns ?? []) this.watch(o.resource, o, (sink) => enqueueOwner(sink, this.spec.for, { predicates: o.predicates ?? [] }));
    for (const w of this.spec.watches ?? []) this.watch(w.resource, w, (sink) => enqueueMapped(sink, w.map, w.predicates ?? []));
    const timeout = AbortSignal.timeout(this.deps.cacheSyncTimeoutMs ?? 120_000);
    const refs = [this.spec.for, ...[...(this.spec.owns ?? []), ...(this.spec.watches ?? [])].map((w) => w.resource)];
    try {
      await Promise.all(refs.flatMap((r) => informers.informersFor(r).map((i) => i.waitForSync(signal ? AbortSignal.any([signal, timeout]) : timeout))));
    } catch (err) {
      if (signal?.aborted) return;
      throw new Error(`controller ${this.name}: caches did not sync in time`, { cause: err });
    }
    this.log.info({ workers: this.workers }, 'starting workers');
    for (let i = 0; i < this.workers; i++) this.running.push(this.worker());
  }

  /** Attaches a handler to `resource`, with the coalescing and own-write filtering `opts` ask for. */
  private watch(resource: ResourceRef, opts: EventOptions, handlerFor: (sink: KeySink) => EventHandler): void {
    const delay = opts.coalesceMs ?? 0;
    const sink: KeySink = delay > 0 ? { add: (key: string) => this.queue.addAfter(key, delay) } : this.queue;
    const handler = handlerFor(sink);
    const onError = (err: unknown): void => this.log.error({ err: errorMessage(err) }, 'event handler threw');
    this.deps.informers.addEventHandler(resource, opts.ignoreOwnWrites ? withoutOwnWrites(this.deps.client, resource, handler, onError) : handler);
  }

  /** Takes no new keys and waits for reconciles in flight, up to `deadlineMs`; then their signal
   * aborts. Resolves true when everything in flight finished in time. */
  async stop(deadlineMs = 30_000): Promise<boolean> {
    this.queue.shutdown();
    if (deadlineMs <= 0 && this.queue.processingCount > 0) {
      this.log.warn({ inFlight: this.queue.processingCount }, 'aborting reconciles in flight');
      this.hardStop.abort(new Error('stopped without a grace period'));
    }
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      Promise.all(this.running).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs))),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      this.log.warn({ deadlineMs, inFlight: this.queue.processingCount }, 'reconciles still running at the shutdown deadline; aborting them');
      this.hardStop.abort(new Error('shutdown deadline'));
    }
    return inTime;
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.process(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async process(key: string): Promise<void> {
    const { metrics } = this.deps;
    const req = splitKey(key);
    const reconcileID = Math.random().toString(36).slice(2, 10);
    const log = this.log.child({ namespace: req.namespace, name: req.name, reconcileID });
    const timeoutMs = this.spec.reconcileTimeoutMs;
    // Without a timeout, the controller's own stop signal as it is: a signal joined per reconcile
    // (AbortSignal.any) is one more object for every request of the reconcile to listen to.
    const signal = timeoutMs === undefined ? this.hardStop.signal : AbortSignal.any([this.hardStop.signal, AbortSignal.timeout(timeoutMs)]);
    const ctx: ReconcileContext = { signal, log, cache: this.deps.informers, client: this.deps.client, recorder: this.deps.recorder, retries: this.queue.numRequeues(key) };
    const started = this.clock.now();
    metrics.activeWorkers.inc({ controller: this.name });
    let outcome: ReconcileResult;
    try {
      const result = (await this.spec.reconcile(req, ctx)) ?? {};
      if (result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, result.requeueAfterMs);
        outcome = 'requeue_after';
      } else if (result.requeue) {
        this.queue.addRateLimited(key);
        outcome = 'requeue';
      } else {
        this.queue.forget(key);
        outcome = 'success';
      }
    } catch (err) {
      outcome = 'error';
      metrics.reconcileErrors.inc({ controller: this.name });
      if (timeoutMs !== undefined && signal.aborted && !this.hardStop.signal.aborted) metrics.reconcileTimeouts.inc({ controller: this.name });
      if (isTerminal(err)) {
        metrics.terminalReconcileErrors.inc({ controller: this.name });
        this.queue.forget(key);
        log.error({ err: errorMessage(err) }, 'reconcile failed with a terminal error; not retrying');
      } else {
        if (isProgrammerError(err)) {
          metrics.reconcilePanics.inc({ controller: this.name });
          log.error({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, 'reconcile threw unexpectedly (a bug); retrying with backoff');
        } else {
          log.error({ err: errorMessage(err), retries: ctx.retries }, 'reconcile failed; retrying with backoff');
        }
        this.queue.addRateLimited(key);
      }
    } finally {
      metrics.activeWorkers.dec({ controller: this.name });
    }
    metrics.reconcileTotal.inc({ controller: this.name, result: outcome });
    metrics.reconcileTime.observe({ controller: this.name }, (this.clock.now() - started) / 1000);
  }
}

// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection package:
// acquire when the lease is free or its holder has not renewed for leaseDuration (measured on
// our own clock from when we last saw the record change, so clock skew between nodes does not
// matter), renew every retryPeriod, give up leadership when renewals fail for renewDeadline, and
// release on shutdown (empty holder, 1 s duration) so a standby takes over at once.
// A standby also watches the Lease, so a release is noticed without waiting for its next poll.
//
// Two timings keep two leaders from ever writing at once. A standby counts a holder's lease from
// the moment its read of the record returned (never from before the read: a slow read would make
// the lease look older than it is). The leader counts from the moment its renew attempt began, and
// fences its own writes (write-gate.ts) before that start + leaseDuration: the earliest a standby
// can take over. One deadline bounds a whole attempt, GET and PUT together.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { delay, realClock, type Clock } from './clock.ts';
import { errorMessage, isConflict, isAlreadyExists, isNotFound } from './errors.ts';
import { Informer } from './informer.ts';
import { coreResources, resourcePath, type KubeObject } from './resource.ts';
import type { RestClient } from './rest.ts';
import type { LeadershipGate } from './write-gate.ts';

export interface LeaderElectionOptions {
  rest: RestClient;
  namespace: string;
  name: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  logger: Logger;
  clock?: Clock;
  /** leader_election_master_status{name}. */
  onStatus?: (leading: boolean) => void;
  /** Opened for the leader's writes while the lease is surely ours; revoked when it may not be. */
  gate?: LeadershipGate;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export function defaultIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

/** MicroTime wants exactly six fractional digits. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  readonly identity: string;
  readonly name: string;
  readonly namespace: string;
  private readonly rest: RestClient;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly onStatus: ((leading: boolean) => void) | undefined;
  private readonly gate: LeadershipGate | undefined;
  private readonly abort = new AbortController();
  private lastAttemptStart = 0;
  private observedRaw = '';
  private observedAt = 0;
  private observed: LeaseSpec = {};
  private leading = false;
  private loop: Promise<void> | undefined;
  private leaderWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private lostHandlers: Array<() => void> = [];
  private wake: (() => void) | undefined;
  private watcher: Informer | undefined;

  constructor(opts: LeaderElectionOptions) {
    this.rest = opts.rest;
    this.namespace = opts.namespace;
    this.name = opts.name;
    this.identity = opts.identity ?? defaultIdentity();
    this.leaseMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryMs = opts.retryPeriodMs ?? 2_000;
    this.clock = opts.clock ?? realClock;
    this.onStatus = opts.onStatus;
    this.gate = opts.gate;
    this.log = opts.logger.child({ lease: `${opts.namespace}/${opts.name}`, identity: this.identity });
    if (this.renewDeadlineMs >= this.leaseMs) throw new Error('renewDeadline must be shorter than leaseDuration');
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (this.loop) return;
    this.onStatus?.(false);
    this.watcher = new Informer({
      rest: this.rest,
      ref: coreResources.leases,
      namespace: this.namespace,
      fieldSelector: `metadata.name=${this.name}`,
      logger: this.log,
      resyncPeriodMs: 0,
    });
    this.watcher.addEventHandler({ onAdd: () => this.wake?.(), onUpdate: () => this.wake?.(), onDelete: () => this.wake?.() });
    this.watcher.start();
    this.loop = this.run(this.abort.signal).catch((err: unknown) => {
      this.log.error({ err: errorMessage(err) }, 'leader election loop failed');
    });
  }

  /** Resolves once this instance leads; rejects when stopped first. */
  whenLeading(): Promise<void> {
    if (this.leading) return Promise.resolve();
    return new Promise((resolve, reject) => this.leaderWaiters.push({ resolve, reject }));
  }

  /** Called once if leadership is lost (renewals failed for renewDeadline). */
  onLost(fn: () => void): void {
    this.lostHandlers.push(fn);
  }

  /** Stops campaigning and renewing; a leader releases the lease. Call after the work it guarded stopped. */
  async stop(): Promise<void> {
    this.gate?.revoke('leader election stopped');
    this.abort.abort(new Error('leader election stopped'));
    this.wake?.();
    await this.loop;
    await this.watcher?.stop();
    for (const w of this.leaderWaiters.splice(0)) w.reject(new Error('leader election stopped before this instance became leader'));
    if (this.leading) {
      this.leading = false;
      await this.release().catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'could not release the lease'));
      this.onStatus?.(false);
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    // Campaign.
    while (!signal.aborted) {
      if (await this.attempt(this.retryMs * 2)) break;
      // Try again right when the holder's lease runs out, rather than up to a retry period later.
      const untilExpiry = this.observedAt + (this.observed.leaseDurationSeconds ?? this.leaseMs / 1000) * 1000 - this.clock.now();
      let wait = this.retryMs * (1 + 0.2 * Math.random());
      if (this.observedAt > 0 && untilExpiry > 0) wait = Math.min(wait, untilExpiry + 50);
      await this.sleepOrWake(wait, signal);
    }
    if (signal.aborted) return;
    this.leading = true;
    this.onStatus?.(true);
    this.log.info('became leader');
    for (const w of this.leaderWaiters.splice(0)) w.resolve();
    // Renew. Counted from the start of the attempt that succeeded, as the fence is.
    let lastRenew = this.lastAttemptStart;
    while (!signal.aborted) {
      try {
        await delay(this.retryMs, signal, this.clock);
      } catch {
        return;
      }
      let renewed = false;
      while (!signal.aborted && !renewed) {
        const left = lastRenew + this.renewDeadlineMs - this.clock.now();
        if (left <= 0) break;
        renewed = await this.attempt(left);
        if (!renewed) await delay(Math.min(this.retryMs / 2, Math.max(0, left)), signal, this.clock).catch(() => undefined);
      }
      if (signal.aborted) return;
      if (!renewed) {
        this.gate?.revoke('the lease could not be renewed in time');
        this.leading = false;
        this.onStatus?.(false);
        this.log.error({ renewDeadlineMs: this.renewDeadlineMs }, 'leader election lost: could not renew the lease in time');
        for (const fn of this.lostHandlers) fn();
        return;
      }
      lastRenew = this.lastAttemptStart;
    }
  }

  private sleepOrWake(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(ms, done);
      const onAbort = (): void => done();
      signal.addEventListener('abort', onAbort, { once: true });
      this.wake = done;
      function done(): void {
        timer.cancel();
        signal.removeEventListener('abort', onAbort);
        resolve();
      }
    });
  }

  /** One try to acquire or renew; false when someone else holds a live lease, on a conflict, or on error. */
  private async attempt(timeoutMs: number): Promise<boolean> {
    const start = this.clock.now();
    const deadline = start + Math.max(500, timeoutMs);
    try {
      const won = await this.tryAcquireOrRenew(deadline);
      if (won) {
        this.lastAttemptStart = start;
        // The margin, half the slack between renew deadline and lease duration, absorbs clocks
        // that run at slightly different rates; the renew deadline still comes first.
        this.gate?.extend(start + this.leaseMs - (this.leaseMs - this.renewDeadlineMs) / 2);
      }
      return won;
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'lease request failed');
      return false;
    }
  }

  private async tryAcquireOrRenew(deadline: number): Promise<boolean> {
    const path = resourcePath(coreResources.leases, this.namespace, this.name);
    const left = (): number => {
      const ms = deadline - this.clock.now();
      if (ms <= 0) throw new Error('lease attempt ran past its deadline');
      return ms;
    };
    const now = this.clock.now();
    const mine = (prior: LeaseSpec): LeaseSpec => ({
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseMs / 1000),
      acquireTime: prior.holderIdentity === this.identity && prior.acquireTime ? prior.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (prior.leaseTransitions ?? 0) + (prior.holderIdentity === this.identity || prior.holderIdentity === undefined ? 0 : 1),
    });
    let lease: Lease;
    try {
      lease = await this.rest.request<Lease>('GET', path, { timeoutMs: left() });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const spec = mine({});
      try {
        await this.rest.request('POST', resourcePath(coreResources.leases, this.namespace), {
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: this.namespace }, spec },
          timeoutMs: left(),
        });
      } catch (e) {
        if (isAlreadyExists(e)) return false;
        throw e;
      }
      this.observe(spec, this.clock.now());
      return true;
    }
    const spec = lease.spec ?? {};
    const readAt = this.clock.now();
    const raw = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.acquireTime, spec.leaseDurationSeconds]);
    if (raw !== this.observedRaw) {
      this.observedRaw = raw;
      this.observed = spec;
      this.observedAt = readAt;
    }
    const holder = spec.holderIdentity ?? '';
    const durationMs = (spec.leaseDurationSeconds ?? Math.ceil(this.leaseMs / 1000)) * 1000;
    if (holder !== '' && holder !== this.identity && this.observedAt + durationMs > readAt) return false;
    const next = mine(spec);
    try {
      await this.rest.request('PUT', path, { body: { ...lease, spec: next }, timeoutMs: left() });
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
    if (holder !== this.identity) this.log.info({ previous: holder || '(released)' }, 'acquired the lease');
    this.observe(next, this.clock.now());
    return true;
  }

  private observe(spec: LeaseSpec, at: number): void {
    this.observed = spec;
    this.observedRaw = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.acquireTime, spec.leaseDurationSeconds]);
    this.observedAt = at;
  }

  private async release(): Promise<void> {
    const path = resourcePath(coreResources.leases, this.namespace, this.name);
    const lease = await this.rest.request<Lease>('GET', path, { timeoutMs: 5_000 });
    if (lease.spec?.holderIdentity !== this.identity) return;
    const now = microTime(this.clock.now());
    await this.rest.request('PUT', path, {
      body: { ...lease, spec: { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: this.observed.leaseTransitions ?? lease.spec.leaseTransitions ?? 0 } },
      timeoutMs: 5_000,
    });
    this.log.info('released the lease');
  }
}

// Whether the API server serves a kind that may come and go at run time (a CRD of another project,
// such as the Prometheus Operator's ServiceMonitor), without a restart. The answer comes from API
// discovery (`GET /apis/<group>/<version>`); a watch on that one CustomResourceDefinition (a field
// selector on its name, so RBAC may limit it to that name) says when to ask again. Discovery lags
// the CRD's Established condition a little, so while the two disagree the check is repeated a few
// times with backoff.
import type { Logger } from 'pino';
import { Backoff } from './backoff.ts';
import { delay, realClock, type Clock } from './clock.ts';
import { errorMessage, isNotFound } from './errors.ts';
import { Informer, type InformerTuning } from './informer.ts';
import type { Runnable } from './manager.ts';
import { apiVersionOf, resource, resourceName, type KubeObject, type ResourceRef } from './resource.ts';
import type { RestClient } from './rest.ts';

export const customResourceDefinitions = resource('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false);

export interface KindAvailabilityOptions {
  rest: RestClient;
  /** The kind to look for, e.g. monitoring.coreos.com/v1 servicemonitors. */
  ref: ResourceRef;
  logger: Logger;
  clock?: Clock;
  tuning?: InformerTuning;
  /** Re-checks while discovery and the CRD disagree (default 10), 250 ms doubling to 5 s. */
  settleAttempts?: number;
}

interface DiscoveryList {
  resources?: Array<{ name?: string }>;
}

interface CrdLike {
  spec?: { versions?: Array<{ name?: string; served?: boolean }> };
  status?: { conditions?: Array<{ type?: string; status?: string }> };
}

/** Whether the CRD object says the version is served and the CRD is Established. */
function crdServes(crd: KubeObject | undefined, version: string): boolean {
  const c = crd as CrdLike | undefined;
  if (!c) return false;
  const established = c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') === true;
  return established && (c.spec?.versions ?? []).some((v) => v.name === version && v.served === true);
}

export class KindAvailability implements Runnable {
  readonly name: string;
  /** Not leader-only: a standby keeps the answer warm, as it keeps its caches. */
  readonly needLeaderElection = false;
  private readonly opts: KindAvailabilityOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly crds: Informer;
  private readonly listeners: Array<(served: boolean) => void> = [];
  private knownWaiters: Array<() => void> = [];
  private current: boolean | undefined;
  private firstCheckDone = false;
  private wake: (() => void) | undefined;
  private pending = true;

  constructor(opts: KindAvailabilityOptions) {
    this.opts = opts;
    this.name = `availability of ${resourceName(opts.ref)}`;
    this.log = opts.logger.child({ kind: `${apiVersionOf(opts.ref)}/${opts.ref.kind}` });
    this.clock = opts.clock ?? realClock;
    this.crds = new Informer({
      rest: opts.rest,
      ref: customResourceDefinitions,
      fieldSelector: `metadata.name=${resourceName(opts.ref)}`,
      logger: opts.logger,
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...opts.tuning,
    });
    const kick = (): void => this.kick();
    this.crds.addEventHandler({ onAdd: kick, onUpdate: kick, onDelete: kick });
  }

  /** The last answer; undefined before the first one. */
  get served(): boolean | undefined {
    return this.current;
  }

  /**
   * The answer once the first check is over: true or false, or undefined when discovery failed (it
   * keeps trying; a later answer is announced through onChange).
   */
  whenKnown(signal?: AbortSignal): Promise<boolean | undefined> {
    if (this.firstCheckDone) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.knownWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.current);
      });
    });
  }

  /** Called on every change of the answer (not on the first one). */
  onChange(listener: (served: boolean) => void): void {
    this.listeners.push(listener);
  }

  async start(signal: AbortSignal): Promise<void> {
    this.crds.start();
    try {
      await this.loop(signal);
    } finally {
      await this.crds.stop();
    }
  }

  private kick(): void {
    this.pending = true;
    this.wake?.();
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const errors = new Backoff({ initialMs: 500, maxMs: 30_000, jitter: 0.5 });
    const settle = new Backoff({ initialMs: 250, maxMs: 5_000 });
    let settleLeft = 0;
    while (!signal.aborted) {
      if (!this.pending) {
        await new Promise<void>((resolve) => {
          const onAbort = (): void => resolve();
          signal.addEventListener('abort', onAbort, { once: true });
          this.wake = () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          };
        });
        this.wake = undefined;
        if (signal.aborted) return;
      }
      this.pending = false;
      let served: boolean;
      try {
        served = await this.discover(signal);
      } catch (err) {
        if (signal.aborted) return;
        const wait = errors.next(this.clock.now());
        this.log.warn({ err: errorMessage(err), retryInMs: Math.round(wait) }, 'API discovery failed; retrying');
        this.finishFirstCheck();
        this.pending = true;
        await delay(wait, signal, this.clock).catch(() => undefined);
        continue;
      }
      errors.reset();
      this.set(served);
      // Right after a CRD is created (or deleted) discovery may not show it yet: ask again a few times.
      const crdSays = this.crds.hasSynced ? crdServes(this.crds.store.list()[0], this.opts.ref.version) : served;
      if (crdSays !== served) {
        if (settleLeft === 0) settleLeft = this.opts.settleAttempts ?? 10;
        settleLeft--;
        if (settleLeft > 0) {
          await delay(settle.next(this.clock.now()), signal, this.clock).catch(() => undefined);
          this.pending = true;
        }
      } else {
        settleLeft = 0;
        settle.reset();
      }
    }
  }

  private async discover(signal: AbortSignal): Promise<boolean> {
    const { group, version, plural } = this.opts.ref;
    const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    try {
      const list = await this.opts.rest.request<DiscoveryList>('GET', path, { signal, timeoutMs: 15_000 });
      return (list.resources ?? []).some((r) => r.name === plural);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Lets those waiting for the first answer go on, with whatever is known. */
  private finishFirstCheck(): void {
    if (this.firstCheckDone) return;
    this.firstCheckDone = true;
    for (const w of this.knownWaiters.splice(0)) w();
  }

  private set(served: boolean): void {
    const before = this.current;
    this.current = served;
    if (!this.firstCheckDone) {
      this.log.info({ served }, served ? 'kind is served' : 'kind is not served; watching for its CRD');
      this.finishFirstCheck();
      return;
    }
    if (before === served) return;
    this.log.info({ served }, served ? 'kind is now served' : before === undefined ? 'kind is not served; watching for its CRD' : 'kind is no longer served');
    for (const l of this.listeners) {
      try {
        l(served);
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'availability listener threw');
      }
    }
  }
}

// An informer for one kind in one scope (a namespace, or all): list, then watch from the list's
// resourceVersion, and keep a Store equal to the server's state through every kind of failure.
//
// One async loop owns the connection, so a watch is always fully closed (its request destroyed)
// before the next list or watch starts: no overlapping requests, no leaked sockets.
// - 410 Gone, as an HTTP status or an in-stream ERROR event: re-list, then watch again.
// - A clean end of the stream (the server's timeoutSeconds): watch again from the last version.
// - Any other error, or a connection that closes early: exponential backoff with jitter.
// - Silence (no event, no bookmark) for `watchdogMs`: the connection is presumed dead; re-list.
// - Every `resyncPeriodMs`: every cached object is delivered again as an update.
import type { Logger } from 'pino';
import { Backoff, reflectorBackoff, type BackoffOptions } from './backoff.ts';
import { Store, type StoreEvent } from './store.ts';
import { delay, realClock, type Clock, type Timer } from './clock.ts';
import { ApiError, errorMessage, isGone, WatchStalledError } from './errors.ts';
import { resourceName, resourcePath, type KubeObject, type ObjectList, type ResourceRef } from './resource.ts';
import type { RestClient } from './rest.ts';

export interface EventHandler {
  onAdd?(obj: KubeObject): void;
  onUpdate?(old: KubeObject, obj: KubeObject): void;
  /** `finalStateUnknown`: seen only by a re-list; obj is the last version the cache had. */
  onDelete?(obj: KubeObject, finalStateUnknown: boolean): void;
}

export interface InformerTuning {
  /** Re-list when neither event nor bookmark came for this long. The API server sends a bookmark
   * about once a minute to a watch that asked for them, so keep this well above a minute. */
  watchdogMs?: number;
  /** Deliver every cached object again as an update this often (0: never). */
  resyncPeriodMs?: number;
  /** Server-side watch timeout, picked at random in [min, max] seconds for each watch. */
  watchTimeoutSeconds?: [number, number];
  backoff?: BackoffOptions;
  pageSize?: number;
}

export interface InformerOptions extends InformerTuning {
  rest: RestClient;
  ref: ResourceRef;
  /** '' for every namespace (and for cluster-scoped kinds). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  logger: Logger;
  clock?: Clock;
  random?: () => number;
}

export interface InformerStats {
  lists: number;
  watches: number;
  /** Re-lists forced by 410 Gone (status or ERROR event). */
  gone: number;
  watchdogFired: number;
  /** Failed lists or watches followed by a backoff. */
  failures: number;
  resyncs: number;
  events: number;
  lastEventAt: number;
}

export const defaultInformerTuning: Required<Omit<InformerTuning, 'backoff'>> & { backoff: BackoffOptions } = {
  watchdogMs: 180_000,
  resyncPeriodMs: 10 * 60 * 60 * 1000,
  watchTimeoutSeconds: [300, 600],
  backoff: reflectorBackoff,
  pageSize: 500,
};

interface WatchEvent {
  type?: string;
  object?: KubeObject & { code?: number; reason?: string; message?: string };
}

export class Informer {
  readonly ref: ResourceRef;
  readonly namespace: string;
  /** The label selector every list and watch of this informer sends ('' for none). */
  readonly labelSelector: string;
  readonly store = new Store();
  readonly stats: InformerStats = { lists: 0, watches: 0, gone: 0, watchdogFired: 0, failures: 0, resyncs: 0, events: 0, lastEventAt: 0 };
  private readonly opts: InformerOptions & typeof defaultInformerTuning;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly handlers: EventHandler[] = [];
  private readonly backoff: Backoff;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private resyncTimer: Timer | undefined;
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private resourceVersion = '';

  constructor(opts: InformerOptions) {
    this.opts = { ...defaultInformerTuning, ...opts };
    this.ref = opts.ref;
    this.namespace = opts.ref.namespaced ? (opts.namespace ?? '') : '';
    this.labelSelector = opts.labelSelector ?? '';
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.backoff = new Backoff({ ...this.opts.backoff, random: this.random });
    this.log = opts.logger.child({ informer: resourceName(this.ref), namespace: this.namespace || '*' });
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  get running(): boolean {
    return this.loop !== undefined;
  }

  /** Adds a handler; when the informer has synced already, the handler gets an add for every cached object. */
  addEventHandler(h: EventHandler): void {
    this.handlers.push(h);
    if (this.synced) for (const obj of this.store.list()) this.call(h, { type: 'add', obj });
  }

  start(): void {
    if (this.loop) return;
    const abort = new AbortController();
    this.abort = abort;
    this.loop = this.run(abort.signal);
    this.scheduleResync();
  }

  /** Stops the loop and waits until its request is destroyed. */
  async stop(): Promise<void> {
    this.abort?.abort(new Error('informer stopped'));
    this.resyncTimer?.cancel();
    this.resyncTimer = undefined;
    await this.loop;
    this.loop = undefined;
    this.abort = undefined;
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  private async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.listAndReplace(signal);
          needList = false;
        }
        const began = this.clock.now();
        await this.watch(signal);
        // A clean end is the server's timeoutSeconds; one that comes at once means something
        // between us and the server is closing streams, so do not spin.
        if (this.clock.now() - began < 1000) await delay(this.backoff.next(this.clock.now()), signal, this.clock);
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          this.stats.gone++;
          this.log.info({ resourceVersion: this.resourceVersion }, 'resource version too old (410 Gone); re-listing');
          needList = true;
          continue;
        }
        if (err instanceof WatchStalledError) {
          this.stats.watchdogFired++;
          this.opts.rest.dropIdleConnections();
          this.log.warn({ watchdogMs: this.opts.watchdogMs }, 'watch silent for the whole watchdog period; re-listing');
          needList = true;
          continue;
        }
        this.stats.failures++;
        const wait = this.backoff.next(this.clock.now());
        this.log.warn({ err: errorMessage(err), retryInMs: Math.round(wait), phase: needList ? 'list' : 'watch' }, 'informer connection failed; retrying');
        try {
          await delay(wait, signal, this.clock);
        } catch {
          break;
        }
      }
    }
  }

  private async listAndReplace(signal: AbortSignal): Promise<void> {
    this.stats.lists++;
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page: ObjectList = await this.opts.rest.request<ObjectList>('GET', resourcePath(this.ref, this.namespace), {
        query: { limit: this.opts.pageSize, continue: cont, labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector },
        signal,
      });
      for (const item of page.items) {
        // List items carry no apiVersion/kind; watch events do. Make cached objects uniform.
        if (item.apiVersion === undefined && page.apiVersion !== undefined) item.apiVersion = page.apiVersion;
        if (item.kind === undefined && page.kind?.endsWith('List')) item.kind = page.kind.slice(0, -4);
        items.push(item);
      }
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion ?? '';
    } while (cont !== undefined);
    this.resourceVersion = rv;
    this.noteActivity();
    for (const ev of this.store.replace(items)) this.dispatch(ev);
    if (!this.synced) {
      this.synced = true;
      this.log.debug({ count: items.length }, 'informer synced');
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private async watch(signal: AbortSignal): Promise<void> {
    this.stats.watches++;
    const [min, max] = this.opts.watchTimeoutSeconds;
    const timeoutSeconds = Math.floor(min + this.random() * (max - min + 1));
    let streamError: Error | undefined;
    const local = new AbortController();
    const onLine = (line: string): void => {
      if (streamError) return;
      let ev: WatchEvent;
      try {
        ev = JSON.parse(line) as WatchEvent;
      } catch {
        streamError = new Error(`undecodable watch line: ${line.slice(0, 200)}`);
        local.abort(streamError);
        return;
      }
      this.noteActivity();
      const obj = ev.object;
      switch (ev.type) {
        case 'ADDED':
        case 'MODIFIED':
          if (!obj) return;
          this.resourceVersion = obj.metadata.resourceVersion ?? this.resourceVersion;
          this.dispatch(this.store.upsert(obj));
          return;
        case 'DELETED':
          if (!obj) return;
          this.resourceVersion = obj.metadata.resourceVersion ?? this.resourceVersion;
          this.dispatch(this.store.remove(obj));
          return;
        case 'BOOKMARK':
          this.resourceVersion = obj?.metadata?.resourceVersion ?? this.resourceVersion;
          return;
        case 'ERROR':
          streamError = new ApiError(obj?.code ?? 500, obj?.reason ?? 'Unknown', obj?.message ?? '', 'WATCH', resourcePath(this.ref, this.namespace));
          local.abort(streamError);
          return;
        default:
          return;
      }
    };
    try {
      await this.opts.rest.stream(
        resourcePath(this.ref, this.namespace),
        {
          watch: 1,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds,
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
        },
        onLine,
        { signal: AbortSignal.any([signal, local.signal]), inactivityMs: this.opts.watchdogMs },
      );
    } catch (err) {
      throw streamError ?? err;
    }
    if (streamError) throw streamError;
  }

  private noteActivity(): void {
    this.stats.lastEventAt = this.clock.now();
  }

  private scheduleResync(): void {
    const period = this.opts.resyncPeriodMs;
    if (period <= 0) return;
    this.resyncTimer = this.clock.setTimer(period, () => {
      if (!this.abort || this.abort.signal.aborted) return;
      if (this.synced) {
        this.stats.resyncs++;
        for (const obj of this.store.list()) for (const h of this.handlers) this.call(h, { type: 'update', old: obj, obj });
      }
      this.scheduleResync();
    });
  }

  private dispatch(ev: StoreEvent | undefined): void {
    if (!ev) return;
    this.stats.events++;
    for (const h of this.handlers) this.call(h, ev);
  }

  private call(h: EventHandler, ev: StoreEvent): void {
    try {
      if (ev.type === 'add') h.onAdd?.(ev.obj);
      else if (ev.type === 'update') h.onUpdate?.(ev.old, ev.obj);
      else h.onDelete?.(ev.obj, ev.finalStateUnknown);
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'event handler threw');
    }
  }
}

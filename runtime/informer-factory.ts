// One shared informer per kind and scope, and the read-only cache that reconcilers use.
// With no namespaces configured a kind gets one cluster-wide informer; with `--namespaces` it gets
// one per namespace, and reads outside them are refused rather than silently empty.
// A kind may be restricted to a label selector (controller-runtime's cache ByObject.Label): its
// list and watch ask the API server for matching objects only, so memory follows what the
// operator owns rather than everything of that kind in the cluster. A restricted cache cannot
// prove an object absent (it may exist without the label): see `complete()`.
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import { Informer, type EventHandler, type InformerTuning } from './informer.ts';
import type { LabelSelector } from './labels.ts';
import { objectKey, resourceName, type KubeObject, type ResourceRef } from './resource.ts';
import type { RestClient } from './rest.ts';

/** What a reconciler reads: the informers' caches, never the API server. */
export interface CacheReader {
  /** Starts the kind's informer on first use and waits for its first list. */
  get(ref: ResourceRef, namespace: string, name: string): Promise<KubeObject | undefined>;
  list(ref: ResourceRef, namespace?: string, selector?: LabelSelector): Promise<KubeObject[]>;
}

export interface InformerFactoryOptions {
  rest: RestClient;
  logger: Logger;
  /** Namespaces to watch; empty for all. */
  namespaces?: string[];
  tuning?: InformerTuning;
  clock?: Clock;
}

/** What a restricted cache holds: the objects the API server's list and watch return for these. */
export interface CacheSelectors {
  labelSelector?: string;
  fieldSelector?: string;
}

export class InformerFactory implements CacheReader {
  private readonly opts: InformerFactoryOptions;
  private readonly byKind = new Map<string, Informer[]>();
  private readonly selectors = new Map<string, CacheSelectors>();
  private started = false;

  constructor(opts: InformerFactoryOptions) {
    this.opts = opts;
  }

  get namespaces(): string[] {
    return this.opts.namespaces ?? [];
  }

  /**
   * Caches only objects of this kind that match the selectors (the API server filters lists and
   * watches). Call before anything uses the kind: an informer already opened without them would
   * hold everything.
   */
  restrict(ref: ResourceRef, selectors: CacheSelectors): void {
    const kind = resourceName(ref);
    if ([...this.byKind.keys()].some((id) => id.startsWith(`${kind}/`))) throw new Error(`restrict(${kind}) after its informer was created`);
    this.selectors.set(kind, selectors);
  }

  /** Whether the cache holds every object of the kind in scope, so a miss means "absent". */
  complete(ref: ResourceRef): boolean {
    return this.watches(ref) && !this.selectors.has(resourceName(ref));
  }

  /** The informers that together cover `ref` in the configured scope (created on first call). */
  informersFor(ref: ResourceRef): Informer[] {
    const id = `${resourceName(ref)}/${ref.version}`;
    let list = this.byKind.get(id);
    if (list === undefined) {
      const scopes = ref.namespaced && this.namespaces.length > 0 ? this.namespaces : [''];
      const { labelSelector, fieldSelector } = this.selectors.get(resourceName(ref)) ?? {};
      list = scopes.map(
        (namespace) =>
          new Informer({
            rest: this.opts.rest,
            ref,
            namespace,
            ...(labelSelector !== undefined ? { labelSelector } : {}),
            ...(fieldSelector !== undefined ? { fieldSelector } : {}),
            logger: this.opts.logger,
            ...(this.opts.clock ? { clock: this.opts.clock } : {}),
            ...this.opts.tuning,
          }),
      );
      this.byKind.set(id, list);
      if (this.started) for (const i of list) i.start();
    }
    return list;
  }

  addEventHandler(ref: ResourceRef, handler: EventHandler): void {
    for (const i of this.informersFor(ref)) i.addEventHandler(handler);
  }

  all(): Informer[] {
    return [...this.byKind.values()].flat();
  }

  start(): void {
    this.started = true;
    for (const i of this.all()) i.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all(this.all().map((i) => i.stop()));
  }

  get hasSynced(): boolean {
    return this.all().every((i) => i.hasSynced);
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all(this.all().map((i) => i.waitForSync(signal)));
  }

  /** The cached object when the covering informer has synced; `synced: false` otherwise. */
  peek(ref: ResourceRef, namespace: string, name: string): { synced: boolean; obj: KubeObject | undefined } {
    const informer = this.informerFor(ref, namespace);
    if (!informer || !informer.hasSynced) return { synced: false, obj: undefined };
    return { synced: true, obj: informer.store.get(objectKey(ref.namespaced ? namespace : '', name)) };
  }

  /** Whether an informer for this kind exists (the writer only trusts kinds someone watches). */
  watches(ref: ResourceRef): boolean {
    return this.byKind.has(`${resourceName(ref)}/${ref.version}`);
  }

  async get(ref: ResourceRef, namespace: string, name: string): Promise<KubeObject | undefined> {
    const informer = this.informerFor(ref, namespace, true);
    if (!informer) throw new Error(`namespace ${namespace} is outside the namespaces this manager watches (${this.namespaces.join(', ')})`);
    await informer.waitForSync();
    return informer.store.get(objectKey(ref.namespaced ? namespace : '', name));
  }

  async list(ref: ResourceRef, namespace = '', selector?: LabelSelector): Promise<KubeObject[]> {
    const informers = this.informersFor(ref);
    if (!this.started) throw new Error('the informer factory has not been started');
    const out: KubeObject[] = [];
    for (const i of informers) {
      if (ref.namespaced && namespace !== '' && i.namespace !== '' && i.namespace !== namespace) continue;
      await i.waitForSync();
      out.push(...i.store.list(ref.namespaced ? namespace : '', selector));
    }
    if (ref.namespaced && namespace !== '' && this.namespaces.length > 0 && !this.namespaces.includes(namespace)) {
      throw new Error(`namespace ${namespace} is outside the namespaces this manager watches (${this.namespaces.join(', ')})`);
    }
    return out;
  }

  private informerFor(ref: ResourceRef, namespace: string, create = false): Informer | undefined {
    if (!create && !this.watches(ref)) return undefined;
    if (create && !this.started) throw new Error('the informer factory has not been started');
    const informers = this.informersFor(ref);
    if (!ref.namespaced) return informers[0];
    return informers.find((i) => i.namespace === '' || i.namespace === namespace);
  }
}

// Client: the one writer. Everything the operator sends to the API server goes through it, in one of
// two views the manager hands out: the controllers' (and their Events'), whose writes pass the
// lease's WriteGate, and an ungated one for what every replica does (webhook registration, the
// certificate Secret, the CA bundle, the scaling API, admission's reads). Every write is
// idempotent and skipped when it would change nothing: an idle operator sends no writes at all.
// - apply(): server-side apply with one field manager, forced (the operator owns what it sets).
//   Skipped when the desired fields are already a subset of the live object (from the informer
//   cache when the kind is watched, else one GET). A hash of the desired object is kept in an
//   annotation, so removing a field from the desired object is noticed too (a subset test
//   alone cannot see a removal).
// - patchStatus(): replaces the status a controller computed whole, by JSON patch guarded by the
//   object's uid rather than its resourceVersion (controller-runtime's client.MergeFrom without
//   the optimistic lock): one controller owns the status and writes it from its newest cache, so
//   the last write is the right one, and a cache a moment behind costs no 409 and no re-read.
// - update(): read fresh, mutate, PUT with the resourceVersion; 409 → read again.
// - create(), patch(): one request each, as given; a patch that names a resourceVersion is refused
//   with 409 when the object moved on, which is how a caller writes only over what it read.
// - delete(): skipped when the cache knows the object is gone.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ApiError, ConflictError, isAlreadyExists, isConflict, isNotFound, NotControlledError } from './errors.ts';
import type { InformerFactory } from './informer-factory.ts';
import { isRecord, jsonEqual, stableStringify, type JsonPatchOperation } from './json.ts';
import { resourcePath, type KubeObject, type ResourceRef } from './resource.ts';
import type { RequestOptions, RestClient } from './rest.ts';
import type { WriteGate } from './write-gate.ts';

export const defaultFieldManager = 'engula-operator';
/** Server-side apply, forced: the operator owns the fields it sets. */
const APPLY = { contentType: 'application/apply-patch+yaml', force: true } as const;
export const defaultHashAnnotation = 'operator-runtime/applied-hash';

export interface ClientOptions {
  rest: RestClient;
  /** Cache consulted before a write; kinds it does not watch are read with a GET. */
  cache?: InformerFactory;
  fieldManager?: string;
  /** Annotation that holds the hash of the last applied desired object ('' turns it off). */
  hashAnnotation?: string;
  /** Extra attempts after a 409 (default 5). */
  conflictRetries?: number;
  /** Writes are sent only while the gate admits them (the leader's view); none: every replica's. */
  gate?: WriteGate;
}

/** How patch() sends its body: a JSON patch (RFC 6902) or a JSON merge patch (RFC 7386). */
export type Patch = { type: 'json'; ops: JsonPatchOperation[] } | { type: 'merge'; body: Record<string, unknown> };

const PATCH_CONTENT_TYPES = { json: 'application/json-patch+json', merge: 'application/merge-patch+json' } as const;

export interface WriteResult {
  obj: KubeObject | undefined;
  /** False when no request was needed. */
  changed: boolean;
}

/** How many of its own object writes a Client remembers. An echo comes back within a watch
 * round trip; one that arrives after its entry was pushed out costs a reconcile, nothing more. */
const OWN_WRITES_REMEMBERED = 4096;

export class Client {
  readonly rest: RestClient;
  readonly fieldManager: string;
  private readonly cache: InformerFactory | undefined;
  private readonly hashAnnotation: string;
  private readonly retries: number;
  private readonly gate: WriteGate | undefined;
  /** uid@resourceVersion of each object (not status) this client wrote: one version of one object. */
  private readonly ownWrites = new LRUCache<string, true>({ max: OWN_WRITES_REMEMBERED });
  /** The newest object write out to each path, until it returns. */
  private readonly writesOut = new Map<string, Promise<unknown>>();

  constructor(opts: ClientOptions) {
    this.rest = opts.rest;
    this.cache = opts.cache;
    this.fieldManager = opts.fieldManager ?? defaultFieldManager;
    this.hashAnnotation = opts.hashAnnotation ?? defaultHashAnnotation;
    this.retries = opts.conflictRetries ?? 5;
    this.gate = opts.gate;
  }

  /** A fresh read from the API server; undefined when absent. */
  async get(ref: ResourceRef, namespace: string, name: string, signal?: AbortSignal): Promise<KubeObject | undefined> {
    try {
      return await this.request<KubeObject>('GET', resourcePath(ref, namespace, name), { signal });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Creates `obj` as given; an existing namesake is the API server's 409 AlreadyExists. */
  async create(ref: ResourceRef, obj: KubeObject, signal?: AbortSignal): Promise<KubeObject> {
    const { obj: created } = await this.send('POST', resourcePath(ref, obj.metadata.namespace ?? ''), obj, signal);
    return created as KubeObject;
  }

  /** One patch, sent as given, under this client's field manager unless `fieldManager` names another
   * (the scaling API's writes are its own in managedFields). Throws the API server's refusal. */
  async patch(ref: ResourceRef, namespace: string, name: string, patch: Patch, opts: { signal?: AbortSignal; fieldManager?: string } = {}): Promise<KubeObject> {
    const body = patch.type === 'json' ? patch.ops : patch.body;
    const { obj } = await this.send('PATCH', resourcePath(ref, namespace, name), body, opts.signal, { contentType: PATCH_CONTENT_TYPES[patch.type], ...(opts.fieldManager ? { fieldManager: opts.fieldManager } : {}) });
    return obj as KubeObject;
  }

  /** Server-side apply of `desired` (apiVersion, kind, metadata.name/namespace and the fields the
   * operator owns), unless the live object already has them. */
  async apply(ref: ResourceRef, desired: KubeObject, signal?: AbortSignal): Promise<WriteResult> {
    const { name, namespace } = nameOf(desired);
    const body = this.withHash(desired);
    const compare = { ...body } as KubeObject;
    delete compare.status;
    const controller = desired.metadata.ownerReferences?.find((r) => r.controller === true);
    for (let attempt = 0; ; attempt++) {
      let live = await this.current(ref, namespace, name, attempt > 0, signal);
      if (controller !== undefined) {
        // A cache restricted to our label cannot prove absence: an object without it may be there.
        // The first write is a create-only apply instead of a GET and an apply: one request, and
        // when the name is taken, a 409 and a read of whose it is.
        if (live === undefined && attempt === 0 && this.cache?.watches(ref) && !this.cache.complete(ref)) {
          try {
            return await this.send('PATCH', resourcePath(ref, namespace, name), createOnly(body), signal, APPLY);
          } catch (err) {
            if (!isConflict(err)) throw err;
          }
          live = await this.get(ref, namespace, name, signal);
        }
        if (live !== undefined && !live.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === controller.uid)) {
          const holder = live.metadata.ownerReferences?.find((r) => r.controller === true);
          throw new NotControlledError(desired.kind ?? ref.kind, namespace, name, holder ? `${holder.kind} ${holder.name}` : undefined);
        }
      }
      if (live !== undefined && isSubset(compare, live)) {
        return { obj: live, changed: false };
      }
      try {
        return await this.send('PATCH', resourcePath(ref, namespace, name), body, signal, APPLY);
      } catch (err) {
        if (!this.retryable(err, attempt)) throw wrapConflict(err);
      }
    }
  }

  /**
   * Sets the status of `live` (the object as the reconcile read it) to `status`, unless it already
   * is. The `test` of the uid makes a namesake created since then refuse the patch (422), reported
   * like an absent object (its own reconcile writes its status); any other refusal is thrown.
   */
  async patchStatus(ref: ResourceRef, live: KubeObject, status: unknown, signal?: AbortSignal): Promise<WriteResult> {
    const { name, namespace } = nameOf(live);
    if (jsonEqual(status, live.status)) {
      return { obj: live, changed: false };
    }
    const uid = live.metadata.uid;
    const body = [...(uid !== undefined ? [{ op: 'test', path: '/metadata/uid', value: uid }] : []), { op: 'add', path: '/status', value: status }];
    try {
      return await this.send('PATCH', resourcePath(ref, namespace, name, 'status'), body, signal, { contentType: 'application/json-patch+json' });
    } catch (err) {
      if (isNotFound(err)) return { obj: undefined, changed: false };
      // 422 is also a status the schema refuses: only a namesake (another uid, or none) is "absent".
      if (err instanceof ApiError && err.statusCode === 422 && uid !== undefined) {
        const now = await this.get(ref, namespace, name, signal);
        if (now?.metadata.uid !== uid) return { obj: undefined, changed: false };
      }
      throw err;
    }
  }

  /** Read fresh, let `mutate` change a copy, PUT it with the read resourceVersion; a 409 starts
   * over from a new read. No request when `mutate` changed nothing or the object is absent. */
  async update(ref: ResourceRef, namespace: string, name: string, mutate: (draft: KubeObject) => void | Promise<void>, signal?: AbortSignal): Promise<WriteResult> {
    for (let attempt = 0; ; attempt++) {
      const live = await this.current(ref, namespace, name, attempt > 0, signal);
      if (live === undefined) return { obj: undefined, changed: false };
      const draft = structuredClone(live);
      await mutate(draft);
      if (jsonEqual(draft, live)) {
        return { obj: live, changed: false };
      }
      try {
        return await this.send('PUT', resourcePath(ref, namespace, name), draft, signal);
      } catch (err) {
        if (isNotFound(err)) return { obj: undefined, changed: false };
        if (!this.retryable(err, attempt)) throw wrapConflict(err);
      }
    }
  }

  /** Deletes the object; false when it was already gone (known from the cache: no request). */
  async delete(ref: ResourceRef, namespace: string, name: string, opts: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; uid?: string; signal?: AbortSignal } = {}): Promise<boolean> {
    if (this.cache?.watches(ref)) {
      const { synced, obj } = this.cache.peek(ref, namespace, name);
      // A cache restricted by a label selector cannot tell "absent" from "not labelled".
      const gone = obj === undefined ? this.cache.complete(ref) : obj.metadata.deletionTimestamp !== undefined;
      if (synced && gone) {
        return false;
      }
    }
    try {
      await this.request('DELETE', resourcePath(ref, namespace, name), {
        body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: opts.propagationPolicy ?? 'Background', ...(opts.uid ? { preconditions: { uid: opts.uid } } : {}) },
        signal: opts.signal,
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /**
   * Whether `obj` is exactly what one of this client's object writes returned: a watch event that
   * carries it is the echo of that write, which the reconcile that made it has already seen.
   */
  isOwnWrite(obj: KubeObject): boolean {
    const { uid, resourceVersion } = obj.metadata;
    return uid !== undefined && resourceVersion !== undefined && this.ownWrites.has(`${uid}@${resourceVersion}`);
  }

  /** Settles when the newest object write to `obj` this client has out has returned (undefined: none is). */
  writesSettled(ref: ResourceRef, obj: KubeObject): Promise<void> | undefined {
    const out = this.writesOut.get(resourcePath(ref, obj.metadata.namespace ?? '', obj.metadata.name ?? ''));
    return out?.then(
      () => undefined,
      () => undefined,
    );
  }

  /** Every request of this client: through its gate, with the caller's signal. */
  private request<T>(method: string, path: string, opts: Omit<RequestOptions, 'signal' | 'gate'> & { signal: AbortSignal | undefined }): Promise<T> {
    const { signal, ...rest } = opts;
    return this.rest.request<T>(method, path, { ...rest, ...(signal ? { signal } : {}), ...(this.gate ? { gate: this.gate } : {}) });
  }

  /** One write under this client's field manager (or the one `how` names), counted as applied. */
  private async send(method: string, path: string, body: unknown, signal: AbortSignal | undefined, how: { contentType?: string; force?: boolean; fieldManager?: string } = {}): Promise<WriteResult> {
    const status = path.endsWith('/status');
    const sent = this
      .request<KubeObject>(method, path, {
        body,
        ...(how.contentType ? { contentType: how.contentType } : {}),
        query: { fieldManager: how.fieldManager ?? this.fieldManager, ...(how.force ? { force: true } : {}) },
        signal,
      })
      .then((obj) => {
        // Remembered before anyone waiting on writesSettled() hears of it.
        const { uid, resourceVersion } = obj?.metadata ?? {};
        if (!status && uid !== undefined && resourceVersion !== undefined) this.ownWrites.set(`${uid}@${resourceVersion}`, true);
        return obj;
      });
    if (!status) {
      this.writesOut.set(path, sent);
      const forget = (): void => {
        if (this.writesOut.get(path) === sent) this.writesOut.delete(path);
      };
      sent.then(forget, forget);
    }
    const obj = await sent;
    return { obj, changed: true };
  }

  /** The cached object when the cache watches the kind and has synced (and this is not a retry
   * after a conflict, which needs the server's latest version); otherwise a GET. */
  private async current(ref: ResourceRef, namespace: string, name: string, fresh: boolean, signal?: AbortSignal): Promise<KubeObject | undefined> {
    if (!fresh && this.cache?.watches(ref)) {
      const { synced, obj } = this.cache.peek(ref, namespace, name);
      if (synced) return obj;
    }
    return this.get(ref, namespace, name, signal);
  }

  private retryable(err: unknown, attempt: number): boolean {
    if (!(isConflict(err) || isAlreadyExists(err))) return false;
    return attempt < this.retries;
  }

  private withHash(desired: KubeObject): KubeObject {
    if (this.hashAnnotation === '') return desired;
    const hash = createHash('sha256').update(stableStringify(desired)).digest('hex').slice(0, 16);
    return { ...desired, metadata: { ...desired.metadata, annotations: { ...desired.metadata.annotations, [this.hashAnnotation]: hash } } };
  }
}

/**
 * An apply that only creates. The API server's update path creates an absent object without
 * looking at the resourceVersion the body names, and refuses an existing one whose version
 * differs with 409 Conflict (k8s.io/apiserver registry/generic/registry/store.go, Store.Update:
 * the existingResourceVersion == 0 branch creates; otherwise the version is a precondition).
 * "1" is never an object's version: etcd's first write is revision 2. The fields it sets are
 * owned by this client's field manager as an apply, the same as any later apply's.
 */
const CREATE_ONLY_RESOURCE_VERSION = '1';
function createOnly(body: KubeObject): KubeObject {
  return { ...body, metadata: { ...body.metadata, resourceVersion: CREATE_ONLY_RESOURCE_VERSION } };
}

function nameOf(obj: KubeObject): { name: string; namespace: string } {
  const name = obj.metadata.name;
  if (!name) throw new Error(`object of kind ${String(obj.kind)} has no metadata.name`);
  return { name, namespace: obj.metadata.namespace ?? '' };
}

function wrapConflict(err: unknown): unknown {
  if (err instanceof ApiError && err.statusCode === 409) return new ConflictError(err.message, { cause: err });
  return err;
}

/** Keys that identify an element of a list-map in the Kubernetes API (containers, env, ports,
 * volumes by name; conditions by type). */
const listMapKeys = ['name', 'type'] as const;

/**
 * Whether `live` already holds every field of `desired`: maps compare key by key (live may have
 * more keys, defaulted by the server or set by others); lists must have the same length, and
 * their elements are matched by `name`/`type` when every element has one, else by position.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === live) return true;
  if (desired === null || live === null || typeof desired !== 'object' || typeof live !== 'object') {
    return desired === undefined ? true : desired === live;
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    const key = listMapKeys.find((k) => desired.every((d) => isRecord(d) && typeof d[k] === 'string'));
    if (key !== undefined) {
      return desired.every((d) => {
        const match = live.find((l) => isRecord(l) && isRecord(d) && l[key] === d[key]);
        return match !== undefined && isSubset(d, match);
      });
    }
    return desired.every((d, i) => isSubset(d, live[i]));
  }
  if (Array.isArray(live)) return false;
  const l = live as Record<string, unknown>;
  for (const [k, v] of Object.entries(desired)) {
    if (v === undefined) continue;
    if (!isSubset(v, l[k])) return false;
  }
  return true;
}

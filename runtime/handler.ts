// Event handlers turn informer events into work-queue keys, as controller-runtime's pkg/handler:
// each asks its predicates (predicate.ts) first, then maps the object to the requests to enqueue.
import type { EventHandler } from './informer.ts';
import { allow, type Predicate } from './predicate.ts';
import type { Request } from './request.ts';
import { keyOf, objectKey, sameKind, type KubeObject, type ResourceRef } from './resource.ts';

export interface KeySink {
  add(key: string): void;
}

/** Builds a handler from a function that maps an object to the keys to enqueue. */
function mappingHandler(sink: KeySink, keysOf: (obj: KubeObject) => string[], predicates: Predicate[] = []): EventHandler {
  const enqueue = (obj: KubeObject): void => {
    for (const k of keysOf(obj)) sink.add(k);
  };
  return {
    onAdd: (obj) => {
      if (allow(predicates, 'create', obj, obj)) enqueue(obj);
    },
    onUpdate: (old, obj) => {
      if (!allow(predicates, 'update', old, obj)) return;
      // Both versions: an update can move the object from one owner (or mapped key) to another.
      const keys = new Set([...keysOf(old), ...keysOf(obj)]);
      for (const k of keys) sink.add(k);
    },
    onDelete: (obj) => {
      if (allow(predicates, 'delete', obj, obj)) enqueue(obj);
    },
  };
}

/** What a writer knows of its own writes (the Client): the version each returned, and whether one
 * to an object is still on its way. */
export interface OwnWrites {
  isOwnWrite(obj: KubeObject): boolean;
  /** Settles once the newest write to this object has returned; undefined when none is out. (Were an
   * older one to return later still, its echo would cost one reconcile: the safe side.) */
  writesSettled(ref: ResourceRef, obj: KubeObject): Promise<void> | undefined;
}

/**
 * Passes on the events of `inner` except the echoes of `writer`'s own writes. The watch often
 * delivers an object before the response of the write that made it is read, so an event that
 * arrives while a write to its object is out waits for that write, then is judged.
 */
export function withoutOwnWrites(writer: OwnWrites, ref: ResourceRef, inner: EventHandler, onError: (err: unknown) => void): EventHandler {
  const judge = (obj: KubeObject, deliver: () => void): void => {
    if (writer.isOwnWrite(obj)) return;
    const settled = writer.writesSettled(ref, obj);
    if (!settled) return deliver();
    // Delivered later, outside the informer's own guard: a handler that throws is reported here.
    settled
      .then(() => {
        if (!writer.isOwnWrite(obj)) deliver();
      })
      .catch(onError);
  };
  return {
    onAdd: (obj) => judge(obj, () => inner.onAdd?.(obj)),
    onUpdate: (old, obj) => judge(obj, () => inner.onUpdate?.(old, obj)),
    ...(inner.onDelete ? { onDelete: inner.onDelete } : {}),
  };
}

/** The object itself (the controller's primary kind). */
export function enqueueObject(sink: KeySink, predicates: Predicate[] = []): EventHandler {
  const handler = mappingHandler(sink, (obj) => [keyOf(obj)], predicates);
  return {
    ...handler,
    onUpdate: (old, obj) => {
      // A resync (--sync-period) delivers the cached object as its own update: no predicate can
      // see a change in it, yet it is what re-reconciles what no watch sees (a ServiceMonitor
      // deleted by hand), so it always enqueues.
      if (old === obj) sink.add(keyOf(obj));
      else handler.onUpdate?.(old, obj);
    },
  };
}

/** The key of the object's owner of kind `owner`; only the controlling owner unless told otherwise. */
export function ownerKeysOf(obj: KubeObject, owner: ResourceRef, onlyController = true): string[] {
  const keys: string[] = [];
  for (const ref of obj.metadata.ownerReferences ?? []) {
    if (onlyController && ref.controller !== true) continue;
    if (!sameKind(owner, ref.apiVersion, ref.kind)) continue;
    // Owner references never cross namespaces: a namespaced owner lives beside its child.
    keys.push(objectKey(owner.namespaced ? obj.metadata.namespace : undefined, ref.name));
  }
  return keys;
}

/** An owned object's change enqueues its controller owner (controller-runtime's Owns()). */
export function enqueueOwner(sink: KeySink, owner: ResourceRef, opts: { onlyController?: boolean; predicates?: Predicate[] } = {}): EventHandler {
  return mappingHandler(sink, (obj) => ownerKeysOf(obj, owner, opts.onlyController ?? true), opts.predicates ?? []);
}

/** Any watched object enqueues the requests a function maps it to (EnqueueRequestsFromMapFunc). */
export function enqueueMapped(sink: KeySink, map: (obj: KubeObject) => Request[], predicates: Predicate[] = []): EventHandler {
  return mappingHandler(sink, (obj) => map(obj).map((r) => objectKey(r.namespace, r.name)), predicates);
}

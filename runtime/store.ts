// The store behind one informer: objects by key, stripped of managedFields and frozen, so a
// reconciler cannot edit the shared copy by accident (structuredClone it to build a change).
import { cachePool } from './intern.ts';
import { labelMatcher, type LabelSelector } from './labels.ts';
import { keyOf, type KubeObject } from './resource.ts';

export type StoreEvent =
  | { type: 'add'; obj: KubeObject }
  | { type: 'update'; old: KubeObject; obj: KubeObject }
  /** `finalStateUnknown`: the object vanished while the watch was down, seen only by a re-list. */
  | { type: 'delete'; obj: KubeObject; finalStateUnknown: boolean };

/** Drops metadata.managedFields (large, and never needed by a reconciler), shares repeated
 * strings (intern.ts) and freezes the object. */
export function prepareForCache(obj: KubeObject): KubeObject {
  if (obj.metadata.managedFields !== undefined) delete obj.metadata.managedFields;
  cachePool.internValues(obj, { freeze: true });
  return obj;
}

export class Store {
  private readonly items = new Map<string, KubeObject>();

  get size(): number {
    return this.items.size;
  }

  get(key: string): KubeObject | undefined {
    return this.items.get(key);
  }

  /** Objects in `namespace` ('' for all) that match the selector, in key order. */
  list(namespace = '', selector?: LabelSelector): KubeObject[] {
    const match = labelMatcher(selector);
    const out: KubeObject[] = [];
    for (const obj of this.items.values()) {
      if (namespace !== '' && obj.metadata.namespace !== namespace) continue;
      if (match(obj.metadata.labels)) out.push(obj);
    }
    return out.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  /** An ADDED or MODIFIED object. Returns undefined when the store already holds that version. */
  upsert(obj: KubeObject): StoreEvent | undefined {
    const key = keyOf(obj);
    const old = this.items.get(key);
    if (old !== undefined && old.metadata.resourceVersion === obj.metadata.resourceVersion && old.metadata.uid === obj.metadata.uid) return undefined;
    const fresh = prepareForCache(obj);
    this.items.set(key, fresh);
    return old === undefined ? { type: 'add', obj: fresh } : { type: 'update', old, obj: fresh };
  }

  remove(obj: KubeObject, finalStateUnknown = false): StoreEvent | undefined {
    const key = keyOf(obj);
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    this.items.delete(key);
    return { type: 'delete', obj: finalStateUnknown ? old : prepareForCache(obj), finalStateUnknown };
  }

  /** Makes the store equal to a fresh list and returns what changed: the events a broken watch
   * missed. An object re-created under the same name (new uid) is a delete and an add. */
  replace(objs: KubeObject[]): StoreEvent[] {
    const events: StoreEvent[] = [];
    const seen = new Set<string>();
    for (const obj of objs) {
      const key = keyOf(obj);
      seen.add(key);
      const old = this.items.get(key);
      if (old !== undefined && old.metadata.uid !== obj.metadata.uid) {
        this.items.delete(key);
        events.push({ type: 'delete', obj: old, finalStateUnknown: true });
      }
      const ev = this.upsert(obj);
      if (ev) events.push(ev);
    }
    for (const [key, old] of this.items) {
      if (seen.has(key)) continue;
      this.items.delete(key);
      events.push({ type: 'delete', obj: old, finalStateUnknown: true });
    }
    return events;
  }
}

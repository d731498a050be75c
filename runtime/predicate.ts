// Predicates decide which events matter, as controller-runtime's pkg/predicate: a handler asks
// them before it maps an event to requests.
import type { KubeObject } from './resource.ts';

export interface Predicate {
  create?(obj: KubeObject): boolean;
  update?(old: KubeObject, obj: KubeObject): boolean;
  delete?(obj: KubeObject): boolean;
}

/** Whether every predicate lets the event through (a predicate without the event's method does). */
export function allow(predicates: Predicate[], ev: 'create' | 'update' | 'delete', old: KubeObject, obj: KubeObject): boolean {
  for (const p of predicates) {
    if (ev === 'create' && p.create && !p.create(obj)) return false;
    if (ev === 'update' && p.update && !p.update(old, obj)) return false;
    if (ev === 'delete' && p.delete && !p.delete(obj)) return false;
  }
  return true;
}

/** Skips updates that did not change metadata.generation (status-only and metadata-only writes,
 * and resyncs). Kinds without a generation pass, as in controller-runtime. */
export const generationChanged: Predicate = {
  update(old, obj) {
    if (old.metadata.generation === undefined || obj.metadata.generation === undefined) return true;
    return old.metadata.generation !== obj.metadata.generation;
  },
};

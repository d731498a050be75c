// The other objects a rule needs (a child's Cluster; the child behind a Scale). Read through an
// injected interface so handlers are testable with plain objects. In production a read is served
// by the informer cache that every replica keeps anyway, and a refusal is only ever given after the
// same check passed on a fresh GET (`fresh`): a cache a moment behind the API server (the Cluster
// was just changed, and the controller writes the child that follows from it) can cost a second
// look, never a wrong refusal. What a stale cache can do is admit an edit that matched the
// Cluster's previous spec; the Cluster controller puts that child back on its next reconcile, as it
// does any drift. A GET has a deadline shorter than the webhook's timeout, so the apiserver gets
// our answer (a refusal naming the failed read) rather than a timeout.
import type { KindName } from '../../api/v1alpha1/kinds.ts';
import { engulaResources } from '../../controllers/resources.ts';
import type { Client, KubeObject, ResourceRef } from '../../runtime/index.ts';
import type { JsonObject } from './rules.ts';

export interface ObjectReader {
  /** The object, or undefined when it does not exist. Throws on any other failure. */
  get(kind: KindName, namespace: string, name: string): Promise<JsonObject | undefined>;
  /** Reads from the API server itself: a refusal reached with this reader's answers is checked again with these. */
  fresh?: ObjectReader;
}

/** What the cached reader needs of an informer cache (the runtime's InformerFactory has it). */
export interface ObjectCache {
  peek(ref: ResourceRef, namespace: string, name: string): { synced: boolean; obj: KubeObject | undefined };
}

/**
 * Serves hits from `cache`; a miss, or a kind the cache has not synced (or whose namespace it does
 * not cover), goes to `fresh`, since "absent" from a cache a moment behind would skip the rules
 * that need the Cluster. Cached objects are frozen: rules only read them.
 */
export function cachedObjectReader(cache: ObjectCache, fresh: ObjectReader): ObjectReader {
  return {
    fresh,
    async get(kind, namespace, name) {
      const { synced, obj } = cache.peek(engulaResources[kind], namespace, name);
      if (synced && obj !== undefined) return obj;
      return fresh.get(kind, namespace, name);
    },
  };
}

/** Reads through the apiserver (not a cache: an admission decision must not rest on stale state). */
export function apiObjectReader(client: Client, opts: { timeoutMs?: number } = {}): ObjectReader {
  const timeoutMs = opts.timeoutMs ?? 2_000;
  return {
    async get(kind, namespace, name) {
      return client.get(engulaResources[kind], namespace, name, AbortSignal.timeout(timeoutMs));
    },
  };
}

/** A reader over fixed objects, for unit tests and the benchmark. */
export function staticObjectReader(objects: JsonObject[]): ObjectReader {
  const key = (kind: string, ns: string, name: string): string => `${kind}/${ns}/${name}`;
  const byKey = new Map<string, JsonObject>();
  for (const o of objects) {
    const meta = o.metadata as { namespace?: string; name?: string } | undefined;
    byKey.set(key(String(o.kind), meta?.namespace ?? '', meta?.name ?? ''), o);
  }
  return {
    async get(kind, namespace, name) {
      const o = byKey.get(key(kind, namespace, name));
      return o === undefined ? undefined : structuredClone(o);
    },
  };
}

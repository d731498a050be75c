// The other objects a rule needs (a child's Cluster; the child behind a Scale). Read through an
// injected interface so handlers are testable with plain objects; in production each read is a
// GET with a deadline shorter than the webhook's timeout, so the apiserver gets our answer (a
// refusal naming the failed read) rather than a timeout.
import { GROUP, KINDS, VERSION, type KindName } from '../../api/v1alpha1/kinds.ts';
import { isNotFound } from '../../runtime/errors.ts';
import type { RestClient } from '../../runtime/rest.ts';
import type { JsonObject } from './rules.ts';

export interface ObjectReader {
  /** The object, or undefined when it does not exist. Throws on any other failure. */
  get(kind: KindName, namespace: string, name: string): Promise<JsonObject | undefined>;
}

/** Reads through the apiserver (not a cache: an admission decision must not rest on stale state). */
export function apiObjectReader(rest: RestClient, opts: { timeoutMs?: number } = {}): ObjectReader {
  const timeoutMs = opts.timeoutMs ?? 2_000;
  return {
    async get(kind, namespace, name) {
      const path = `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${KINDS[kind].plural}/${encodeURIComponent(name)}`;
      try {
        const obj = await rest.request<unknown>('GET', path, { timeoutMs });
        return typeof obj === 'object' && obj !== null && !Array.isArray(obj) ? (obj as JsonObject) : undefined;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
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

// The other objects a rule needs (a child's Cluster; the child behind a Scale). Read through an
// injected interface so handlers are testable with plain objects; in production each read is a
// GET with a deadline shorter than the webhook's timeout, so the apiserver gets our answer (a
// refusal naming the failed read) rather than a timeout.
import * as k8s from '@kubernetes/client-node';
import { GROUP, KINDS, VERSION, type KindName } from '../../api/v1alpha1/kinds.ts';
import type { JsonObject } from './rules.ts';

export interface ObjectReader {
  /** The object, or undefined when it does not exist. Throws on any other failure. */
  get(kind: KindName, namespace: string, name: string): Promise<JsonObject | undefined>;
}

function withDeadline(timeoutMs: number): { options: k8s.ConfigurationOptions; done: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer from the apiserver within ${timeoutMs} ms`)), timeoutMs);
  // The object-parameter API hands options to the Observable layer, so the middleware is the Observable kind.
  const signal: k8s.ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setSignal(controller.signal);
      return new k8s.Observable(Promise.resolve(ctx));
    },
    post: (ctx) => new k8s.Observable(Promise.resolve(ctx)),
  };
  return { options: { middleware: [signal], middlewareMergeStrategy: 'append' }, done: () => clearTimeout(timer) };
}

/** Reads through the apiserver (not a cache: an admission decision must not rest on stale state). */
export function apiObjectReader(kc: k8s.KubeConfig, opts: { timeoutMs?: number } = {}): ObjectReader {
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  const timeoutMs = opts.timeoutMs ?? 2_000;
  return {
    async get(kind, namespace, name) {
      const { options, done } = withDeadline(timeoutMs);
      try {
        const obj: unknown = await api.getNamespacedCustomObject(
          { group: GROUP, version: VERSION, namespace, plural: KINDS[kind].plural, name },
          options,
        );
        return typeof obj === 'object' && obj !== null ? (obj as JsonObject) : undefined;
      } catch (err) {
        if (err instanceof k8s.ApiException && err.code === 404) return undefined;
        throw err;
      } finally {
        done();
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

// What the benchmark needs from the control plane, through the runtime's own REST client: the
// CRDs, namespaces made and removed in bulk, waits with deadlines, and a small pool that caps how
// many requests are in flight.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { parseAllDocuments } from 'yaml';
import { isNotFound } from '../runtime/errors.ts';
import { coreResources, resourcePath, type KubeObject, type ObjectList, type ResourceRef } from '../runtime/resource.ts';
import { RestClient } from '../runtime/rest.ts';

export function restClientFor(kubeconfig: string): RestClient {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return new RestClient(kc);
}

/** Runs at most `limit` tasks at once. */
export class Pool {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** Polls `check` until it returns something other than undefined/false, or fails at the deadline. */
export async function waitUntil<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Retries a request that failed for a reason other than the API's answer (a busy apiserver). */
export async function withRetry<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      const transient = status === undefined || status === 429 || status >= 500;
      if (!transient || i + 1 >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 200 * 2 ** i));
    }
  }
}

export async function installCrds(rest: RestClient, root: string): Promise<void> {
  const folder = join(root, 'config', 'crd', 'bases');
  const crds = resourceRefOf('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false);
  const names: string[] = [];
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(folder, file), 'utf8'))) {
      const obj = doc.toJS() as KubeObject | null;
      if (!obj?.metadata?.name) continue;
      names.push(obj.metadata.name);
      await rest.request('PATCH', resourcePath(crds, '', obj.metadata.name), {
        body: obj,
        contentType: 'application/apply-patch+yaml',
        query: { fieldManager: 'engula-bench', force: true },
      });
    }
  }
  await waitUntil('the CRDs Established', async () => {
    for (const name of names) {
      const crd = await rest.request<{ status?: { conditions?: Array<{ type: string; status: string }> } }>('GET', resourcePath(crds, '', name));
      if (!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return false;
    }
    return true;
  }, 60_000);
}

function resourceRefOf(apiVersion: string, kind: string, plural: string, namespaced: boolean): ResourceRef {
  const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
  return { group, version, plural, kind, namespaced };
}

export async function createNamespaces(rest: RestClient, names: string[], pool = new Pool(16)): Promise<void> {
  await Promise.all(
    names.map((name) =>
      pool.run(() => withRetry(() => rest.request('POST', resourcePath(coreResources.namespaces), { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'bench.engula.io/run': 'true' } } } }))),
    ),
  );
}

/** Deletes the namespaces and waits until they are gone, so the next phase starts on a clean control plane. */
export async function deleteNamespaces(rest: RestClient, names: string[], log: Logger, timeoutMs = 15 * 60_000): Promise<void> {
  const pool = new Pool(16);
  await Promise.all(
    names.map((name) =>
      pool.run(async () => {
        try {
          await withRetry(() => rest.request('DELETE', resourcePath(coreResources.namespaces, '', name)));
          // kwok pods would wait out their grace period (60 s): nothing runs in them, remove them now.
          await withRetry(() => rest.request('DELETE', resourcePath(coreResources.pods, name), { body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 } }));
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }),
    ),
  );
  const wanted = new Set(names);
  const started = Date.now();
  let lastReport = 0;
  await waitUntil(`${names.length} namespaces deleted`, async () => {
    const list = await rest.request<ObjectList>('GET', resourcePath(coreResources.namespaces), { query: { labelSelector: 'bench.engula.io/run=true' } });
    const left = list.items.filter((n) => wanted.has(n.metadata.name ?? '')).length;
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      log.info({ left, seconds: Math.round((Date.now() - started) / 1000) }, 'waiting for namespaces to be deleted');
    }
    return left === 0;
  }, timeoutMs, 1000);
}

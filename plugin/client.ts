// The plugin's connection to the API server: the runtime's kubeconfig loader, REST client for the
// reads and Client, the one writer, for the patch (the same as the operator's, so --kubeconfig,
// KUBECONFIG, contexts and credentials behave alike), with every call remembering what it was
// (verb, resource, namespace, name) so that a refusal can say what was refused. Imported file by
// file rather than through runtime/index.ts: a command-line tool starts on every call, and the
// informers, metrics and leader election behind the index are not needed here.
import { Client } from '../runtime/client.ts';
import { loadClusterAccess } from '../runtime/kubeconfig/load.ts';
import { resourcePath, type KubeObject, type ResourceRef } from '../runtime/resource.ts';
import { RestClient, type Query } from '../runtime/rest.ts';

export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  /** -n: else the context's namespace, else "default", as kubectl decides. */
  namespace?: string;
}

/** One request, as an error message names it. */
export interface Call {
  verb: 'get' | 'list' | 'patch';
  path: string;
  ref?: ResourceRef;
  /** '' for every namespace. */
  namespace?: string;
  name?: string;
}

/** A request that failed; `cause` is the ApiError or the transport's error. */
export class CallFailed extends Error {
  readonly kind = 'callFailed' as const;
  readonly call: Call;
  constructor(call: Call, cause: unknown) {
    super(`${call.verb} ${call.path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'CallFailed';
    this.call = call;
  }
}

/** Writes are recorded under this manager in managedFields, so `kubectl get --show-managed-fields` says who changed what. */
const FIELD_MANAGER = 'kubectl-engula';
/** A command-line call should not hang on a server that accepts connections and never answers. */
const TIMEOUT_MS = 30_000;
const PAGE = 500;

interface ListPage<T> {
  items?: T[];
  metadata?: { continue?: string };
}

export class KubeApi {
  /** The server URL of the kubeconfig's context, for messages about reaching it. */
  readonly server: string;
  private readonly rest: RestClient;
  /** Ungated: the plugin is no replica of the operator, and holds no lease. */
  private readonly writer: Client;

  constructor(rest: RestClient) {
    this.rest = rest;
    this.writer = new Client({ rest, fieldManager: FIELD_MANAGER });
    this.server = rest.access.getCurrentCluster()?.server ?? '';
  }

  get<T>(ref: ResourceRef, namespace: string, name: string): Promise<T> {
    const path = resourcePath(ref, namespace, name);
    return this.call({ verb: 'get', ref, namespace, name, path }, () => this.rest.request<T>('GET', path, { timeoutMs: TIMEOUT_MS }));
  }

  /** Every object of a kind in a namespace ('' for all), page by page. */
  list<T>(ref: ResourceRef, namespace: string, labelSelector?: string): Promise<T[]> {
    const path = resourcePath(ref, namespace);
    return this.call({ verb: 'list', ref, namespace, path }, async () => {
      const items: T[] = [];
      let cont: string | undefined;
      do {
        const query: Query = { limit: PAGE, labelSelector, continue: cont };
        const page = await this.rest.request<ListPage<T>>('GET', path, { query, timeoutMs: TIMEOUT_MS });
        items.push(...(page.items ?? []));
        cont = page.metadata?.continue || undefined;
      } while (cont !== undefined);
      return items;
    });
  }

  /** A JSON merge patch: only the fields it names change, as `kubectl patch --type merge` does. */
  mergePatch(ref: ResourceRef, namespace: string, name: string, body: Record<string, unknown>): Promise<KubeObject> {
    const path = resourcePath(ref, namespace, name);
    return this.call({ verb: 'patch', ref, namespace, name, path }, () => this.writer.patch(ref, namespace, name, { type: 'merge', body }));
  }

  /** A GET of a path that is no resource: /version, discovery. */
  getPath<T>(path: string): Promise<T> {
    return this.call({ verb: 'get', path }, () => this.rest.request<T>('GET', path, { timeoutMs: TIMEOUT_MS }));
  }

  close(): void {
    this.rest.close();
  }

  private async call<T>(call: Call, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new CallFailed(call, err);
    }
  }
}

export interface Connected {
  api: KubeApi;
  /** The namespace commands work in when -A is not given. */
  namespace: string;
}

export async function connect(flags: ConnectionFlags, env: NodeJS.ProcessEnv): Promise<Connected> {
  const loaded = await loadClusterAccess({
    ...(flags.kubeconfig !== undefined ? { file: flags.kubeconfig } : {}),
    ...(flags.context !== undefined ? { context: flags.context } : {}),
    env,
  });
  return { api: new KubeApi(new RestClient(loaded.access)), namespace: flags.namespace ?? loaded.namespace ?? 'default' };
}

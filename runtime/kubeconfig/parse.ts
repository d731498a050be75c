// Pure: from parsed kubeconfig documents (the files KUBECONFIG names, in order) to the one
// connection the current context (or the one a --context flag names) describes. Kubernetes' merge
// rule: the first file to name a cluster, user or context wins it, and the first current-context
// set wins.
// Auth that needs code run on the client (exec plugins, auth providers) is not resolved here: it is
// reported as `needsLibrary`, and the loader hands the file to @kubernetes/client-node.

export interface KubeconfigDocument {
  /** Folder of the file: relative paths in it are resolved against this. */
  dir: string;
  content: unknown;
}

/** File paths are absolute; `-data` fields are decoded. */
export interface Connection {
  server: string;
  ca?: { file: string } | { data: Buffer };
  clientCert?: { file: string } | { data: Buffer };
  clientKey?: { file: string } | { data: Buffer };
  token?: string;
  tokenFile?: string;
  basicAuth?: { username: string; password: string };
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
}

/** `namespace`: the context's own, which command-line tools use when no -n is given. */
export type Resolution = { kind: 'connection'; connection: Connection; namespace?: string } | { kind: 'needsLibrary'; reason: string; namespace?: string };

export interface ResolveOptions {
  /** A context to use instead of current-context (kubectl's --context). */
  context?: string;
}

export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

type Named = Map<string, Record<string, unknown>>;

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function str(o: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new KubeconfigError(`${where}.${key}: must be a string`);
  return v;
}

function absolute(dir: string, path: string): string {
  return path.startsWith('/') ? path : `${dir.replace(/\/+$/, '')}/${path}`;
}

function decode(o: Record<string, unknown>, key: string, where: string): Buffer | undefined {
  const v = str(o, key, where);
  return v === undefined ? undefined : Buffer.from(v, 'base64');
}

/** `data` wins over `file`, as in client-go. */
function material(o: Record<string, unknown>, key: string, where: string, dir: string): { file: string } | { data: Buffer } | undefined {
  const data = decode(o, `${key}-data`, where);
  if (data !== undefined) return { data };
  const file = str(o, key, where);
  return file === undefined ? undefined : { file: absolute(dir, file) };
}

export function resolveConnection(docs: KubeconfigDocument[], opts: ResolveOptions = {}): Resolution {
  if (docs.length === 0) throw new KubeconfigError('no kubeconfig file');
  let currentContext: string | undefined;
  const clusters: Named = new Map();
  const users: Named = new Map();
  const contexts: Named = new Map();
  const dirs = new Map<Record<string, unknown>, string>();
  for (const doc of docs) {
    const root = record(doc.content) ?? {};
    currentContext ??= str(root, 'current-context', 'kubeconfig');
    for (const [list, field, into] of [['clusters', 'cluster', clusters], ['users', 'user', users], ['contexts', 'context', contexts]] as const) {
      const entries = root[list];
      if (entries === undefined || entries === null) continue;
      if (!Array.isArray(entries)) throw new KubeconfigError(`${list}: must be a list`);
      for (const [i, entry] of entries.entries()) {
        const e = record(entry);
        const name = e ? str(e, 'name', `${list}[${i}]`) : undefined;
        const body = e ? record(e[field]) : undefined;
        if (name === undefined || body === undefined) throw new KubeconfigError(`${list}[${i}]: needs a name and a ${field}`);
        if (!into.has(name)) {
          into.set(name, body);
          dirs.set(body, doc.dir);
        }
      }
    }
  }
  if (opts.context !== undefined && !contexts.has(opts.context)) throw new KubeconfigError(`context ${JSON.stringify(opts.context)} does not exist`);
  const contextName = opts.context ?? currentContext;
  if (contextName === undefined) throw new KubeconfigError('current-context is not set');
  const context = contexts.get(contextName);
  if (!context) throw new KubeconfigError(`current-context ${JSON.stringify(contextName)}: no such context`);
  const clusterName = str(context, 'cluster', `contexts[${contextName}]`);
  const cluster = clusterName === undefined ? undefined : clusters.get(clusterName);
  if (!cluster) throw new KubeconfigError(`context ${JSON.stringify(contextName)}: cluster ${JSON.stringify(clusterName ?? '')} not found`);
  const userName = str(context, 'user', `contexts[${contextName}]`);
  const user = userName === undefined ? {} : users.get(userName);
  if (!user) throw new KubeconfigError(`context ${JSON.stringify(contextName)}: user ${JSON.stringify(userName)} not found`);
  const namespace = str(context, 'namespace', `contexts[${contextName}]`);
  const inNamespace = namespace === undefined ? {} : { namespace };

  const cw = `clusters[${clusterName}]`;
  const uw = `users[${userName}]`;
  if (record(user.exec)) return { kind: 'needsLibrary', reason: `${uw}.exec`, ...inNamespace };
  if (record(user['auth-provider'])) return { kind: 'needsLibrary', reason: `${uw}.auth-provider`, ...inNamespace };
  for (const key of ['as', 'as-groups', 'as-uid', 'as-user-extra']) {
    if (user[key] !== undefined) throw new KubeconfigError(`${uw}.${key}: impersonation is not supported`);
  }
  if (str(cluster, 'proxy-url', cw) !== undefined) throw new KubeconfigError(`${cw}.proxy-url: proxies are not supported; the operator connects to the server directly`);
  const server = str(cluster, 'server', cw);
  if (server === undefined) throw new KubeconfigError(`${cw}.server: required`);
  const cdir = dirs.get(cluster) ?? '.';
  const udir = dirs.get(user) ?? '.';
  const connection: Connection = { server, insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true };
  const ca = material(cluster, 'certificate-authority', cw, cdir);
  if (ca) connection.ca = ca;
  const tlsServerName = str(cluster, 'tls-server-name', cw);
  if (tlsServerName !== undefined) connection.tlsServerName = tlsServerName;
  const clientCert = material(user, 'client-certificate', uw, udir);
  const clientKey = material(user, 'client-key', uw, udir);
  if ((clientCert === undefined) !== (clientKey === undefined)) throw new KubeconfigError(`${uw}: client-certificate and client-key go together`);
  if (clientCert && clientKey) Object.assign(connection, { clientCert, clientKey });
  const token = str(user, 'token', uw);
  if (token !== undefined) connection.token = token;
  const tokenFile = str(user, 'tokenFile', uw);
  if (tokenFile !== undefined && token === undefined) connection.tokenFile = absolute(udir, tokenFile);
  const username = str(user, 'username', uw);
  if (username !== undefined) connection.basicAuth = { username, password: str(user, 'password', uw) ?? '' };
  return { kind: 'connection', connection, ...inNamespace };
}

/** The in-cluster connection (rest.InClusterConfig): the Service's environment and the pod's token. */
export function inClusterConnection(env: NodeJS.ProcessEnv, saDir: string): Connection | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) return undefined;
  const h = host.includes(':') ? `[${host}]` : host;
  return { server: `https://${h}:${port}`, ca: { file: `${saDir}/ca.crt` }, tokenFile: `${saDir}/token`, insecureSkipTlsVerify: false };
}

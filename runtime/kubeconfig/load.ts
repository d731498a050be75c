// Finds and loads the connection to the API server, in controller-runtime's order: the
// --kubeconfig flag, then $KUBECONFIG, then the pod's in-cluster ServiceAccount, then
// ~/.kube/config. Certificates, tokens and token files are handled here; a kubeconfig whose user
// runs an exec plugin or an auth provider is handed to @kubernetes/client-node, imported only then:
// the library costs ~85 MiB of RSS at import (docs/benchmarks.md), more than the whole operator
// needs otherwise, and in a pod the ServiceAccount path never needs it.
import { existsSync, readFileSync } from 'node:fs';
import type https from 'node:https';
import { homedir } from 'node:os';
import { delimiter, dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ClusterAccess } from './access.ts';
import { inClusterConnection, KubeconfigError, resolveConnection, type Connection, type KubeconfigDocument } from './parse.ts';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** client-go re-reads a token file once a minute (transport.NewCachedFileTokenSource); so do we. */
const REREAD_MS = 60_000;

export interface LoadOptions {
  /** The --kubeconfig flag. */
  file?: string;
  /** The --context flag: a context of the kubeconfig to use instead of its current-context. */
  context?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
  serviceAccountDir?: string;
  now?: () => number;
}

export interface LoadedAccess {
  access: ClusterAccess;
  /** Where it came from, for the startup log line. */
  source: string;
  /**
   * The namespace the context names, or in a pod its own: where command-line tools work when no
   * -n is given (kubectl's rule). Undefined when neither says.
   */
  namespace?: string;
}

type Material = { file: string } | { data: Buffer };

/** Reads a file-backed value at most once a minute, so rotation on disk is picked up. */
class Reread<T> {
  private value: T | undefined;
  private readAt = -Infinity;
  private readonly read: () => T;
  private readonly now: () => number;
  constructor(read: () => T, now: () => number) {
    this.read = read;
    this.now = now;
  }
  get(): T {
    if (this.value === undefined || this.now() - this.readAt >= REREAD_MS) {
      this.value = this.read();
      this.readAt = this.now();
    }
    return this.value;
  }
}

function readMaterial(m: Material, now: () => number): Reread<Buffer> {
  return new Reread(() => ('data' in m ? m.data : readFileSync(m.file)), now);
}

export class ConnectionAccess implements ClusterAccess {
  private readonly ca: Reread<Buffer> | undefined;
  private readonly cert: Reread<Buffer> | undefined;
  private readonly key: Reread<Buffer> | undefined;
  private readonly token: Reread<string> | undefined;
  private readonly connection: Connection;

  constructor(connection: Connection, now: () => number = Date.now) {
    this.connection = connection;
    this.ca = connection.ca && readMaterial(connection.ca, now);
    this.cert = connection.clientCert && readMaterial(connection.clientCert, now);
    this.key = connection.clientKey && readMaterial(connection.clientKey, now);
    const { token, tokenFile } = connection;
    if (token !== undefined) this.token = new Reread(() => token, now);
    else if (tokenFile !== undefined) this.token = new Reread(() => readFileSync(tokenFile, 'utf8').trim(), now);
  }

  getCurrentCluster(): { server: string } {
    return { server: this.connection.server };
  }

  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    if (this.ca) opts.ca = this.ca.get();
    if (this.cert && this.key) {
      opts.cert = this.cert.get();
      opts.key = this.key.get();
    }
    if (this.connection.insecureSkipTlsVerify) opts.rejectUnauthorized = false;
    if (this.connection.tlsServerName !== undefined) opts.servername = this.connection.tlsServerName;
    const token = this.token?.get();
    if (token) opts.headers = { ...opts.headers, Authorization: `Bearer ${token}` };
    const basic = this.connection.basicAuth;
    if (basic) opts.auth = `${basic.username}:${basic.password}`;
  }
}

function readDocuments(files: string[]): KubeconfigDocument[] {
  return files.map((file) => {
    const path = resolve(file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new KubeconfigError(`kubeconfig ${path}: ${(err as Error).message}`);
    }
    try {
      return { dir: dirname(path), content: parseYaml(text) as unknown };
    } catch (err) {
      throw new KubeconfigError(`kubeconfig ${path}: not YAML: ${(err as Error).message}`);
    }
  });
}

async function fromFiles(files: string[], fromFlag: boolean, now: () => number, context: string | undefined): Promise<LoadedAccess> {
  const source = files.join(delimiter);
  const resolution = resolveConnection(readDocuments(files), context === undefined ? {} : { context });
  const inNamespace = resolution.namespace === undefined ? {} : { namespace: resolution.namespace };
  if (resolution.kind === 'connection') return { access: new ConnectionAccess(resolution.connection, now), source, ...inNamespace };
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (fromFlag) kc.loadFromFile(files[0] ?? '');
  else kc.loadFromDefault();
  if (context !== undefined) kc.setCurrentContext(context);
  return { access: kc, source: `${source} (${resolution.reason}, through @kubernetes/client-node)`, ...inNamespace };
}

/** The pod's own namespace, as client-go's in-cluster config reads it; undefined outside a pod. */
function serviceAccountNamespace(saDir: string): string | undefined {
  try {
    const ns = readFileSync(`${saDir}/namespace`, 'utf8').trim();
    return ns === '' ? undefined : ns;
  } catch {
    return undefined;
  }
}

export async function loadClusterAccess(opts: LoadOptions = {}): Promise<LoadedAccess> {
  const env = opts.env ?? process.env;
  const now = opts.now ?? Date.now;
  if (opts.file) return fromFiles([opts.file], true, now, opts.context);
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  if (listed.length > 0) {
    const present = listed.filter((f) => existsSync(f));
    if (present.length === 0) throw new KubeconfigError(`KUBECONFIG names no file that exists: ${env.KUBECONFIG ?? ''}`);
    return fromFiles(present, false, now, opts.context);
  }
  const saDir = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const inCluster = inClusterConnection(env, saDir);
  if (inCluster) {
    // A pod's connection has no contexts: a context asked for cannot be honoured, and is not ignored.
    if (opts.context !== undefined) throw new KubeconfigError(`context ${JSON.stringify(opts.context)} does not exist: no kubeconfig file, only the in-cluster ServiceAccount`);
    const namespace = serviceAccountNamespace(saDir);
    return { access: new ConnectionAccess(inCluster, now), source: 'in-cluster ServiceAccount', ...(namespace === undefined ? {} : { namespace }) };
  }
  const home = resolve(opts.home ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return fromFiles([home], true, now, opts.context);
  throw new KubeconfigError('no kubeconfig: pass --kubeconfig, set KUBECONFIG, or run in a pod with a ServiceAccount');
}

// Callers of the scaling API for the integration tests: ServiceAccounts with tokens minted through
// the TokenRequest API (as the kubelet mints a projected token), written to files the sample
// client reads, and bound to the shipped engula-cluster-scaler ClusterRole or to a get-only Role.
import { createSign, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { RestClient } from '../../runtime/index.ts';
import type { ScaleClientOptions } from '../../samples/scaler/scale-client.ts';
import { kubeConfig, kubectlOk, testEnv, type CleanupScope } from './kube.ts';

const root = resolve(import.meta.dirname, '..', '..');
export const AUDIENCE = 'engula-operator';

let admin: RestClient | undefined;
function adminRest(): RestClient {
  admin ??= new RestClient(kubeConfig());
  return admin;
}

/** The shipped ClusterRole, applied as is (the same content from every test file). */
export async function installScalerRole(): Promise<void> {
  await kubectlOk(['apply', '-f', resolve(root, 'config/rbac/scaler_role.yaml')]);
}

export async function serviceAccount(ns: string, name: string, binding?: { clusterRole?: string; role?: string }): Promise<void> {
  await adminRest().request('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } } });
  if (!binding) return;
  const roleRef = binding.clusterRole
    ? { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: binding.clusterRole }
    : { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: binding.role };
  await adminRest().request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
    body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name }, roleRef, subjects: [{ kind: 'ServiceAccount', name, namespace: ns }] },
  });
}

/** A Role that may read a Cluster's scale but not change it. */
export async function getOnlyRole(ns: string, name: string): Promise<void> {
  await adminRest().request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
    body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name }, rules: [{ apiGroups: ['cluster.engula.io'], resources: ['clusters/scale'], verbs: ['get'] }] },
  });
}

/** POST .../serviceaccounts/{sa}/token: the API the kubelet uses for projected tokens. 600 s is the API server's minimum. */
export async function mintToken(ns: string, sa: string, audiences: string[], expirationSeconds = 600): Promise<string> {
  const review = await adminRest().request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences, expirationSeconds } },
  });
  return review.status.token;
}

/**
 * An expired token. The API server will not mint one shorter than 10 minutes (and a test cannot
 * wait that long), so: a real minted token whose times are moved an hour into the past and which
 * is signed again with the control plane's own service-account key (pki/sa.key in its folder).
 * Everything else (issuer, audience, the ServiceAccount and its uid) is what the API server issued,
 * so expiry is the only reason it can refuse it.
 */
export async function expiredToken(ns: string, sa: string, audiences: string[]): Promise<string> {
  const [header, payload] = (await mintToken(ns, sa, audiences)).split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iat: number; nbf: number; exp: number };
  const now = Math.floor(Date.now() / 1000);
  const moved = { ...claims, iat: now - 7200, nbf: now - 7200, exp: now - 3600 };
  const signingInput = `${header}.${Buffer.from(JSON.stringify(moved)).toString('base64url')}`;
  const key = readFileSync(join(dirname(testEnv().kubeconfig), 'pki', 'sa.key'), 'utf8');
  const signature = createSign('RSA-SHA256').update(signingInput).sign(key).toString('base64url');
  return `${signingInput}.${signature}`;
}

/** A folder in the control plane's own, so nothing of a test run is left in /tmp. */
export function scratchDir(t: CleanupScope, prefix: string): string {
  const dir = join(dirname(testEnv().kubeconfig), `${prefix}-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  t.after(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The sample client's options for a token, written to a file as the kubelet writes a projected one. */
export function clientWith(dir: string, server: string, caPem: string, token: string): ScaleClientOptions {
  const id = randomBytes(4).toString('hex');
  const tokenFile = join(dir, `token-${id}`);
  const caFile = join(dir, 'ca.crt');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  writeFileSync(caFile, caPem);
  return { server, tokenFile, caFile };
}

/** A logger that keeps its JSON lines, so a test can read the audit trail. */
export function capturingLogger(): { log: Logger; lines: () => Array<Record<string, unknown>> } {
  const raw: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void raw.push(line) });
  return { log, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

export function closeAdmin(): void {
  admin?.close();
  admin = undefined;
}

export interface RawAnswer {
  code: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** A request the sample client would never send (no token, a broken body): straight over HTTPS. */
export function rawCall(server: string, caPem: string, method: string, path: string, opts: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, server), { method, ca: caPem, headers: { ...(opts.body !== undefined ? { 'Content-Length': String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers } });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          resolve({ code: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> });
        } catch {
          reject(new Error(`${method} ${path}: ${res.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`));
        }
      });
    });
    req.end(opts.body);
  });
}

export function scalePath(ns: string, cluster: string, component: string): string {
  return `/apis/scaling.engula.io/v1/namespaces/${ns}/clusters/${cluster}/components/${component}/scale`;
}

export function clusterManifest(name: string, replicas: { journal?: number; storage?: number; kernel?: number; engine?: number } = {}, extra: Record<string, unknown> = {}): string {
  const spec: Record<string, unknown> = { name, image: { name: 'uhub.service.ucloud.cn/zojw/engula:0.9' }, ...extra };
  for (const c of ['journal', 'storage', 'kernel', 'engine'] as const) {
    const r = replicas[c] ?? 1;
    if (r >= 0) spec[c] = { replicas: r };
  }
  return JSON.stringify({ apiVersion: 'cluster.engula.io/v1alpha1', kind: 'Cluster', metadata: { name }, spec });
}

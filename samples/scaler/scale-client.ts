// A client of the operator's scaling API, as a program in a pod would write it: it reads its
// projected ServiceAccount token from a file on every call (the kubelet rotates it), trusts the
// operator's CA, and GETs or PUTs the Scale of one component. Node 24, no dependencies:
//
//   ENGULA_OPERATOR_URL=https://engula-operator-webhook.engula-system.svc:443 \
//   TOKEN_FILE=/var/run/secrets/engula/token CA_FILE=/etc/engula-operator-ca/ca.crt \
//   node scale-client.ts <namespace> <cluster> <component> [replicas [resourceVersion]]
import { readFileSync } from 'node:fs';
import https from 'node:https';

export interface ScaleClientOptions {
  /** https://host:port of the operator's HTTPS server (its webhook Service, port 443 → 9443). */
  server: string;
  tokenFile: string;
  /** PEM of the CA that signed the operator's serving certificate; the system's CAs when absent. */
  caFile?: string;
  timeoutMs?: number;
}

export interface Scale {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: { name: string; namespace: string; resourceVersion: string };
  spec: { replicas: number };
  status: { replicas: number; selector: string };
}

/** A Kubernetes Status: what every refusal (401, 403, 404, 409, 422, 429...) is. */
export interface Status {
  kind: 'Status';
  code: number;
  reason: string;
  message: string;
  details?: { causes?: Array<{ field?: string; message?: string; reason?: string }>; retryAfterSeconds?: number };
}

export type Answer = { code: 200; scale: Scale } | { code: number; status: Status; retryAfter?: string };

function scalePath(namespace: string, cluster: string, component: string): string {
  const e = encodeURIComponent;
  return `/apis/scaling.engula.io/v1/namespaces/${e(namespace)}/clusters/${e(cluster)}/components/${e(component)}/scale`;
}

function call(opts: ScaleClientOptions, method: 'GET' | 'PUT', path: string, body?: unknown): Promise<Answer> {
  const token = readFileSync(opts.tokenFile, 'utf8').trim();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, opts.server), {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: 'application/json',
        ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
      },
      ...(opts.caFile ? { ca: readFileSync(opts.caFile) } : {}),
      timeout: opts.timeoutMs ?? 60_000,
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${opts.timeoutMs ?? 60_000} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('error', reject);
      res.on('end', () => {
        try {
          const parsed: unknown = JSON.parse(text);
          const code = res.statusCode ?? 0;
          if (code === 200) resolve({ code: 200, scale: parsed as Scale });
          else resolve({ code, status: parsed as Status, ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}) });
        } catch {
          reject(new Error(`${method} ${path}: ${res.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`));
        }
      });
    });
    req.end(payload);
  });
}

export function getScale(opts: ScaleClientOptions, namespace: string, cluster: string, component: string): Promise<Answer> {
  return call(opts, 'GET', scalePath(namespace, cluster, component));
}

/** Sets the replicas; with a resourceVersion (from a GET), only if the Cluster has not changed since (else 409). */
export function putScale(opts: ScaleClientOptions, namespace: string, cluster: string, component: string, replicas: number, resourceVersion?: string): Promise<Answer> {
  return call(opts, 'PUT', scalePath(namespace, cluster, component), {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name: cluster, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: { replicas },
  });
}

async function main(argv: string[]): Promise<number> {
  const [namespace, cluster, component, replicas, resourceVersion] = argv;
  if (!namespace || !cluster || !component) {
    process.stderr.write('usage: node scale-client.ts <namespace> <cluster> <component> [replicas [resourceVersion]]\n');
    return 2;
  }
  const opts: ScaleClientOptions = {
    server: process.env.ENGULA_OPERATOR_URL ?? 'https://engula-operator-webhook.engula-system.svc',
    tokenFile: process.env.TOKEN_FILE ?? '/var/run/secrets/engula/token',
    ...(process.env.CA_FILE ? { caFile: process.env.CA_FILE } : {}),
  };
  const answer = replicas === undefined
    ? await getScale(opts, namespace, cluster, component)
    : await putScale(opts, namespace, cluster, component, Number(replicas), resourceVersion);
  process.stdout.write(`${JSON.stringify('scale' in answer ? answer.scale : answer.status)}\n`);
  return answer.code === 200 ? 0 : 1;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`scale-client: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

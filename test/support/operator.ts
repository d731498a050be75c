// The operator as integration tests run it: a real child process (`node cmd/manager.ts`), limited
// to the test's own namespaces so test files running side by side never touch each other's
// objects. Its JSON log is kept for failure messages; its own /metrics counts its API requests.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { kubectlOk, testEnv, waitFor } from './kube.ts';

const root = resolve(import.meta.dirname, '..', '..');
const node = resolve(root, 'node_modules', '.bin', 'node');

export interface OperatorProcess {
  child: ChildProcess;
  /** Port of the operator's /metrics (it binds 127.0.0.1:0). */
  metricsPort: number;
  log(): string;
  /** Write requests (POST, PUT, PATCH, DELETE) the operator sent so far, from rest_client_requests_total. */
  writes(): Promise<{ total: number; byMethod: Record<string, number> }>;
  /** SIGKILL: no graceful shutdown. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

export { installCrds } from './crds.ts';

export async function startOperator(t: { after: (fn: () => Promise<void>) => void }, namespaces: string[], extraArgs: string[] = []): Promise<OperatorProcess> {
  const env = testEnv();
  const args = [
    'cmd/manager.ts',
    '--webhooks=false',
    '--leader-elect=false',
    '--metrics-bind-address=127.0.0.1:0',
    '--health-probe-bind-address=127.0.0.1:0',
    `--namespaces=${namespaces.join(',')}`,
    '--kubeconfig',
    env.kubeconfig,
    '--max-concurrent-reconciles=4',
    ...extraArgs,
  ];
  const child = spawn(node, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let alive = true;
  void exited.then(() => (alive = false));
  t.after(async () => {
    if (alive) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const metricsPort = await waitFor('the operator\'s metrics server', () => {
    if (!alive) throw new Error(`operator exited:\n${out.slice(-4000)}`);
    const m = /"port":(\d+),"msg":"metrics server listening"/.exec(out);
    return m ? Number(m[1]) : undefined;
  }, { timeoutMs: 20_000 });
  return {
    child,
    metricsPort,
    log: () => out,
    async writes() {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const byMethod: Record<string, number> = {};
      let total = 0;
      for (const m of text.matchAll(/^rest_client_requests_total\{([^}]*)\} (\d+(?:\.\d+)?)$/gm)) {
        const method = /method="([A-Z]+)"/.exec(m[1] ?? '')?.[1] ?? '';
        if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) continue;
        byMethod[method] = (byMethod[method] ?? 0) + Number(m[2]);
        total += Number(m[2]);
      }
      return { total, byMethod };
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** `kubectl get -o json` of one object, or undefined when it does not exist. */
export async function getJson<T = Record<string, unknown>>(namespace: string, kind: string, name: string): Promise<T | undefined> {
  const out = await kubectlOk(['-n', namespace, 'get', kind, name, '-o', 'json', '--ignore-not-found']);
  return out.trim() === '' ? undefined : (JSON.parse(out) as T);
}

export async function listJson<T = Record<string, unknown>>(namespace: string, kind: string, selector?: string): Promise<T[]> {
  const out = await kubectlOk(['-n', namespace, 'get', kind, '-o', 'json', ...(selector ? ['-l', selector] : [])]);
  return (JSON.parse(out) as { items: T[] }).items;
}

export interface ConditionLike {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export function conditionOf(obj: { status?: { conditions?: ConditionLike[] } } | undefined, type: string): ConditionLike | undefined {
  return obj?.status?.conditions?.find((c) => c.type === type);
}

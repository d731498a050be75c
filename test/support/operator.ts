// The operator as integration tests run it: a real child process (`node cmd/manager.ts`) in the
// shape that ships (webhooks on, leader election on), limited to the test's own namespaces so test
// files running side by side never touch each other's objects: its webhook configurations are named
// after the test's first namespace and admit only the test's namespaces, and its Lease and
// certificate Secret live there. Its JSON log is kept for failure messages, and its own record of
// every API request (--api-request-log) for what a test asserts about its calls.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { kubectl, kubectlOk, testEnv, waitFor } from './kube.ts';
import { isLeaseRequest, readRequestLog, writesSent } from './request-log.ts';

const root = resolve(import.meta.dirname, '..', '..');
const node = resolve(root, 'node_modules', '.bin', 'node');

export interface OperatorProcess {
  child: ChildProcess;
  /** Port of the operator's /metrics (it binds 127.0.0.1:0). */
  metricsPort: number;
  /** Port of /healthz and /readyz. */
  probePort: number;
  /** Port of the HTTPS webhook server on 127.0.0.1, when webhooks are on. */
  webhookPort: number | undefined;
  log(): string;
  /** The operator's record of its API requests (--api-request-log), in the control plane's folder. */
  requestLog: string;
  /**
   * Write requests (POST, PUT, PATCH, DELETE) the operator sent so far, from its request records,
   * leaving out the leader election Lease's renewals (a leader renews every retry period by design).
   */
  /** Writes sent (lease renewals left out); `objects`: by method, without those to a /status subresource. */
  writes(): Promise<{ total: number; byMethod: Record<string, number>; objects: Record<string, number> }>;
  /** SIGKILL: no graceful shutdown. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  readonly alive: boolean;
}

export { installCrds } from './crds.ts';

export interface OperatorOptions {
  /**
   * - 'local' (default): served on 127.0.0.1 and registered by URL, as `make run` does.
   * - 'external': served on 127.0.0.1; the configurations (named `configurationName`) are made by the
   *   test, as `make deploy` makes them from config/webhook, and the operator keeps their caBundle.
   * - 'off': no webhook server (for a test about running without one).
   */
  webhooks?: 'local' | 'external' | 'off';
  /** Default true, as deployed. */
  leaderElect?: boolean;
  /** Name of the webhook configurations (default `engula-operator-<first namespace>`). */
  configurationName?: string;
  /** Extra environment for the process. */
  env?: NodeJS.ProcessEnv;
}

/** The webhook configuration name startOperator gives a test's operator. */
export function testConfigurationName(namespaces: string[]): string {
  return `engula-operator-${namespaces[0] ?? 'default'}`;
}

export async function startOperator(
  t: { after: (fn: () => Promise<void>) => void },
  namespaces: string[],
  extraArgs: string[] = [],
  opts: OperatorOptions = {},
): Promise<OperatorProcess> {
  const env = testEnv();
  const home = namespaces[0];
  if (!home) throw new Error('startOperator needs at least one namespace');
  const webhooks = opts.webhooks ?? 'local';
  const configurationName = opts.configurationName ?? testConfigurationName(namespaces);
  const webhookArgs =
    webhooks === 'off'
      ? ['--webhooks=false']
      : [
          ...(webhooks === 'local' ? ['--local-webhooks'] : ['--webhook-host=127.0.0.1']),
          '--webhook-port=0',
          `--webhook-configuration-name=${configurationName}`,
          `--operator-namespace=${home}`,
        ];
  const requestLog = join(dirname(env.kubeconfig), `operator-${home}-${randomBytes(3).toString('hex')}.requests.jsonl`);
  const leaderArgs = opts.leaderElect === false ? ['--leader-elect=false'] : ['--leader-elect', `--leader-election-namespace=${home}`];
  const args = [
    'cmd/manager.ts',
    ...webhookArgs,
    ...leaderArgs,
    '--metrics-bind-address=127.0.0.1:0',
    '--health-probe-bind-address=127.0.0.1:0',
    `--namespaces=${namespaces.join(',')}`,
    '--kubeconfig',
    env.kubeconfig,
    '--max-concurrent-reconciles=4',
    `--api-request-log=${requestLog}`,
    ...extraArgs,
  ];
  const child = spawn(node, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
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
    // A configuration left registered by URL would refuse writes in the test's namespaces.
    if (webhooks === 'local') await kubectl(['delete', '--ignore-not-found', '--wait=false', `validatingwebhookconfiguration/${configurationName}`, `mutatingwebhookconfiguration/${configurationName}`]);
  });
  const portFromLog = (what: string, re: RegExp) =>
    waitFor(what, () => {
      if (!alive) throw new Error(`operator exited:\n${out.slice(-4000)}`);
      const m = re.exec(out);
      return m ? Number(m[1]) : undefined;
    }, { timeoutMs: 90_000 });
  const metricsPort = await portFromLog("the operator's metrics server", /"port":(\d+),"msg":"metrics server listening"/);
  const probePort = await portFromLog("the operator's probe server", /"port":(\d+),"msg":"health probe server listening"/);
  const webhookPort = webhooks === 'off' ? undefined : await portFromLog("the operator's webhook server", /"port":(\d+),[^\n]*"msg":"webhook server listening"/);
  if (webhooks === 'local') await waitUntilAdmissionServed(home);
  return {
    child,
    metricsPort,
    probePort,
    webhookPort,
    log: () => out,
    get alive() {
      return alive;
    },
    requestLog,
    async writes() {
      const byMethod: Record<string, number> = {};
      const objects: Record<string, number> = {};
      let total = 0;
      for (const w of writesSent(readRequestLog(requestLog))) {
        if (isLeaseRequest(w)) continue;
        byMethod[w.method] = (byMethod[w.method] ?? 0) + 1;
        if (!w.path.endsWith('/status')) objects[w.method] = (objects[w.method] ?? 0) + 1;
        total++;
      }
      return { total, byMethod, objects };
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

/**
 * The apiserver picks up a new webhook configuration a moment after it is written: wait until our
 * validating webhook answers for `namespace`. The probe (an Engine with an absurd replica count,
 * server-side dry run) is refused by the webhook's own --max-replicas rule, which no schema holds.
 */
export async function waitUntilAdmissionServed(namespace: string): Promise<void> {
  const probe = JSON.stringify({
    apiVersion: 'cluster.engula.io/v1alpha1',
    kind: 'Engine',
    metadata: { name: 'webhook-probe', namespace },
    spec: { replicas: 100_000, clusterName: 'probe' },
  });
  await waitFor(`the apiserver to call the operator's webhook for namespace ${namespace}`, async () => {
    const r = await kubectl(['create', '--dry-run=server', '-f', '-'], { input: probe });
    // The refusal names the operator's flag: only the webhook knows it.
    return r.code !== 0 && r.stderr.includes('--max-replicas');
  }, { timeoutMs: 60_000, intervalMs: 250 });
}

/** Deletes cluster-scoped objects by kind/name, ignoring those already gone. */
export async function deleteClusterScoped(...refs: string[]): Promise<void> {
  await kubectlOk(['delete', '--ignore-not-found', '--wait=false', ...refs]);
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

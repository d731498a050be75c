// Helpers for integration tests: the control plane that hack/run-tests.ts started, a namespace of
// the test's own, kubectl, and polling with a deadline.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { runCommand, type CommandResult } from '../../testenv/run-command.ts';

export interface TestEnvInfo {
  /** Admin kubeconfig (client certificate, system:masters). */
  kubeconfig: string;
  /** https://127.0.0.1:<port> */
  apiServerUrl: string;
  /** Folder with etcd, kube-apiserver, kubectl, kwok... */
  binDir: string;
  /** PEM of the CA that signed the apiserver's serving certificate and the admin client certificate. */
  caCertPath: string;
  /** 'full' has controller-manager, scheduler and kwok nodes; 'apiserver' only etcd + kube-apiserver. */
  mode: 'full' | 'apiserver';
}

export function testEnv(): TestEnvInfo {
  const kubeconfig = process.env.KUBECONFIG;
  const apiServerUrl = process.env.TESTENV_API_URL;
  const binDir = process.env.TESTENV_BIN_DIR;
  const caCertPath = process.env.TESTENV_CA;
  const mode = process.env.TESTENV_MODE;
  if (!kubeconfig || !apiServerUrl || !binDir || !caCertPath || (mode !== 'full' && mode !== 'apiserver')) {
    throw new Error(
      'integration tests need a control plane: run them through `npm test` (hack/run-tests.ts), ' +
        'or export the variables that `make testenv` prints',
    );
  }
  return { kubeconfig, apiServerUrl, binDir, caCertPath, mode };
}

export function kubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(testEnv().kubeconfig);
  return kc;
}

/** Something that takes clean-ups the way a TestContext does. */
export interface CleanupScope {
  after(fn: () => Promise<void>): void;
}

/**
 * Clean-ups for setup done in a suite's before() hook, where node:test gives no TestContext:
 * registered like t.after(), run newest first by the suite's `after(() => cleanup.run())`.
 */
export function suiteCleanup(): CleanupScope & { run(): Promise<void> } {
  const fns: (() => Promise<void>)[] = [];
  return {
    after: (fn) => void fns.push(fn),
    async run() {
      for (let fn = fns.pop(); fn; fn = fns.pop()) await fn();
    },
  };
}

/** Creates a namespace named `<prefix>-<random>`, deleted (without waiting) when the test ends. */
export async function testNamespace(t: TestContext | CleanupScope, prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString('hex')}`.toLowerCase();
  await core.createNamespace({ body: { metadata: { name, labels: { 'engula-test': 'true', ...labels } } } });
  t.after(async () => {
    await core.deleteNamespace({ name }).catch(() => undefined);
  });
  return name;
}

export type { CommandResult };

/** Runs the kubectl that matches the control plane's version, against its admin kubeconfig. */
export function kubectl(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  const env = testEnv();
  return run(join(env.binDir, 'kubectl'), ['--kubeconfig', env.kubeconfig, ...args], opts);
}

export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  return runCommand(cmd, args, opts);
}

/** kubectl that must succeed: throws with its stderr otherwise. */
export async function kubectlOk(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Polls `check` until it returns something other than undefined/false, or fails after the deadline
 * with the description and the last error or value seen.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const interval = opts.intervalMs ?? 200;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${opts.timeoutMs ?? 30_000} ms waiting for ${what} (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

// Running the demo's commands: kubectl (the control plane's own build, against the demo's
// kubeconfig only, whatever KUBECONFIG says) and node, collecting their output.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { root } from './layout.ts';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export interface Kubectl {
  (args: string[], opts?: { input?: string }): Promise<Result>;
  /** Must succeed: throws with kubectl's stderr otherwise. */
  ok(args: string[], opts?: { input?: string }): Promise<string>;
  /** `get -o json` of one object, undefined when it does not exist. */
  json<T>(args: string[]): Promise<T | undefined>;
  path: string;
}

export function kubectlFor(binDir: string, kubeconfig: string): Kubectl {
  const path = join(binDir, 'kubectl');
  const k = ((args: string[], opts: { input?: string } = {}) => run(path, ['--kubeconfig', kubeconfig, ...args], opts)) as Kubectl;
  k.path = path;
  k.ok = async (args, opts) => {
    const r = await k(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  k.json = async <T>(args: string[]) => {
    const out = await k.ok([...args, '-o', 'json', '--ignore-not-found']);
    return out.trim() === '' ? undefined : (JSON.parse(out) as T);
  };
  return k;
}

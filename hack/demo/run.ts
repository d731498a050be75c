// Running the demo's commands: kubectl (the control plane's own build, against the demo's
// kubeconfig only, whatever KUBECONFIG says) and node, collecting their output.
import { join } from 'node:path';
import { runCommand, type CommandResult } from '../../testenv/run-command.ts';
import { root } from './layout.ts';

export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CommandResult> {
  return runCommand(cmd, args, { ...opts, cwd: root, env: { ...process.env, ...opts.env } });
}

export interface Kubectl {
  (args: string[], opts?: { input?: string }): Promise<CommandResult>;
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

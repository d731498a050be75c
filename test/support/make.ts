// The repository's real make targets, as the deploy tests run them, and a transcript of a command
// for the test's log.
import { resolve } from 'node:path';
import { run, type CommandResult } from './kube.ts';

const root = resolve(import.meta.dirname, '..', '..');

/** The real make target; -o: never reinstall node_modules (npm ci) under the tests running beside this one. */
export function make(target: string, vars: Record<string, string>, kubeconfig: string): Promise<CommandResult> {
  const args = ['-s', '-C', root, '-o', 'node_modules/.installed', target, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)];
  return run('make', args, { env: { ...process.env, KUBECONFIG: kubeconfig }, timeoutMs: 300_000 });
}

/** A command's exit code and output, as a test's diagnostic shows it. */
export const transcript = (r: CommandResult): string => `exit ${r.code}\n--- stdout\n${r.stdout.trim()}\n--- stderr\n${r.stderr.trim()}`;

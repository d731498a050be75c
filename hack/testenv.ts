// make testenv / make testenv-down: a local control plane that outlives this command, for running
// the operator (`make run`) or kubectl by hand. Its folder is TESTENV_DIR (default .testenv/).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveBinDir } from '../testenv/bins.ts';
import { files } from '../testenv/components.ts';
import { startControlPlane, stopControlPlaneAt, type ControlPlaneState } from '../testenv/controlplane.ts';
import { testenvLogger } from '../testenv/logger.ts';
import { isAlive } from '../testenv/process.ts';

const root = resolve(import.meta.dirname, '..');
const dir = resolve(process.env.TESTENV_DIR ?? join(root, '.testenv'));
const log = testenvLogger('testenv');

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { mode: { type: 'string', default: 'full' }, nodes: { type: 'string', default: '3' } },
});
const command = positionals[0] ?? 'up';

function runningState(): ControlPlaneState | undefined {
  const stateFile = files(dir).state;
  if (!existsSync(stateFile)) return undefined;
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as ControlPlaneState;
  return state.processes.some((p) => isAlive(p.pid)) ? state : undefined;
}

function usage(env: Record<string, string>): string {
  const lines = Object.entries(env).map(([k, v]) => `export ${k}=${v}`);
  return `${lines.join('\n')}\n`;
}

if (command === 'up') {
  const mode = values.mode === 'apiserver' ? 'apiserver' : 'full';
  if (runningState()) {
    process.stdout.write(`A control plane is already running in ${dir}; \`make testenv-down\` stops it.\nsource ${files(dir).env}\n`);
    process.exit(0);
  }
  const started = Date.now();
  const binDir = await resolveBinDir();
  const cp = await startControlPlane({ dir, mode, binDir, nodes: Number(values.nodes), logger: log });
  writeFileSync(files(dir).env, usage(cp.env()));
  log.info({ seconds: (Date.now() - started) / 1000 }, 'testenv up');
  process.stdout.write(
    `Control plane (${mode}) is up; its data and logs are in ${dir}.\n` +
      `Use it with:\n  export KUBECONFIG=${cp.kubeconfig}\n  kubectl get nodes\n` +
      `or load every variable (for the tests) with:\n  source ${files(dir).env}\n` +
      `Stop it with: make testenv-down\n`,
  );
} else if (command === 'down') {
  const stopped = await stopControlPlaneAt(dir);
  process.stdout.write(stopped ? `Stopped the control plane in ${dir} and removed the folder.\n` : `No control plane in ${dir}.\n`);
} else if (command === 'env') {
  if (!runningState()) {
    process.stderr.write(`No control plane is running in ${dir}; start one with \`make testenv\`.\n`);
    process.exit(1);
  }
  process.stdout.write(readFileSync(files(dir).env, 'utf8'));
} else {
  process.stderr.write('usage: node hack/testenv.ts up [--mode full|apiserver] [--nodes N] | down | env\n');
  process.exit(2);
}

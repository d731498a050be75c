// The demo's last step: `kubectl engula status` of the sample, run as a user runs it, through
// kubectl, which finds the plugin as an executable named kubectl-engula on PATH. The demo puts a
// small launcher of the plugin's source in its folder (bin/), so nothing needs `npm run build`
// first, and tells the user to put that folder on PATH.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { echo, show } from './say.ts';
import { CLUSTER, NAMESPACE, root, type DemoLayout } from './layout.ts';
import { run, type Kubectl } from './run.ts';

/** Writes DEMO_DIR/bin/kubectl-engula; returns the folder, for PATH. */
export function installPlugin(l: DemoLayout): string {
  const bin = join(l.dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const launcher = join(bin, 'kubectl-engula');
  writeFileSync(launcher, `#!/bin/sh\nexec "${join(root, 'node_modules', '.bin', 'node')}" "${join(root, 'cmd', 'kubectl-engula.ts')}" "$@"\n`);
  chmodSync(launcher, 0o755);
  return bin;
}

/** Prints `kubectl engula status` of the sample. Flags go after the plugin's name: kubectl passes them on. */
export async function pluginStatus(kubectl: Kubectl, l: DemoLayout, pluginDir: string): Promise<void> {
  const args = ['engula', 'status', CLUSTER, '-n', NAMESPACE];
  echo(`kubectl ${args.join(' ')}`);
  const r = await run(kubectl.path, args, { env: { KUBECONFIG: l.kubeconfig, PATH: `${pluginDir}:${process.env.PATH ?? ''}` } });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  show(r.stdout);
}

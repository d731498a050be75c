// Where the control plane's binaries are: hack/testenv-bins.sh honours KUBEBUILDER_ASSETS, else
// builds them once from their Go modules into a cache outside the repo (showing progress). helm,
// for the chart's tests, comes the same way from hack/helm-bin.sh (HELM_BIN, else built once).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs a script that shows progress on stderr and prints a path as its last line on stdout. */
function printedPath(script: string, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(script, [], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const path = out.trim().split('\n').pop() ?? '';
      if (code === 0 && path) resolve(path);
      else reject(new Error(`${script} exited ${code}: ${what} not available`));
    });
  });
}

export function resolveBinDir(): Promise<string> {
  return printedPath(fileURLToPath(new URL('../hack/testenv-bins.sh', import.meta.url)), 'the control plane binaries are');
}

/** The helm binary (hack/helm-bin.sh: $HELM_BIN, else the cached build, else a build first). */
export function resolveHelm(): Promise<string> {
  return printedPath(fileURLToPath(new URL('../hack/helm-bin.sh', import.meta.url)), 'helm is');
}

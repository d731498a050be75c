// Where the control plane's binaries are: hack/testenv-bins.sh honours KUBEBUILDER_ASSETS, else
// builds them once from their Go modules into a cache outside the repo (showing progress).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../hack/testenv-bins.sh', import.meta.url));

export function resolveBinDir(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(script, [], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const dir = out.trim().split('\n').pop() ?? '';
      if (code === 0 && dir) resolve(dir);
      else reject(new Error(`${script} exited ${code}: the control plane binaries are not available`));
    });
  });
}

// What the API integration tests share: installing the CRDs (idempotent, safe when test files run
// side by side) and a kubectl with its own discovery cache, so a cache filled before the CRDs
// existed never hides the new kinds from `kubectl get engula`.
import { mkdtempSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CRD_NAMES, installCrds as installSharedCrds } from '../../support/crds.ts';
import { kubectl, kubectlOk, testEnv, waitFor, type CommandResult } from '../../support/kube.ts';

export const ROOT = resolve(import.meta.dirname, '../../..');
// Inside the control plane's folder, so it is removed with it.
const cacheDir = mkdtempSync(join(dirname(testEnv().kubeconfig), 'kubectl-cache-'));

export function k(args: string[], input?: string): Promise<CommandResult> {
  return kubectl(['--cache-dir', cacheDir, ...args], input === undefined ? {} : { input });
}

export function kOk(args: string[], input?: string): Promise<string> {
  return kubectlOk(['--cache-dir', cacheDir, ...args], input === undefined ? {} : { input });
}

export { CRD_NAMES };

/** Applies config/crd/bases and waits until every CRD is Established and its kinds are served. */
export async function installCrds(): Promise<void> {
  await installSharedCrds();
  await waitFor('the engula kinds to be served', async () => (await k(['get', 'engula', '-A'])).code === 0);
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when kube-apiserver's error text names `field` as the field of one of its errors. */
export function namesField(stderr: string, field: string): boolean {
  return new RegExp(`(^|[\\s*:])${escapeRegExp(field)}: `, 'm').test(stderr);
}

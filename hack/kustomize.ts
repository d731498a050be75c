// What a kustomization renders, as `kubectl kustomize` renders it: the one renderer for the code that
// turns config/ into something else (the Helm chart, hack/chart/) and for the tests that read the
// shipped manifests (test/support/kustomize.ts re-exports it).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const repoRoot = resolve(import.meta.dirname, '..');

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface ManifestDoc {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  rules?: PolicyRule[];
  spec?: Record<string, unknown>;
}

/**
 * The kubectl to render with: $KUBECTL (the Makefile's variable), else the control plane's own
 * (a test run sets TESTENV_BIN_DIR), else the one on PATH. kubectl's kustomize renders config/
 * byte for byte alike from v1.32 (kustomize v5.5) to v1.36 (v5.8).
 */
export function kubectlBinary(): string {
  if (process.env.KUBECTL) return process.env.KUBECTL;
  const fromTestenv = process.env.TESTENV_BIN_DIR ? join(process.env.TESTENV_BIN_DIR, 'kubectl') : undefined;
  return fromTestenv && existsSync(fromTestenv) ? fromTestenv : 'kubectl';
}

/** The YAML `dir` (relative to the repository) renders. */
export function renderKustomizationText(dir: string): string {
  try {
    return execFileSync(kubectlBinary(), ['kustomize', join(repoRoot, dir)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`${kubectlBinary()} kustomize ${dir} failed (set KUBECTL to a kubectl, e.g. the one \`make testenv-bins\` prints the folder of): ${stderr || (err as Error).message}`);
  }
}

/** The documents `dir` (relative to the repository) renders, in kustomize's order. */
export function renderKustomization(dir: string): ManifestDoc[] {
  return parseAllDocuments(renderKustomizationText(dir)).map((d) => d.toJS() as ManifestDoc);
}

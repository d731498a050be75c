// What a kustomization renders, as `kubectl kustomize` renders it (the control plane's own kubectl
// when a run has one), for the tests that read the shipped manifests.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const repoRoot = resolve(import.meta.dirname, '..', '..');

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface ManifestDoc {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  rules?: PolicyRule[];
  spec?: Record<string, unknown>;
}

function kubectlBinary(): string {
  const fromEnv = process.env.TESTENV_BIN_DIR ? join(process.env.TESTENV_BIN_DIR, 'kubectl') : undefined;
  return fromEnv && existsSync(fromEnv) ? fromEnv : 'kubectl';
}

/** The documents `dir` (relative to the repository) renders. */
export function renderKustomization(dir: string): ManifestDoc[] {
  return parseAllDocuments(execFileSync(kubectlBinary(), ['kustomize', join(repoRoot, dir)], { encoding: 'utf8' })).map((d) => d.toJS() as ManifestDoc);
}

// The environment the shipped Deployment gives the operator (config/manager/manager.yaml: the
// manager container's literal `env` values), so the benchmark runs the process as a pod would
// (Node and allocator settings included). Values from the downward API have no meaning here.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

interface EnvVar {
  name: string;
  value?: string;
}

export function deploymentEnv(root: string): Record<string, string> {
  const file = resolve(root, 'config', 'manager', 'manager.yaml');
  const out: Record<string, string> = {};
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const o = doc.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: Array<{ name: string; env?: EnvVar[] }> } } } } | null;
    if (o?.kind !== 'Deployment') continue;
    const manager = o.spec?.template?.spec?.containers?.find((c) => c.name === 'manager');
    for (const e of manager?.env ?? []) if (e.value !== undefined) out[e.name] = e.value;
  }
  return out;
}

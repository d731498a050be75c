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

/** The manager container of the shipped Deployment (config/manager/manager.yaml), as written. */
export interface ManagerContainer {
  name: string;
  env?: EnvVar[];
  resources?: { limits?: { cpu?: string | number; memory?: string | number } };
}

export function managerContainer(root: string): ManagerContainer | undefined {
  const file = resolve(root, 'config', 'manager', 'manager.yaml');
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const o = doc.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: ManagerContainer[] } } } } | null;
    if (o?.kind !== 'Deployment') continue;
    return o.spec?.template?.spec?.containers?.find((c) => c.name === 'manager');
  }
  return undefined;
}

export function deploymentEnv(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of managerContainer(root)?.env ?? []) if (e.value !== undefined) out[e.name] = e.value;
  return out;
}

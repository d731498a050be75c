// The Engula objects a cluster holds, and the refusal `make uninstall` and `make undeploy` give while
// there are any they would delete: deleting a CRD deletes every object of its kind, deleting a
// namespace every object in it, and with a Cluster go its children, StatefulSets and pods. kubectl
// is the one the Makefile runs ($KUBECTL, against $KUBECONFIG), so the scripts reach the cluster the
// rest of `make` reaches.
import { spawnSync } from 'node:child_process';
import { GROUP, KIND_NAMES } from '../api/v1alpha1/kinds.ts';
import { runCommand, type CommandResult } from '../testenv/run-command.ts';

export interface EngulaObject {
  kind: string;
  namespace: string;
  name: string;
}

export type KubectlCommand = (args: string[]) => Promise<CommandResult>;

/** $KUBECTL as words (the Makefile lets it carry flags: `KUBECTL="kubectl --context prod"`). */
function kubectlWords(): [string, ...string[]] {
  const [cmd = 'kubectl', ...flags] = (process.env.KUBECTL ?? '').split(/\s+/).filter(Boolean);
  return [cmd, ...flags];
}

/** kubectl with its output captured (for reading); it reads KUBECONFIG from the environment as usual. */
export function kubectlFromEnv(): KubectlCommand {
  const [cmd, ...flags] = kubectlWords();
  return (args) => runCommand(cmd, [...flags, ...args], { timeoutMs: 120_000 });
}

/** kubectl writing to this terminal (for deleting: a person watches it), with `input` on stdin. Returns its exit code. */
export function kubectlShown(args: string[], input?: string): number {
  const [cmd, ...flags] = kubectlWords();
  const r = spawnSync(cmd, [...flags, ...args], { stdio: [input === undefined ? 'inherit' : 'pipe', 'inherit', 'inherit'], ...(input === undefined ? {} : { input }) });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

async function ok(kubectl: KubectlCommand, args: string[]): Promise<string> {
  const r = await kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

interface Crd {
  spec: { group: string; names: { kind: string; plural: string } };
}
interface Listed {
  metadata: { namespace?: string; name: string };
}

/**
 * Every object of every kind of our API group that the cluster serves (the CRDs installed, whatever
 * version they are), in `namespaces` or everywhere. With no CRD of the group there is nothing.
 */
export async function listEngulaObjects(kubectl: KubectlCommand, namespaces?: string[]): Promise<EngulaObject[]> {
  const crds = (JSON.parse(await ok(kubectl, ['get', 'customresourcedefinitions', '-o', 'json'])) as { items: Crd[] }).items.filter((c) => c.spec.group === GROUP);
  const scopes = namespaces === undefined ? [['--all-namespaces']] : namespaces.map((ns) => ['--namespace', ns]);
  const out: EngulaObject[] = [];
  for (const crd of crds) {
    for (const scope of scopes) {
      const list = JSON.parse(await ok(kubectl, ['get', `${crd.spec.names.plural}.${GROUP}`, ...scope, '-o', 'json'])) as { items: Listed[] };
      for (const o of list.items) out.push({ kind: crd.spec.names.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name });
    }
  }
  return out;
}

/** Clusters first, then the children in the API's order; a kind this version does not know, last. */
function kindRank(kind: string): number {
  const i = (KIND_NAMES as readonly string[]).indexOf(kind);
  return i < 0 ? KIND_NAMES.length : i;
}

/** One line per kind: `  Cluster (2): team-a/demo, team-b/prod`. Every object is named: this is what would be deleted. */
export function describeObjects(objects: EngulaObject[]): string[] {
  const byKind = new Map<string, string[]>();
  for (const o of objects) byKind.set(o.kind, [...(byKind.get(o.kind) ?? []), `${o.namespace}/${o.name}`]);
  return [...byKind.entries()]
    .sort(([a], [b]) => kindRank(a) - kindRank(b) || a.localeCompare(b))
    .map(([kind, names]) => `  ${kind} (${names.length}): ${names.sort().join(', ')}`);
}

/** `7 Engula objects in 2 namespaces` */
export function countObjects(objects: EngulaObject[]): string {
  const namespaces = new Set(objects.map((o) => o.namespace)).size;
  return `${objects.length} Engula object${objects.length === 1 ? '' : 's'} in ${namespaces} namespace${namespaces === 1 ? '' : 's'}`;
}

/** FORCE=1 (any value but empty, 0, false or no) asks to delete the Engula objects too. */
export function forced(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.FORCE ?? '').trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false' && v !== 'no';
}

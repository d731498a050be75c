// What a convergence timeout needs to say when the operator did its part but pods stopped being
// Ready: the nodes' health as the node-lifecycle controller sees it (Ready conditions, taints, node
// Lease renewals), the pods' Ready conditions with who set them and why, the node controller's
// events, whether kwok and the other components are alive, and a copy of their logs, since the
// control plane's folder is removed when the run ends.
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlPlane } from '../../testenv/controlplane.ts';
import { kubectlOk } from './kube.ts';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastHeartbeatTime?: string;
}

const ago = (t: string | undefined, now: number): string => (t ? `${((now - Date.parse(t)) / 1000).toFixed(0)}s ago` : '-');

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk([...args, '-o', 'json'], { timeoutMs: 20_000 })) as T;
}

async function nodes(now: number): Promise<string[]> {
  const list = await getJson<{ items: Array<{ metadata: { name: string }; spec: { taints?: Array<{ key: string; effect: string }> }; status: { conditions?: Condition[] } }> }>(['get', 'nodes']);
  return list.items.map((n) => {
    const r = n.status.conditions?.find((c) => c.type === 'Ready');
    const taints = (n.spec.taints ?? []).map((t) => `${t.key}:${t.effect}`).join(',') || 'none';
    return `node ${n.metadata.name}: Ready=${r?.status} (${r?.reason}) transition ${ago(r?.lastTransitionTime, now)}, heartbeat ${ago(r?.lastHeartbeatTime, now)}; taints ${taints}`;
  });
}

async function nodeLeases(now: number): Promise<string[]> {
  const list = await getJson<{ items: Array<{ metadata: { name: string }; spec: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number } }> }>(['-n', 'kube-node-lease', 'get', 'leases']);
  return list.items.map((l) => `lease ${l.metadata.name}: holder ${l.spec.holderIdentity}, renewed ${ago(l.spec.renewTime, now)} (duration ${l.spec.leaseDurationSeconds}s)`);
}

async function pods(now: number): Promise<string[]> {
  const list = await getJson<{ items: Array<{ metadata: { namespace: string; name: string }; spec: { nodeName?: string }; status: { phase?: string; conditions?: Condition[] } }> }>(['get', 'pods', '-A', '-l', 'app.kubernetes.io/managed-by=engula-operator']);
  const notReady = list.items.filter((p) => p.status.conditions?.find((c) => c.type === 'Ready')?.status !== 'True');
  const phases = new Map<string, number>();
  for (const p of list.items) phases.set(p.status.phase ?? '-', (phases.get(p.status.phase ?? '-') ?? 0) + 1);
  const head = `pods: ${list.items.length}, not Ready ${notReady.length}, phases ${JSON.stringify(Object.fromEntries(phases))}`;
  return [
    head,
    ...notReady.slice(0, 4).map((p) => {
      const r = p.status.conditions?.find((c) => c.type === 'Ready');
      return `pod ${p.metadata.namespace}/${p.metadata.name} on ${p.spec.nodeName}: ${p.status.phase}, Ready=${r?.status} reason ${r?.reason ?? '-'} message ${JSON.stringify(r?.message ?? '')} transition ${ago(r?.lastTransitionTime, now)}`;
    }),
  ];
}

interface NodeControllerEvent {
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string };
  lastTimestamp?: string;
  eventTime?: string;
  count?: number;
}

/** How many times the node-lifecycle controller declared a node, or a pod for its node, NotReady (events live an hour). */
export async function nodeNotReadyCounts(): Promise<{ nodes: number; pods: number }> {
  const list = await getJson<{ items: NodeControllerEvent[] }>(['get', 'events', '-A', '--field-selector', 'source=node-controller,reason=NodeNotReady']);
  const sum = (kind: string) => list.items.filter((e) => e.involvedObject.kind === kind).reduce((n, e) => n + (e.count ?? 1), 0);
  return { nodes: sum('Node'), pods: sum('Pod') };
}

async function nodeEvents(): Promise<string[]> {
  const list = await getJson<{ items: NodeControllerEvent[] }>(['get', 'events', '-A', '--field-selector', 'source=node-controller']);
  const byReason = new Map<string, number>();
  for (const e of list.items) byReason.set(`${e.involvedObject.kind}/${e.reason}`, (byReason.get(`${e.involvedObject.kind}/${e.reason}`) ?? 0) + (e.count ?? 1));
  const nodeOnes = list.items.filter((e) => e.involvedObject.kind === 'Node').slice(-8);
  return [`node-controller events: ${JSON.stringify(Object.fromEntries(byReason))}`, ...nodeOnes.map((e) => `event ${e.lastTimestamp ?? e.eventTime} ${e.involvedObject.name} ${e.reason}: ${e.message}`)];
}

function controllerManagerLines(cp: ControlPlane): string[] {
  const kcm = cp.processes().find((p) => p.name === 'kube-controller-manager');
  if (!kcm) return [];
  const pattern = /disruption mode|zone is now in new state|Error updating node|Unable to mark pod|MarkPodsNotReady/;
  return readFileSync(kcm.logFile, 'utf8').split('\n').filter((l) => pattern.test(l)).slice(-8).map((l) => `kcm: ${l.slice(0, 300)}`);
}

async function section(name: string, f: () => Promise<string[]> | string[]): Promise<string[]> {
  try {
    return await f();
  } catch (err) {
    return [`${name}: could not read (${(err as Error).message.slice(0, 200)})`];
  }
}

/** A multi-line report of node and pod health, with the path of a kept copy of the component logs. */
export async function nodeDiagnostics(cp: ControlPlane): Promise<string> {
  const now = Date.now();
  const kept = mkdtempSync(join(tmpdir(), 'engula-diagnostics-'));
  const lines = [
    `processes: ${cp.processes().map((p) => `${p.name}(${p.pid}) ${p.alive ? 'alive' : 'DEAD'}`).join(', ')}`,
    ...(await section('nodes', () => nodes(now))),
    ...(await section('node leases', () => nodeLeases(now))),
    ...(await section('pods', () => pods(now))),
    ...(await section('events', nodeEvents)),
    ...(await section('kcm log', () => controllerManagerLines(cp))),
    ...(await section('logs', () => {
      cpSync(join(cp.dir, 'logs'), kept, { recursive: true });
      return [`component logs kept at ${kept}`];
    })),
  ];
  return lines.join('\n');
}

// For a deploy test on a control plane of its own, where installing and removing CRDs and the
// operator's cluster-wide objects touches no other test file: kubectl against that control plane,
// the operator run out of the cluster as `make run` runs it (kwok never runs the deployed
// operator's container), and a Cluster brought to Ready by it.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';
import pino from 'pino';
import { startControlPlane, tempControlPlaneDir, type ControlPlane } from '../../testenv/controlplane.ts';
import { run, testEnv, waitFor, type CommandResult } from './kube.ts';

const root = resolve(import.meta.dirname, '..', '..');
const node = join(root, 'node_modules', '.bin', 'node');
export const API = 'cluster.engula.io/v1alpha1';

export interface PlaneKubectl {
  path: string;
  k(args: string[], input?: string): Promise<CommandResult>;
  /** Must succeed: throws with its stderr otherwise. */
  kOk(args: string[], input?: string): Promise<string>;
  json<T>(args: string[]): Promise<T>;
}

export function planeKubectl(plane: ControlPlane): PlaneKubectl {
  const path = join(plane.binDir, 'kubectl');
  const k = (args: string[], input?: string) => run(path, ['--kubeconfig', plane.kubeconfig, ...args], input === undefined ? {} : { input });
  const kOk = async (args: string[], input?: string) => {
    const r = await k(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  return { path, k, kOk, json: async <T>(args: string[]) => JSON.parse(await kOk([...args, '-o', 'json'])) as T };
}

/** A Cluster of one pod per component; `spec` adds to it. */
export const sampleCluster = (name: string, namespace: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: API,
  kind: 'Cluster',
  metadata: { name, namespace },
  spec: { name, image: { name: 'uhub.service.ucloud.cn/zojw/engula:0.9' }, journal: { replicas: 1 }, storage: { replicas: 1 }, kernel: { replicas: 1 }, engine: { replicas: 1 }, ...spec },
});

export interface LocalOperator {
  log(): string;
  stop(): Promise<void>;
}

/**
 * The operator as `make run` runs it, on loopback, in namespace `home` (created here), with
 * webhook configurations of its own name, so that those a test installs (config/webhook, the
 * chart's) are other objects. Resolves once the API server calls its webhook.
 */
export async function startLocalOperator(plane: ControlPlane, kubectl: PlaneKubectl, home: string, configurationName: string): Promise<LocalOperator> {
  await kubectl.kOk(['create', 'namespace', home]);
  const operator = spawn(
    node,
    [
      'cmd/manager.ts', '--local-webhooks', '--webhook-port=0', `--webhook-configuration-name=${configurationName}`, `--operator-namespace=${home}`,
      '--leader-elect', `--leader-election-namespace=${home}`, '--metrics-bind-address=127.0.0.1:0', '--health-probe-bind-address=127.0.0.1:0',
      '--kubeconfig', plane.kubeconfig,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  operator.stdout.on('data', (d: Buffer) => (out += d.toString()));
  operator.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => operator.once('exit', () => r()));
  const stop = async () => {
    if (operator.exitCode === null && operator.signalCode === null) {
      operator.kill('SIGTERM');
      const killer = setTimeout(() => operator.kill('SIGKILL'), 40_000);
      await exited;
      clearTimeout(killer);
    }
  };
  // Refused by the webhook's own --max-replicas rule, which no schema holds: only a served webhook says it.
  const probe = JSON.stringify({ apiVersion: API, kind: 'Engine', metadata: { name: 'webhook-probe', namespace: home }, spec: { replicas: 100_000, clusterName: 'probe' } });
  const served = waitFor('the operator to serve admission', async () => {
    const r = await kubectl.k(['create', '--dry-run=server', '-f', '-'], probe);
    return r.code !== 0 && r.stderr.includes('--max-replicas');
  }, { timeoutMs: 90_000, intervalMs: 500 });
  // An operator that exits while starting fails the test at once, with its log.
  const died = exited.then(() => {
    throw new Error('the operator exited');
  });
  try {
    await Promise.race([served, died]);
  } catch (err) {
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nthe operator's log (end):\n${out.slice(-4000)}`);
  }
  return { log: () => out, stop };
}

export interface ObjectStatus {
  metadata: { uid: string; name: string };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

/** Waits until the Cluster is Ready with `pods` pods Running and Ready in its namespace. */
export async function waitClusterReady(kubectl: PlaneKubectl, namespace: string, name: string, pods: number): Promise<void> {
  await waitFor(`Cluster ${namespace}/${name} to be Ready with its ${pods} pods Running and Ready`, async () => {
    const c = await kubectl.json<ObjectStatus>(['get', 'cluster', name, '-n', namespace]);
    const list = await kubectl.json<{ items: ObjectStatus[] }>(['get', 'pods', '-n', namespace]);
    const ready = list.items.filter((p) => p.status?.phase === 'Running' && p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
    return c.status?.phase === 'Ready' && ready.length === pods;
  }, { timeoutMs: 240_000, intervalMs: 1_000 });
}

/** Every object of these kinds in the namespace, kind/name → uid: the same uids later means the same objects, never deleted and made again. */
export async function objectUids(kubectl: PlaneKubectl, namespace: string, kinds: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const kind of kinds) {
    for (const o of (await kubectl.json<{ items: ObjectStatus[] }>(['get', kind, '-n', namespace])).items) out[`${kind}/${o.metadata.name}`] = o.metadata.uid;
  }
  return out;
}

/**
 * For a describe(): a control plane of the suite's own (one kwok node), started before its tests
 * and stopped after them, with the out-of-cluster operator a test starts on it (`operatorStarted`).
 */
export function ownControlPlane(): { plane: () => ControlPlane; operatorStarted: (operator: LocalOperator) => void } {
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  let cp: ControlPlane | undefined;
  let operator: LocalOperator | undefined;
  before(async () => {
    cp = await startControlPlane({ dir: tempControlPlaneDir(), mode: 'full', nodes: 1, binDir: testEnv().binDir, logger: log });
  });
  after(async () => {
    await operator?.stop();
    await cp?.stop();
  });
  return {
    plane: () => {
      if (!cp) throw new Error('the control plane is not started yet');
      return cp;
    },
    operatorStarted: (op) => {
      operator = op;
    },
  };
}

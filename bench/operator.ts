// The operator as the benchmark runs it: the built output (`node dist/cmd/manager.js`, what the
// image runs) with webhooks served on loopback and registered by URL, and leader election on.
// Memory and CPU come from /proc (VmHWM is the kernel's own peak RSS); API requests, reconciles
// and the heap from the operator's /metrics; a forced GC through the inspector protocol.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { freePort } from '../testenv/ports.ts';
import { deploymentEnv } from './deployment-env.ts';
import { deploymentLimits, podCgroup } from './pod-limits.ts';
import { waitUntil } from './kube.ts';

const root = resolve(import.meta.dirname, '..');
export const LEADER_ELECTION_ID = 'engula-operator-leader';
export const LEADER_ELECTION_NAMESPACE = 'default';

export interface ProcStats {
  rssMiB: number;
  peakRssMiB: number;
  cpuSeconds: number;
}

export interface Metrics {
  /** rest_client_requests_total by method and by code. */
  requestsByMethod: Record<string, number>;
  requestsByCode: Record<string, number>;
  requests: number;
  reconciles: number;
  reconcilesByController: Record<string, number>;
  heapUsedBytes: number;
  leader: boolean;
}

export interface OperatorProcess {
  pid: number;
  metricsPort: number;
  probePort: number;
  stats(): ProcStats;
  metrics(): Promise<Metrics>;
  /** Forces a full GC through the inspector (only with `inspect`) and returns the used heap. */
  collectGarbage(): Promise<{ usedHeapMiB: number }>;
  /** Writes a heap snapshot (only with `inspect`); the summary is in bench/heap-summary.ts. */
  heapSnapshot(file: string): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

const CLK_TCK = 100;

export function procStats(pid: number): ProcStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of /proc/<pid>/stat (utime, stime), counted from field 3 after the command.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024, cpuSeconds: ticks / CLK_TCK };
}

export function parseMetrics(text: string): Metrics {
  const m: Metrics = { requestsByMethod: {}, requestsByCode: {}, requests: 0, reconciles: 0, reconcilesByController: {}, heapUsedBytes: 0, leader: false };
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = /^([a-zA-Z_:]+)(?:\{([^}]*)\})? ([0-9.eE+-]+)$/.exec(line);
    if (!match) continue;
    const [, name, labelText = '', valueText = '0'] = match;
    const labels: Record<string, string> = {};
    for (const l of labelText.matchAll(/(\w+)="([^"]*)"/g)) labels[l[1] ?? ''] = l[2] ?? '';
    const value = Number(valueText);
    if (name === 'rest_client_requests_total') {
      const method = labels.method ?? '?';
      const code = labels.code ?? '?';
      m.requestsByMethod[method] = (m.requestsByMethod[method] ?? 0) + value;
      m.requestsByCode[code] = (m.requestsByCode[code] ?? 0) + value;
      m.requests += value;
    } else if (name === 'controller_runtime_reconcile_total') {
      const c = labels.controller ?? '?';
      m.reconcilesByController[c] = (m.reconcilesByController[c] ?? 0) + value;
      m.reconciles += value;
    } else if (name === 'nodejs_heap_size_used_bytes') {
      m.heapUsedBytes = value;
    } else if (name === 'leader_election_master_status' && labels.name === LEADER_ELECTION_ID) {
      m.leader = value === 1;
    }
  }
  return m;
}

export interface StartOptions {
  kubeconfig: string;
  /** Folder whose dist/cmd/manager.js runs (default: this checkout; another build for a before/after). */
  operatorRoot?: string;
  log: Logger;
  /** Start with the inspector on loopback, so collectGarbage() works. */
  inspect?: boolean;
  /** Wait for leadership and synced caches (default true). */
  waitReady?: boolean;
  /** --api-request-log: the operator's record of every request (for the breakdown by resource). */
  requestLog?: string;
}

let started = 0;
const limitsApplied = new Set<string>();

/** The limits each operator of this run ran under (one entry unless cgroups failed part way). */
export function operatorLimits(): string[] {
  return [...limitsApplied];
}

export async function startOperator(opts: StartOptions): Promise<OperatorProcess> {
  const webhookPort = await freePort();
  const args = [
    // BENCH_OPERATOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR": Node flags for the operator only (profiles).
    ...(process.env.BENCH_OPERATOR_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? []),
    ...(opts.inspect ? ['--inspect=127.0.0.1:0'] : []),
    resolve(opts.operatorRoot ?? root, 'dist', 'cmd', 'manager.js'),
    '--local-webhooks',
    `--webhook-port=${webhookPort}`,
    '--leader-elect',
    `--leader-election-id=${LEADER_ELECTION_ID}`,
    `--leader-election-namespace=${LEADER_ELECTION_NAMESPACE}`,
    '--metrics-bind-address=127.0.0.1:0',
    '--health-probe-bind-address=127.0.0.1:0',
    '--kubeconfig',
    opts.kubeconfig,
    ...(opts.requestLog ? [`--api-request-log=${opts.requestLog}`] : []),
  ];
  const env = { ...process.env, ...deploymentEnv(opts.operatorRoot ?? root) };
  // BENCH_POD_LIMITS=0: without the Deployment's limits (to see what they change).
  const cgroup = podCgroup(`engula-bench-${process.pid}-${++started}`, process.env.BENCH_POD_LIMITS === '0' ? {} : deploymentLimits(opts.operatorRoot ?? root), opts.log);
  limitsApplied.add(cgroup.applied);
  const command = cgroup.wrap([process.execPath, ...args]);
  const child: ChildProcess = spawn(command.file, command.args, { cwd: opts.operatorRoot ?? root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) {
    cgroup.remove();
    throw new Error('could not start the operator');
  }
  let out = '';
  let err = '';
  // Keep the log bounded: 1,000 Clusters log a lot, and only the tail explains a failure.
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  // BENCH_OPERATOR_LOG=FILE keeps the operator's whole log (for looking into a slow run).
  if (process.env.BENCH_OPERATOR_LOG) child.stdout?.pipe(createWriteStream(process.env.BENCH_OPERATOR_LOG, { flags: 'a' }));
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-200_000)));
  // The cgroup goes once its one process has.
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code))).finally(() => cgroup.remove());
  let alive = true;
  void exited.then(() => (alive = false));
  const log = (): string => `${out.slice(-4000)}\n${err.slice(-2000)}`;

  const port = (re: RegExp): number | undefined => {
    if (!alive) throw new Error(`the operator exited:\n${log()}`);
    const m = re.exec(out);
    return m ? Number(m[1]) : undefined;
  };
  const metricsPort = await waitUntil('the operator\'s metrics server', () => port(/"port":(\d+),"msg":"metrics server listening"/), 60_000);
  const probePort = await waitUntil('the operator\'s probe server', () => port(/"port":(\d+),"msg":"health probe server listening"/), 60_000);
  let inspectorUrl: string | undefined;
  if (opts.inspect) inspectorUrl = await waitUntil('the inspector', () => /Debugger listening on (ws:\/\/\S+)/.exec(err)?.[1], 30_000);

  const metrics = async (): Promise<Metrics> => parseMetrics(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
  const proc: OperatorProcess = {
    pid,
    metricsPort,
    probePort,
    stats: () => procStats(pid),
    metrics,
    log,
    async collectGarbage() {
      if (!inspectorUrl) throw new Error('the operator was started without the inspector');
      return inspectorGc(inspectorUrl);
    },
    async heapSnapshot(file) {
      if (!inspectorUrl) throw new Error('the operator was started without the inspector');
      await inspectorSnapshot(inspectorUrl, file);
    },
    async stop() {
      if (!alive) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        opts.log.warn({ pid }, 'the operator did not stop within 60 s of SIGTERM: SIGKILL');
        child.kill('SIGKILL');
      }, 60_000);
      await exited;
      clearTimeout(timer);
    },
  };
  process.once('exit', () => {
    if (alive) child.kill('SIGKILL');
  });
  if (opts.waitReady ?? true) {
    try {
      await waitUntil('the operator leading with synced caches and webhooks registered', async () => {
        if (!alive) throw new Error(`the operator exited:\n${log()}`);
        const ready = await fetch(`http://127.0.0.1:${probePort}/readyz`).then((r) => r.ok, () => false);
        return ready && (await metrics()).leader && out.includes('webhooks registered by URL') && (out.match(/"msg":"starting workers"/g)?.length ?? 0) >= 5;
      }, 180_000);
    } catch (e) {
      await proc.stop();
      throw e;
    }
  }
  opts.log.debug({ pid, metricsPort }, 'operator ready');
  return proc;
}

/** HeapProfiler.collectGarbage, then Runtime.getHeapUsage, over the inspector's WebSocket. */
async function inspectorGc(url: string): Promise<{ usedHeapMiB: number }> {
  const { call, close } = await inspector(url);
  try {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const usage = (await call('Runtime.getHeapUsage')) as { usedSize: number };
    return { usedHeapMiB: usage.usedSize / 1024 / 1024 };
  } finally {
    close();
  }
}

/** HeapProfiler.takeHeapSnapshot: the snapshot arrives in chunks, written to `file` as they come. */
async function inspectorSnapshot(url: string, file: string): Promise<void> {
  const out = createWriteStream(file);
  const { call, close } = await inspector(url, (method, params) => {
    if (method === 'HeapProfiler.addHeapSnapshotChunk') out.write((params as { chunk: string }).chunk);
  });
  try {
    await call('HeapProfiler.enable');
    await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  } finally {
    close();
    await new Promise<void>((r) => out.end(r));
  }
}

async function inspector(url: string, onEvent?: (method: string, params: unknown) => void): Promise<{ call: (method: string, params?: unknown) => Promise<unknown>; close: () => void }> {
  const ws = new WebSocket(url);
  await new Promise<void>((res, rej) => {
    ws.addEventListener('open', () => res(), { once: true });
    ws.addEventListener('error', () => rej(new Error(`inspector ${url} refused the connection`)), { once: true });
  });
  let id = 0;
  const pending = new Map<number, (v: unknown) => void>();
  ws.addEventListener('message', (ev: MessageEvent) => {
    const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; method?: string; params?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
    else if (msg.method !== undefined) onEvent?.(msg.method, msg.params);
  });
  const call = (method: string, params?: unknown): Promise<unknown> =>
    new Promise((res) => {
      const n = ++id;
      pending.set(n, res);
      ws.send(JSON.stringify({ id: n, method, ...(params !== undefined ? { params } : {}) }));
    });
  return { call, close: () => ws.close() };
}

// One operator run for N Clusters: a fresh operator process, N seed Clusters applied at once (one
// namespace each, through its admission webhooks), timed until every Cluster says Ready; then the
// cost of getting there from its /metrics and /proc. Optionally, with the Clusters converged: the
// writes of an idle minute, and the latency of replicas edits.
//
// Lease renewals (a GET and a PUT every retry period, 2 s) are background traffic, not work per
// Cluster: they are counted from the Lease's own watch (one MODIFIED event per renewal) and
// reported apart, and taken out of requestsPerCluster and idle writes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Informer } from '../runtime/informer.ts';
import { coreResources, resourcePath, type KubeObject } from '../runtime/resource.ts';
import { isNotFound } from '../runtime/errors.ts';
import type { RestClient } from '../runtime/rest.ts';
import { engulaResources } from '../controllers/resources.ts';
import { Pool, waitUntil, withRetry } from './kube.ts';
import { LEADER_ELECTION_ID, LEADER_ELECTION_NAMESPACE, startOperator, type Metrics, type OperatorProcess } from './operator.ts';
import { requestBreakdown } from './request-breakdown.ts';
import { seedCluster, SEED_NAME } from './seed.ts';

export interface ConvergenceResult {
  n: number;
  seconds: number;
  /** byResource: with --breakdown only (from the operator's request records). */
  requestsPerCluster: { total: number; byMethod: Record<string, number>; byResource?: Record<string, number> };
  conflicts: number;
  reconcilesPerCluster: number;
  reconcilesByController: Record<string, number>;
  peakRssMiB: number;
  idleRssMiB: number;
  cpuSeconds: number;
  leaseRequests: number;
}

export interface IdleResult {
  minutes: number;
  writesPerMinute: number;
  writesByMethod: Record<string, number>;
}

export interface ScaleLatency {
  edits: number;
  p50: number;
  p99: number;
}

/** Counts lease renewals: every successful renewal is one MODIFIED event of the Lease. */
export class LeaseCounter {
  renewals = 0;
  private readonly informer: Informer;

  constructor(rest: RestClient, log: Logger) {
    this.informer = new Informer({ rest, ref: coreResources.leases, namespace: LEADER_ELECTION_NAMESPACE, fieldSelector: `metadata.name=${LEADER_ELECTION_ID}`, logger: log });
    this.informer.addEventHandler({ onUpdate: () => this.renewals++, onAdd: () => this.renewals++ });
  }

  async start(): Promise<void> {
    this.informer.start();
    await this.informer.waitForSync();
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }
}

function isReady(obj: KubeObject): boolean {
  const conds = (obj.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions;
  return conds?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

function diff(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = (b[k] ?? 0) - (a[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** Lease traffic taken out of the per-method counts: one GET and one PUT per renewal. */
function withoutLease(byMethod: Record<string, number>, renewals: number): Record<string, number> {
  const out = { ...byMethod };
  for (const m of ['GET', 'PUT']) if (out[m] !== undefined) out[m] = Math.max(0, out[m] - renewals);
  for (const k of Object.keys(out)) if (out[k] === 0) delete out[k];
  return out;
}

const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];

function writesOf(byMethod: Record<string, number>): number {
  return WRITE_METHODS.reduce((n, m) => n + (byMethod[m] ?? 0), 0);
}

/** Waits until the operator sent no write but lease renewals for `quietMs` (status roll-ups
 * after the last Ready). */
async function settle(op: OperatorProcess, lease: LeaseCounter, quietMs: number, timeoutMs: number): Promise<Metrics> {
  const work = (m: Metrics): number => writesOf(m.requestsByMethod) - lease.renewals;
  let last = work(await op.metrics());
  let since = Date.now();
  return waitUntil('the operator to settle', async () => {
    const now = await op.metrics();
    if (work(now) !== last) {
      last = work(now);
      since = Date.now();
    }
    return Date.now() - since >= quietMs ? now : undefined;
  }, timeoutMs, 500);
}

export interface RunOptions {
  rest: RestClient;
  kubeconfig: string;
  operatorRoot?: string;
  namespaces: string[];
  log: Logger;
  timeoutMs: number;
  idleMs?: number;
  scaleEdits?: number;
  /** Requests by resource, from the operator's --api-request-log (costs it CPU: not for the CPU numbers). */
  breakdown?: boolean;
}

export async function runOperatorConvergence(opts: RunOptions): Promise<{ convergence: ConvergenceResult; idle?: IdleResult; scaleLatencyMs?: ScaleLatency }> {
  const { rest, namespaces, log } = opts;
  const n = namespaces.length;
  const clusters = new Informer({ rest, ref: engulaResources.Cluster, logger: log.child({ part: 'clusters' }) });
  clusters.start();
  await clusters.waitForSync();
  const lease = new LeaseCounter(rest, log.child({ part: 'lease' }));
  await lease.start();
  // The request records cost the operator a synchronous write per request: only when asked.
  const requestLog = opts.breakdown ? join(mkdtempSync(join(tmpdir(), 'bench-requests-')), 'requests.jsonl') : undefined;
  const op = await startOperator({ kubeconfig: opts.kubeconfig, log, ...(requestLog ? { requestLog } : {}), ...(opts.operatorRoot ? { operatorRoot: opts.operatorRoot } : {}) });
  try {
    const before = await op.metrics();
    const statsBefore = op.stats();
    const renewalsBefore = lease.renewals;
    log.info({ n, idleRssMiB: Math.round(statsBefore.rssMiB) }, 'operator ready; applying the Clusters');

    const started = Date.now();
    const pool = new Pool(64);
    await Promise.all(namespaces.map((ns) => pool.run(() => withRetry(() => rest.request('POST', resourcePath(engulaResources.Cluster, ns), { body: seedCluster(ns) })))));
    let lastReport = 0;
    const wanted = new Set(namespaces);
    await waitUntil(`${n} Clusters Ready`, () => {
      const ready = clusters.store.list().filter((c) => wanted.has(c.metadata.namespace ?? '') && isReady(c)).length;
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        log.info({ n, ready, seconds: Math.round((Date.now() - started) / 1000) }, 'converging');
      }
      return ready === n;
    }, opts.timeoutMs, 100);
    const seconds = (Date.now() - started) / 1000;
    log.info({ n, seconds }, 'every Cluster Ready; waiting for the operator to settle');
    const after = await settle(op, lease, 5_000, 120_000);
    const settledAt = Date.now();
    const stats = op.stats();
    const renewals = lease.renewals - renewalsBefore;
    const byMethod = withoutLease(diff(before.requestsByMethod, after.requestsByMethod), renewals);
    const byCode = diff(before.requestsByCode, after.requestsByCode);
    const total = Object.values(byMethod).reduce((a, b) => a + b, 0);
    const perCluster = Object.fromEntries(Object.entries(byMethod).map(([k, v]) => [k, round(v / n, 2)]));
    const convergence: ConvergenceResult = {
      n,
      seconds: round(seconds, 1),
      requestsPerCluster: { total: round(total / n, 2), byMethod: perCluster, ...(requestLog ? { byResource: requestBreakdown(requestLog, started - 1_000, settledAt, n) } : {}) },
      conflicts: byCode['409'] ?? 0,
      reconcilesPerCluster: round((after.reconciles - before.reconciles) / n, 2),
      reconcilesByController: diff(before.reconcilesByController, after.reconcilesByController),
      peakRssMiB: round(stats.peakRssMiB, 1),
      idleRssMiB: round(statsBefore.rssMiB, 1),
      cpuSeconds: round(stats.cpuSeconds - statsBefore.cpuSeconds, 2),
      leaseRequests: renewals * 2,
    };
    log.info({ convergence }, 'convergence measured');

    let idle: IdleResult | undefined;
    if (opts.idleMs) {
      log.info({ seconds: opts.idleMs / 1000 }, 'measuring idle writes');
      const m0 = await op.metrics();
      const r0 = lease.renewals;
      await new Promise((r) => setTimeout(r, opts.idleMs)); // the measurement window itself, not a wait for a condition
      const m1 = await op.metrics();
      const writes = withoutLease(diff(m0.requestsByMethod, m1.requestsByMethod), lease.renewals - r0);
      delete writes.GET;
      const minutes = opts.idleMs / 60_000;
      idle = { minutes, writesPerMinute: round(writesOf(writes) / minutes, 2), writesByMethod: writes };
      log.info({ idle }, 'idle writes measured');
    }

    let scaleLatencyMs: ScaleLatency | undefined;
    if (opts.scaleEdits) scaleLatencyMs = await measureScaleLatency(rest, namespaces, opts.scaleEdits, log);
    return { convergence, ...(idle ? { idle } : {}), ...(scaleLatencyMs ? { scaleLatencyMs } : {}) };
  } catch (err) {
    log.error({ operatorLog: op.log() }, 'operator run failed');
    throw err;
  } finally {
    await op.stop();
    await lease.stop();
    await clusters.stop();
    await noLeftoverConfigurations(rest, op, log);
  }
}

/**
 * The operator deletes the webhook configurations it registered by URL when it stops; one left
 * behind would refuse every later Engula write (failurePolicy Fail, nothing listening). Said loudly,
 * with the operator's last words, and removed so the next phase measures what it should.
 */
async function noLeftoverConfigurations(rest: RestClient, op: OperatorProcess, log: Logger): Promise<void> {
  for (const kind of ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations']) {
    const path = `/apis/admissionregistration.k8s.io/v1/${kind}/engula-operator`;
    try {
      await rest.request('DELETE', path);
      log.warn({ kind, operatorLog: op.log() }, 'the stopped operator left its webhook configuration registered; removed');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** Edits spec.engine.replicas of one Cluster at a time (1 → 2) and times it until the engine's
 * StatefulSet, seen through a watch, has the new replicas. */
async function measureScaleLatency(rest: RestClient, namespaces: string[], edits: number, log: Logger): Promise<ScaleLatency> {
  const sts = new Informer({ rest, ref: coreResources.statefulSets, labelSelector: 'app.kubernetes.io/component=engine', logger: log.child({ part: 'scale' }) });
  let wake: (() => void) | undefined;
  sts.addEventHandler({ onUpdate: () => wake?.() });
  sts.start();
  await sts.waitForSync();
  const latencies: number[] = [];
  try {
    for (let i = 0; i < edits; i++) {
      const ns = namespaces[i % namespaces.length] ?? '';
      const key = `${ns}/${SEED_NAME}-engine`;
      const want = ((sts.store.get(key)?.spec as { replicas?: number } | undefined)?.replicas ?? 1) === 1 ? 2 : 1;
      const started = performance.now();
      await rest.request('PATCH', resourcePath(engulaResources.Cluster, ns, SEED_NAME), { body: { spec: { engine: { replicas: want } } }, contentType: 'application/merge-patch+json' });
      const deadline = Date.now() + 60_000;
      while ((sts.store.get(key)?.spec as { replicas?: number } | undefined)?.replicas !== want) {
        if (Date.now() > deadline) throw new Error(`${key}: replicas ${want} not seen within 60 s`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 1000).unref();
        });
      }
      latencies.push(performance.now() - started);
    }
  } finally {
    await sts.stop();
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN, 1);
  const result = { edits, p50: at(0.5), p99: at(0.99) };
  log.info({ scaleLatencyMs: result }, 'scale latency measured');
  return result;
}

export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

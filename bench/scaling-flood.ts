// Admission while the scaling API is flooded with bad tokens, on loopback. The built operator
// (`node dist/cmd/manager.js`, with the Deployment's env and, where cgroups allow, its CPU and
// memory limits) runs against a control plane of its own (etcd and kube-apiserver), its webhooks
// registered by URL, as `make run` runs it. Quiet phases alternate with flood phases (so a
// machine whose load drifts shifts both alike); in each, from this process:
//   - admission reviews straight to the webhook port, open loop at --admission-rate a second over
//     keep-alive connections (as the API server sends them): the webhook's own latency;
//   - writes of a Cluster through the API server, which calls both webhooks for each: what a
//     `kubectl apply` sees;
// and in flood phases, from a process of its own, --rate scaling calls a second, each with a token
// never seen before (the worst case: no cached refusal helps), over a new TLS connection each or
// over keep-alive connections. Every caller is 127.0.0.1, the flood included: the per-source limit
// must tell them apart by route, not by address.
// TokenReviews are counted by the API server itself (apiserver_request_total); RSS and CPU from /proc.
//
//   npm run build && npm run bench:scaling-flood -- [--seconds 15] [--rounds 2] [--rate 200]
//                                 [--flood-workers 3] [--admission-rate 20] [--limits on|off] [--out FILE]
//   --rounds: each round is a flood over new connections and one over keep-alive connections, each
//   between quiet phases; RSS after each round shows whether the operator keeps what a flood left.
//   --flood-workers: processes the flood is spread over (a TLS handshake a call costs the sender too).
//   --limits off: the operator started with the per-source limit and the cap on reviews in flight
//   out of reach, as before they existed (every bad call a TokenReview), for a before/after.
//   Writes bench/results/scaling-flood[-limits-off].json; progress on stderr, the table on stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { RestClient } from '../runtime/rest.ts';
import { DEFAULT_MAX_INFLIGHT_REVIEWS, DEFAULT_SOURCE_LIMIT } from '../webhooks/scaling/index.ts';
import { DEFAULT_MAX_CONNECTIONS } from '../webhooks/server.ts';
import { resolveBinDir } from '../testenv/bins.ts';
import { reapOrphanedControlPlanes, startControlPlane, tempControlPlaneDir, type ControlPlane } from '../testenv/controlplane.ts';
import { testenvLogger } from '../testenv/logger.ts';
import { freePort } from '../testenv/ports.ts';
import { deploymentEnv } from './deployment-env.ts';
import { installCrds, restClientFor, waitUntil } from './kube.ts';
import { parseMetrics, procStats } from './operator.ts';
import { deploymentLimits, podCgroup } from './pod-limits.ts';

const root = resolve(import.meta.dirname, '..');
const NAMESPACE = 'bench-flood';
const CLUSTER = 'demo';
const VALIDATE_PATH = '/validate-cluster-engula-io-v1alpha1';
const SCALE_PATH = `/apis/scaling.engula.io/v1/namespaces/${NAMESPACE}/clusters/${CLUSTER}/components/engine/scale`;
type FloodConnections = 'new' | 'keepalive';

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface Latency {
  count: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
}

function latency(ms: number[], errors: number): Latency {
  const s = [...ms].sort((a, b) => a - b);
  return { count: s.length, errors, p50: round(percentile(s, 50)), p99: round(percentile(s, 99)), max: round(s.at(-1) ?? Number.NaN) };
}

/**
 * Calls `fire` `rate` times a second for `ms`, on a schedule that does not wait for answers (no
 * coordinated omission). A sender that falls behind catches up as fast as it can, and stops at the
 * deadline all the same: the rate it reached is the count over the time.
 */
async function openLoop<T>(rate: number, ms: number, fire: (i: number) => Promise<T>): Promise<T[]> {
  const started = performance.now();
  const calls: Array<Promise<T>> = [];
  for (let i = 0; i < Math.floor((rate * ms) / 1000) && performance.now() - started < ms; i++) {
    await sleep(started + (i * 1000) / rate - performance.now());
    calls.push(fire(i));
  }
  return Promise.all(calls);
}

function httpsCall(port: number, agent: Agent | false, ca: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ code: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, method, agent, ca, timeout: 15_000, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: text, ms: performance.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ code: 0, body: '', ms: performance.now() - started }));
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// The flood, in a process of its own: `node bench/scaling-flood.ts --flood-worker` with its job in
// BENCH_FLOOD; prints one JSON line with the answers it got.

interface FloodJob {
  port: number;
  caPem: string;
  rate: number;
  ms: number;
  connections: FloodConnections;
}

interface FloodResult {
  sent: number;
  /** Calls sent per second: below the rate asked when the sender could not keep up. */
  sentPerSecond: number;
  codes: Record<string, number>;
  /** Of the answers (not of connection failures). */
  answerMs: Latency;
  retryAfterOn429: boolean;
}

async function floodWorker(job: FloodJob): Promise<FloodResult> {
  const agent = job.connections === 'keepalive' ? new Agent({ keepAlive: true, maxSockets: 64, ca: job.caPem }) : false;
  let retryAfterOn429 = true;
  const answers = await openLoop(job.rate, job.ms, async () => {
    const started = performance.now();
    return new Promise<{ code: number; ms: number }>((resolve) => {
      const req = httpsRequest({ host: '127.0.0.1', port: job.port, path: SCALE_PATH, method: 'GET', agent, ca: job.caPem, timeout: 15_000, headers: { authorization: `Bearer ${randomBytes(24).toString('base64url')}` } }, (res) => {
        if (res.statusCode === 429 && res.headers['retry-after'] === undefined) retryAfterOn429 = false;
        res.resume();
        res.on('end', () => resolve({ code: res.statusCode ?? 0, ms: performance.now() - started }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve({ code: 0, ms: performance.now() - started }));
      req.end();
    });
  });
  if (agent) agent.destroy();
  const codes: Record<string, number> = {};
  for (const a of answers) codes[String(a.code)] = (codes[String(a.code)] ?? 0) + 1;
  const answered = answers.filter((a) => a.code !== 0);
  return { sent: answers.length, sentPerSecond: round(answers.length / (job.ms / 1000), 1), codes, answerMs: latency(answered.map((a) => a.ms), answers.length - answered.length), retryAfterOn429 };
}

if (process.argv.includes('--flood-worker')) {
  const result = await floodWorker(JSON.parse(process.env.BENCH_FLOOD ?? '{}') as FloodJob);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '2' },
    'flood-workers': { type: 'string', default: '3' },
    rate: { type: 'string', default: '200' },
    'admission-rate': { type: 'string', default: '20' },
    limits: { type: 'string', default: 'on' },
    out: { type: 'string' },
  },
});
const phaseMs = Number(values.seconds) * 1000;
const rate = Number(values.rate);
const rounds = Number(values.rounds);
const floodWorkers = Math.max(1, Number(values['flood-workers']));
const admissionRate = Number(values['admission-rate']);
const limitsOn = values.limits !== 'off';
const out = resolve(root, values.out ?? `bench/results/scaling-flood${limitsOn ? '' : '-limits-off'}.json`);
const log = testenvLogger('bench-scaling-flood');
const dist = resolve(root, 'dist', 'cmd', 'manager.js');
if (!existsSync(dist)) throw new Error(`${dist} is missing: npm run build first`);

interface Operator {
  pid: number;
  webhookPort: number;
  metricsPort: number;
  stop(): Promise<void>;
}

/** The built operator as bench/operator.ts runs it, on a webhook port this script knows. */
async function startOperator(kubeconfig: string): Promise<Operator> {
  const webhookPort = await freePort();
  const args = [
    dist,
    '--local-webhooks',
    `--webhook-port=${webhookPort}`,
    '--leader-elect',
    '--leader-election-namespace=default',
    '--metrics-bind-address=127.0.0.1:0',
    '--health-probe-bind-address=127.0.0.1:0',
    `--kubeconfig=${kubeconfig}`,
    // Out of reach: what the operator did before the limits existed.
    ...(limitsOn ? [] : ['--scaling-source-qps=1000000', '--scaling-source-burst=1000000', '--scaling-max-inflight-reviews=1000000']),
  ];
  const cgroup = podCgroup(`engula-bench-flood-${process.pid}`, deploymentLimits(root), log);
  const command = cgroup.wrap([process.execPath, ...args]);
  const child: ChildProcess = spawn(command.file, command.args, { cwd: root, env: { ...process.env, ...deploymentEnv(root) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.on('exit', () => r())).finally(() => cgroup.remove());
  let text = '';
  let alive = true;
  void exited.then(() => (alive = false));
  // Only the start matters (ports, registration); the flood's audit lines are read and dropped.
  child.stdout?.on('data', (d: Buffer) => {
    if (text.length < 1_000_000) text += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
  const stop = async (): Promise<void> => {
    if (!alive) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  process.once('exit', () => {
    if (alive) child.kill('SIGKILL');
  });
  try {
    const metricsPort = await waitUntil('the operator\'s metrics server', () => {
      if (!alive) throw new Error(`the operator exited:\n${text.slice(-3000)}`);
      return Number(/"port":(\d+),"msg":"metrics server listening"/.exec(text)?.[1] ?? 0) || undefined;
    }, 60_000);
    const probePort = await waitUntil('the probe server', () => Number(/"port":(\d+),"msg":"health probe server listening"/.exec(text)?.[1] ?? 0) || undefined, 60_000);
    await waitUntil('the operator leading, ready, its webhooks registered', async () => {
      if (!alive) throw new Error(`the operator exited:\n${text.slice(-3000)}`);
      const ready = await fetch(`http://127.0.0.1:${probePort}/readyz`).then((r) => r.ok, () => false);
      const m = parseMetrics(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
      return ready && m.leader && text.includes('webhooks registered by URL');
    }, 180_000);
    log.info({ pid: child.pid, webhookPort, limits: cgroup.applied, scalingLimits: limitsOn ? 'on (defaults)' : 'off' }, 'operator ready');
    return { pid: child.pid!, webhookPort, metricsPort, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** TokenReviews the API server has answered, from its own metrics. */
async function tokenReviews(admin: RestClient): Promise<number> {
  let n = 0;
  await admin.stream('/metrics', {}, (line) => {
    if (line.startsWith('apiserver_request_total{') && line.includes('resource="tokenreviews"')) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  });
  return n;
}

interface Phase {
  name: string;
  flood: FloodConnections | undefined;
  /** Reviews straight to the webhook port. */
  admission: Latency;
  /** Cluster writes through the API server and both webhooks. */
  writes: Latency;
  floodResult?: FloodResult;
  tokenReviews: number;
  tokenReviewsPerBadCall?: number;
  operatorCpuSeconds: number;
  rssMiBAfter: number;
}

/** The flood spread over --flood-workers processes, each a share of the rate; their answers summed. */
async function runFlood(job: FloodJob): Promise<FloodResult> {
  const parts = await Promise.all(Array.from({ length: floodWorkers }, () => runFloodWorker({ ...job, rate: job.rate / floodWorkers })));
  const codes: Record<string, number> = {};
  for (const p of parts) for (const [c, n] of Object.entries(p.codes)) codes[c] = (codes[c] ?? 0) + n;
  const sent = parts.reduce((a, p) => a + p.sent, 0);
  return {
    sent,
    sentPerSecond: round(parts.reduce((a, p) => a + p.sentPerSecond, 0), 1),
    codes,
    // Per worker percentiles, so the worst of them: an upper bound.
    answerMs: { count: sent, errors: parts.reduce((a, p) => a + p.answerMs.errors, 0), p50: Math.max(...parts.map((p) => p.answerMs.p50)), p99: Math.max(...parts.map((p) => p.answerMs.p99)), max: Math.max(...parts.map((p) => p.answerMs.max)) },
    retryAfterOn429: parts.every((p) => p.retryAfterOn429),
  };
}

function runFloodWorker(job: FloodJob): Promise<FloodResult> {
  const child = spawn(process.execPath, [import.meta.filename, '--flood-worker'], { env: { ...process.env, BENCH_FLOOD: JSON.stringify(job) }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line) as FloodResult));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the flood worker exited ${code}`));
    });
  });
}

/** Each phase's latencies as measured, for percentiles over several phases. */
const raw = new Map<Phase, { admission: number[]; writes: number[] }>();

async function runPhase(name: string, flood: FloodConnections | undefined, ctx: { op: Operator; admin: RestClient; caPem: string; cluster: Record<string, unknown> }, ms = phaseMs): Promise<Phase> {
  log.info({ phase: name, seconds: ms / 1000, ...(flood ? { rate } : {}) }, 'phase');
  const reviewsBefore = await tokenReviews(ctx.admin);
  const cpuBefore = procStats(ctx.op.pid).cpuSeconds;
  const floodDone = flood ? runFlood({ port: ctx.op.webhookPort, caPem: ctx.caPem, rate, ms, connections: flood }) : undefined;
  // The API server keeps its connections to a webhook; so do these reviews.
  const agent = new Agent({ keepAlive: true, maxSockets: 16, ca: ctx.caPem });
  let i = 0;
  const review = (): string => JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomBytes(8).toString('hex'),
      kind: { group: 'cluster.engula.io', version: 'v1alpha1', kind: 'Cluster' },
      resource: { group: 'cluster.engula.io', version: 'v1alpha1', resource: 'clusters' },
      operation: 'UPDATE',
      namespace: NAMESPACE,
      name: CLUSTER,
      userInfo: { username: 'bench' },
      object: ctx.cluster,
      oldObject: ctx.cluster,
    },
  });
  const reviewsDone = openLoop(admissionRate, ms, () => httpsCall(ctx.op.webhookPort, agent, ctx.caPem, 'POST', VALIDATE_PATH, {}, review()));
  const writeMs: number[] = [];
  let writeErrors = 0;
  const writesDone = (async () => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        await ctx.admin.request('PATCH', `/apis/cluster.engula.io/v1alpha1/namespaces/${NAMESPACE}/clusters/${CLUSTER}`, {
          body: { metadata: { annotations: { 'bench.engula.io/write': String(i++) } } },
          contentType: 'application/merge-patch+json',
          timeoutMs: 15_000,
        });
        writeMs.push(performance.now() - t0);
      } catch {
        writeErrors++;
      }
      await sleep(t0 + 200 - performance.now());
    }
  })();
  const [reviews, , floodResult] = await Promise.all([reviewsDone, writesDone, floodDone]);
  agent.destroy();
  const admissionOk = reviews.filter((r) => r.code === 200 && r.body.includes('"allowed":true'));
  const tokenReviewCount = (await tokenReviews(ctx.admin)) - reviewsBefore;
  const phase: Phase = {
    name,
    flood,
    admission: latency(admissionOk.map((r) => r.ms), reviews.length - admissionOk.length),
    writes: latency(writeMs, writeErrors),
    tokenReviews: tokenReviewCount,
    operatorCpuSeconds: round(procStats(ctx.op.pid).cpuSeconds - cpuBefore),
    rssMiBAfter: round(procStats(ctx.op.pid).rssMiB, 1),
  };
  raw.set(phase, { admission: admissionOk.map((r) => r.ms), writes: writeMs });
  if (floodResult) {
    phase.floodResult = floodResult;
    phase.tokenReviewsPerBadCall = round(tokenReviewCount / floodResult.sent, 4);
  }
  log.info({ phase: name, admission: phase.admission, writes: phase.writes, tokenReviews: tokenReviewCount, flood: floodResult?.codes, rssMiB: phase.rssMiBAfter }, 'phase done');
  return phase;
}

let controlPlane: ControlPlane | undefined;
let op: Operator | undefined;
const teardown = async (): Promise<void> => {
  await op?.stop();
  await controlPlane?.stop();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void teardown().finally(() => process.exit(130)));

try {
  const loadBefore = loadavg()[0]!;
  await reapOrphanedControlPlanes(log);
  controlPlane = await startControlPlane({ dir: tempControlPlaneDir(), mode: 'apiserver', binDir: await resolveBinDir(), logger: log });
  const admin = restClientFor(controlPlane.kubeconfig);
  await installCrds(admin, root);
  await admin.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } } });
  op = await startOperator(controlPlane.kubeconfig);
  const secret = await admin.request<{ data: Record<string, string> }>('GET', '/api/v1/namespaces/default/secrets/engula-operator-webhook-cert');
  const caPem = Buffer.from(secret.data['ca-bundle.crt'] ?? secret.data['ca.crt'] ?? '', 'base64').toString('utf8');
  const spec = { name: CLUSTER, image: { name: 'uhub.service.ucloud.cn/zojw/engula:0.9' }, journal: { replicas: 1 }, storage: { replicas: 1 }, kernel: { replicas: 1 }, engine: { replicas: 1 } };
  // Created through admission: the first proof that the API server reaches the webhooks.
  await waitUntil('the Cluster created through admission', () =>
    admin.request('POST', `/apis/cluster.engula.io/v1alpha1/namespaces/${NAMESPACE}/clusters`, { body: { apiVersion: 'cluster.engula.io/v1alpha1', kind: 'Cluster', metadata: { name: CLUSTER }, spec } }).then(() => true), 60_000, 1_000);
  const cluster = await admin.request<Record<string, unknown>>('GET', `/apis/cluster.engula.io/v1alpha1/namespaces/${NAMESPACE}/clusters/${CLUSTER}`);
  const ctx = { op, admin, caPem, cluster };

  // JIT, pools, the informer caches: not measured.
  await runPhase('warm-up', undefined, ctx, 5_000);
  await sleep(2_000);
  const rssBefore = round(procStats(op.pid).rssMiB, 1);
  const rssSamples: number[] = [];
  const sampler = setInterval(() => rssSamples.push(procStats(op!.pid).rssMiB), 500);

  const phases: Phase[] = [];
  const rssAfterRound: number[] = [];
  phases.push(await runPhase('quiet', undefined, ctx));
  for (let r = 1; r <= rounds; r++) {
    phases.push(await runPhase(`round ${r}: flood, new connections`, 'new', ctx));
    phases.push(await runPhase(`round ${r}: quiet`, undefined, ctx));
    phases.push(await runPhase(`round ${r}: flood, keep-alive`, 'keepalive', ctx));
    phases.push(await runPhase(`round ${r}: quiet`, undefined, ctx));
    rssAfterRound.push(round(procStats(op.pid).rssMiB, 1));
  }
  // The flood is over: what the operator holds now is what it keeps.
  await sleep(5_000);
  clearInterval(sampler);
  const rssAfter = round(procStats(op.pid).rssMiB, 1);
  const peak = procStats(op.pid).peakRssMiB;
  const heapAfter = parseMetrics(await (await fetch(`http://127.0.0.1:${op.metricsPort}/metrics`)).text()).heapUsedBytes;

  const merge = (ps: Phase[], kind: 'admission' | 'writes'): Latency =>
    latency(ps.flatMap((p) => raw.get(p)?.[kind] ?? []), ps.reduce((a, p) => a + p[kind].errors, 0));
  const quiet = phases.filter((p) => !p.flood);
  const flooded = phases.filter((p) => p.flood);
  const badCalls = flooded.reduce((a, p) => a + (p.floodResult?.sent ?? 0), 0);
  const floodReviews = flooded.reduce((a, p) => a + p.tokenReviews, 0);
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadAverage: { before: round(loadBefore, 1), after: round(loadavg()[0]!, 1) },
    scalingLimits: limitsOn
      ? { sourceLimit: DEFAULT_SOURCE_LIMIT, maxInflightReviews: DEFAULT_MAX_INFLIGHT_REVIEWS, maxConnections: DEFAULT_MAX_CONNECTIONS }
      : 'off',
    operatorLimits: deploymentLimits(root),
    seconds: phaseMs / 1000,
    floodRate: rate,
    floodWorkers,
    rounds,
    admissionRate,
    phases,
    summary: {
      admissionWithoutFlood: merge(quiet, 'admission'),
      admissionWithFlood: merge(flooded, 'admission'),
      writesWithoutFlood: merge(quiet, 'writes'),
      writesWithFlood: merge(flooded, 'writes'),
      badCalls,
      tokenReviewsDuringFlood: floodReviews,
      tokenReviewsPerBadCall: round(floodReviews / Math.max(1, badCalls), 4),
      rssMiB: { before: rssBefore, afterEachRound: rssAfterRound, after: rssAfter, maxDuringRun: round(Math.max(...rssSamples), 1), peakSinceStart: round(peak, 1) },
      heapUsedMiBAfter: round(heapAfter / 2 ** 20, 1),
    },
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);

  const fmt = (l: Latency): string => `p50 ${l.p50.toFixed(2).padStart(7)} ms  p99 ${l.p99.toFixed(2).padStart(7)} ms  (${l.count} answered, ${l.errors} failed)`;
  const lines = [
    `scaling API flood on loopback: ${rate} bad-token calls/s, scaling limits ${limitsOn ? 'on' : 'off'}; ${phaseMs / 1000} s phases; Node ${process.version}, ${cpus().length} CPUs, load average ${round(loadBefore, 1)} → ${round(loadavg()[0]!, 1)}`,
    ...phases.map((p) => `  ${p.name.padEnd(38)} admission ${fmt(p.admission)}   writes p50 ${p.writes.p50.toFixed(1)} / p99 ${p.writes.p99.toFixed(1)} ms   TokenReviews ${p.tokenReviews}${p.floodResult ? ` (${p.tokenReviewsPerBadCall} per bad call; ${p.floodResult.sentPerSecond} calls/s sent; answers ${JSON.stringify(p.floodResult.codes)}, p99 ${p.floodResult.answerMs.p99} ms)` : ''}   CPU ${p.operatorCpuSeconds} s   RSS ${p.rssMiBAfter} MiB`),
    `  admission without flood: ${fmt(results.summary.admissionWithoutFlood)}`,
    `  admission with flood:    ${fmt(results.summary.admissionWithFlood)}`,
    `  writes through the API server without / with flood: p50 ${results.summary.writesWithoutFlood.p50} / ${results.summary.writesWithFlood.p50} ms, p99 ${results.summary.writesWithoutFlood.p99} / ${results.summary.writesWithFlood.p99} ms`,
    `  TokenReviews: ${floodReviews} for ${badCalls} bad calls (${results.summary.tokenReviewsPerBadCall} each)`,
    `  RSS: ${rssBefore} MiB before, ${rssAfterRound.join(' / ')} MiB after each round, ${rssAfter} MiB after, at most ${results.summary.rssMiB.maxDuringRun} MiB; heap used after ${results.summary.heapUsedMiBAfter} MiB`,
    `  written to ${out}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await op.stop();
  admin.close();
} finally {
  await teardown();
}

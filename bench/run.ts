// `make bench`: builds dist/ and measures the built operator against its own local control plane.
// Progress goes to stderr as pino JSON lines; the table to stdout; the numbers to
// bench/results/latest.json (docs/benchmarks.md says what each one means).
//
//   node bench/run.ts [--quick] [--sizes 10,50,200] [--rss 1000] [--out FILE] [--skip-admission]
//                     [--operator-root DIR] [--compare DIR]
//   --operator-root: run DIR/dist/cmd/manager.js (built there beforehand) instead of this checkout's.
//   --compare: also run DIR's build in the same run (same control plane, same floor, its own fresh
//   namespaces): the "before" of a before/after, written to bench/results/before.json.
//   --step LABEL=DIR (repeatable): more builds measured in the same run, one per step of a change;
//   their numbers go to bench/results/steps.json. --rss 0 skips the many-Clusters phase.
//   --breakdown: requests per Cluster by resource too, from the operator's --api-request-log (a
//   synchronous write per request: it inflates cpuSeconds, so not for a run whose CPU counts).
//   --heap-snapshot FILE: with the many Clusters cached, after the GC, write the current build's
//   heap snapshot there (summarise it with bench/heap-summary.ts).
//   BENCH_QUICK=1 make bench        smaller run (N = 10, 50; 200 cached Clusters) for iterating
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveBinDir } from '../testenv/bins.ts';
import { reapOrphanedControlPlanes, startControlPlane, tempControlPlaneDir, type ControlPlane } from '../testenv/controlplane.ts';
import { testenvLogger } from '../testenv/logger.ts';
import { round, runOperatorConvergence, type IdleResult, type ScaleLatency } from './convergence.ts';
import { runFloor } from './floor.ts';
import { createNamespaces, deleteNamespaces, installCrds, restClientFor } from './kube.ts';
import { formatTable, type BenchResults, type ConvergenceRow } from './results.ts';
import { operatorLimits } from './operator.ts';
import { createCachedClusters, measureRss, type Rss1000Result } from './rss1000.ts';
import { PODS_PER_CLUSTER } from './seed.ts';

const root = resolve(import.meta.dirname, '..');
const log = testenvLogger('bench');
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env.BENCH_QUICK === '1' },
    sizes: { type: 'string' },
    rss: { type: 'string' },
    out: { type: 'string' },
    'operator-root': { type: 'string' },
    compare: { type: 'string' },
    step: { type: 'string', multiple: true },
    'heap-snapshot': { type: 'string' },
    'skip-admission': { type: 'boolean', default: false },
    breakdown: { type: 'boolean', default: false },
  },
});
const quick = values.quick ?? false;
const sizes = (values.sizes ?? (quick ? '10,50' : '10,50,200')).split(',').map(Number);
const rssClusters = Number(values.rss ?? (quick ? 200 : 1000));
const out = resolve(root, values.out ?? (quick ? 'bench/results/quick.json' : 'bench/results/latest.json'));
const idleMs = quick ? 20_000 : 60_000;
const scaleEdits = quick ? 20 : 100;
/** The operator's workers: five controllers, one worker each (the default --max-concurrent-reconciles). */
const OPERATOR_WORKERS = 5;
const operatorRoot = values['operator-root'] ? resolve(values['operator-root']) : undefined;
const compareRoot = values.compare ? resolve(values.compare) : undefined;
const steps = (values.step ?? []).map((s) => {
  const eq = s.indexOf('=');
  if (eq <= 0) throw new Error(`--step wants LABEL=DIR, got ${JSON.stringify(s)}`);
  return { label: s.slice(0, eq), root: resolve(s.slice(eq + 1)) };
});
const maxN = Math.max(...sizes);
// 110 pods per kwok node; keep a tenth free, and room for the engines the scale edits add.
const kwokNodes = Math.ceil((maxN * PODS_PER_CLUSTER + scaleEdits) / 100) + 1;

let controlPlane: ControlPlane | undefined;
let stopping: Promise<void> | undefined;
function teardown(): Promise<void> {
  stopping ??= (async () => {
    if (controlPlane) {
      log.info('stopping the control plane');
      await controlPlane.stop();
    }
  })();
  return stopping;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    log.warn({ signal }, 'interrupted: tearing down');
    void teardown().finally(() => process.exit(130));
  });
}

function build(): void {
  log.info('building dist/ (tsc -p tsconfig.build.json)');
  const r = spawnSync(process.execPath, [resolve(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('the build failed');
}

/** bench/scaling.ts against this run's control plane: allowed scale PUTs through the API server and
 * the webhooks, authorization cached (the usual case) and reviewed anew on every call. */
function scalingBench(cp: ControlPlane): BenchResults['scalingApi'] {
  const calls = quick ? 50 : 300;
  log.info({ calls }, 'scaling API latency on loopback');
  const r = spawnSync(process.execPath, [resolve(root, 'bench', 'scaling.ts'), '--calls', String(calls), '--json'], { cwd: root, env: { ...process.env, ...cp.env() }, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the scaling API benchmark failed (exit ${r.status})`);
  const res = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { cached: { p50: number; p99: number; rps: number }; uncached: { p50: number; p99: number; rps: number } };
  const pick = (x: { p50: number; p99: number; rps: number }) => ({ p50: round(x.p50, 2), p99: round(x.p99, 2), rps: round(x.rps, 0) });
  return { ...pick(res.cached), concurrency: 1, uncached: pick(res.uncached) };
}

function admissionBench(): BenchResults['admission'] {
  const seconds = quick ? 3 : 10;
  log.info({ seconds }, 'admission latency on loopback');
  const r = spawnSync(process.execPath, [resolve(root, 'bench', 'admission.ts'), '--seconds', String(seconds), '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the admission benchmark failed (exit ${r.status})`);
  const res = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { seconds: number; concurrency: number; bare: { p50: number; p99: number; rps: number }; admission: { p50: number; p99: number; rps: number } };
  const pick = (x: { p50: number; p99: number; rps: number }) => ({ p50: round(x.p50, 2), p99: round(x.p99, 2), rps: round(x.rps, 0) });
  return { ...pick(res.admission), bare: pick(res.bare), concurrency: res.concurrency, seconds: res.seconds };
}

interface Measured {
  rows: ConvergenceRow[];
  idle?: IdleResult;
  scaleLatencyMs?: ScaleLatency;
}

const began = Date.now();
let exitCode = 0;
try {
  const load = loadavg();
  if (operatorRoot === undefined) build();
  const admission = values['skip-admission'] ? { p50: NaN, p99: NaN, rps: NaN, bare: { p50: NaN, p99: NaN, rps: NaN }, concurrency: 0, seconds: 0 } : admissionBench();
  await reapOrphanedControlPlanes(log);
  const binDir = await resolveBinDir();
  controlPlane = await startControlPlane({ dir: tempControlPlaneDir(), mode: 'full', binDir, nodes: kwokNodes, logger: log });
  const rest = restClientFor(controlPlane.kubeconfig);
  await installCrds(rest, root);
  const scalingApi = values['skip-admission'] ? { status: 'skipped (--skip-admission)' } : scalingBench(controlPlane);
  log.info({ admission, scalingApi }, 'admission and scaling API measured');
  const timeoutMs = 20 * 60_000;

  const builds: Array<{ label: string; root: string | undefined; m: Measured }> = [
    ...(compareRoot ? [{ label: 'before', root: compareRoot, m: { rows: [] } }] : []),
    ...steps.map((st) => ({ label: st.label, root: st.root as string | undefined, m: { rows: [] } as Measured })),
    { label: 'current', root: operatorRoot, m: { rows: [] } },
  ];
  for (const n of sizes) {
    const floorNs = Array.from({ length: n }, (_, i) => `bench-floor-${n}-${i}`);
    await createNamespaces(rest, floorNs);
    log.info({ n }, 'floor: a bare client creates the same objects');
    const floor = await runFloor(rest, floorNs, OPERATOR_WORKERS, log, timeoutMs);
    log.info({ n, seconds: floor.seconds }, 'floor measured');
    await deleteNamespaces(rest, floorNs, log);

    for (const b of builds) {
      const opNs = Array.from({ length: n }, (_, i) => `bench-op-${b.label}-${n}-${i}`);
      await createNamespaces(rest, opNs);
      log.info({ n, build: b.label }, 'operator: applying seed Clusters');
      const last = n === maxN;
      const r = await runOperatorConvergence({ rest, kubeconfig: controlPlane.kubeconfig, ...(b.root ? { operatorRoot: b.root } : {}), namespaces: opNs, log, timeoutMs, breakdown: values.breakdown ?? false, ...(last ? { idleMs, scaleEdits } : {}) });
      if (r.idle) b.m.idle = r.idle;
      if (r.scaleLatencyMs) b.m.scaleLatencyMs = r.scaleLatencyMs;
      const c = r.convergence;
      b.m.rows.push({
        n,
        seconds: c.seconds,
        floorSeconds: round(floor.seconds, 1),
        ratio: round(c.seconds / floor.seconds, 2),
        requestsPerCluster: c.requestsPerCluster,
        conflicts: c.conflicts,
        reconcilesPerCluster: c.reconcilesPerCluster,
        reconcilesByController: c.reconcilesByController,
        peakRssMiB: c.peakRssMiB,
        idleRssMiB: c.idleRssMiB,
        cpuSeconds: c.cpuSeconds,
        floorRequestsPerCluster: round(floor.requests / n, 2),
        leaseRequests: c.leaseRequests,
      });
      await deleteNamespaces(rest, opNs, log);
    }
  }

  const objects = rssClusters > 0 ? await createCachedClusters(rest, rssClusters, log) : 0;
  const rss = new Map<string, Rss1000Result>();
  for (const b of rssClusters > 0 ? builds : []) {
    const snapshot = b.label === 'current' ? values['heap-snapshot'] : undefined;
    rss.set(b.label, await measureRss(rest, controlPlane.kubeconfig, rssClusters, objects, log, b.root, snapshot ? resolve(snapshot) : undefined));
  }
  rest.close();

  const resultsOf = (b: (typeof builds)[number]): BenchResults => {
    const { rows, idle, scaleLatencyMs } = b.m;
    const rss1000 = rss.get(b.label);
    if (!idle || !scaleLatencyMs) throw new Error('the largest run measured no idle writes or scale latency');
    return {
      generatedAt: new Date().toISOString(),
      quick,
      ...(b.root ? { operatorRoot: b.root } : {}),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? 'unknown', memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version, loadAverageAtStart: load.map((l) => round(l, 2)) },
      seedShape: 'samples/cluster-minimal.yaml: journal, storage, kernel and engine at 1 replica each, no volumes (4 pods, 25 objects per Cluster)',
      kwokNodes,
      operatorWorkers: OPERATOR_WORKERS,
      operatorLimits: operatorLimits().join('; '),
      ratio: rows.at(-1)?.ratio ?? NaN,
      idleWritesPerMinute: idle.writesPerMinute,
      convergence: rows,
      idle: { clusters: maxN, ...idle },
      scaleLatencyMs,
      admission,
      scalingApi,
      rss1000MiB: rssClusters === 1000 && rss1000 ? rss1000.rssMiB : null,
      ...(rss1000 ? { rss1000 } : {}),
      durationSeconds: Math.round((Date.now() - began) / 1000),
    };
  };
  mkdirSync(dirname(out), { recursive: true });
  if (compareRoot) {
    const beforeOut = resolve(dirname(out), quick ? 'before-quick.json' : 'before.json');
    const before = resultsOf(builds[0]!);
    writeFileSync(beforeOut, `${JSON.stringify(before, null, 2)}\n`);
    log.info({ out: beforeOut }, 'results of the compared build written');
    process.stdout.write(`before (${compareRoot}):\n${formatTable(before)}\n`);
  }
  if (steps.length > 0) {
    const stepsOut = resolve(dirname(out), 'steps.json');
    const all = builds.map((b) => ({ label: b.label, root: b.root ?? root, results: resultsOf(b) }));
    writeFileSync(stepsOut, `${JSON.stringify(all, null, 2)}\n`);
    log.info({ out: stepsOut }, 'results of every step written');
    for (const a of all) process.stdout.write(`${a.label} (${a.root}):\n${formatTable(a.results)}\n`);
  }
  const results = resultsOf(builds.at(-1)!);
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  log.info({ out }, 'results written');
  process.stdout.write(formatTable(results));
} catch (err) {
  log.error({ err: err instanceof Error ? err.stack : String(err) }, 'benchmark failed');
  exitCode = 1;
} finally {
  await teardown();
}
process.exit(exitCode);

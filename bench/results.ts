// The shape of bench/results/*.json, and the table `make bench` prints from it.
import type { ConvergenceResult, ScaleLatency } from './convergence.ts';
import type { Rss1000Result } from './rss1000.ts';

/** What the operator's run measured (ConvergenceResult), beside the floor measured in the same run. */
export interface ConvergenceRow extends ConvergenceResult {
  /** The same objects created by a bare client, waiting for the same readiness. */
  floorSeconds: number;
  ratio: number;
  floorRequestsPerCluster: number;
}

export interface LatencyStats {
  p50: number;
  p99: number;
  rps: number;
}

export interface BenchResults {
  generatedAt: string;
  quick: boolean;
  /** Set when another build was measured (a "before"). */
  operatorRoot?: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; loadAverageAtStart: number[] };
  seedShape: string;
  kwokNodes: number;
  operatorWorkers: number;
  /** The Deployment's resource limits the operator ran under (bench/pod-limits.ts). */
  operatorLimits?: string;
  /** At the largest N (200 in a full run). */
  ratio: number;
  idleWritesPerMinute: number;
  convergence: ConvergenceRow[];
  idle: { clusters: number; minutes: number; writesPerMinute: number; writesByMethod: Record<string, number> };
  scaleLatencyMs: ScaleLatency;
  admission: LatencyStats & { bare: LatencyStats; concurrency: number; seconds: number };
  /** Allowed scale PUTs, one caller: authorization cached (the top level) and reviewed on every call. */
  scalingApi: (LatencyStats & { concurrency: number; uncached: LatencyStats }) | { status: string };
  /** RSS of the operator with 1,000 Clusters cached (null when a quick run cached fewer). */
  rss1000MiB: number | null;
  /** Absent when the run skipped the phase (--rss 0). */
  rss1000?: Rss1000Result;
  /** null when the JSON was assembled from two runs (see assembledFrom). */
  durationSeconds: number | null;
  /** Which part of the numbers came from which run, when one run did not measure them all. */
  assembledFrom?: Record<string, string>;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function formatTable(r: BenchResults): string {
  const lines: string[] = [];
  const head = ['N', 'seconds', 'floor s', 'ratio', 'req/Cluster', 'by verb', '409s', 'reconciles/Cl', 'peak RSS MiB', 'CPU s'];
  const rows = r.convergence.map((c) => [
    String(c.n),
    c.seconds.toFixed(1),
    c.floorSeconds.toFixed(1),
    c.ratio.toFixed(2),
    c.requestsPerCluster.total.toFixed(1),
    Object.entries(c.requestsPerCluster.byMethod).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', '),
    String(c.conflicts),
    c.reconcilesPerCluster.toFixed(1),
    c.peakRssMiB.toFixed(0),
    c.cpuSeconds.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const fmt = (row: string[]): string => row.map((cell, i) => pad(cell, widths[i] ?? 0)).join('  ');
  lines.push(`engula-operator benchmark ${r.quick ? '(quick) ' : ''}${r.generatedAt}: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.kwokNodes} kwok nodes`);
  if (r.operatorLimits !== undefined) lines.push(`operator limits (the Deployment's, as a kubelet applies them): ${r.operatorLimits}`);
  lines.push('', 'convergence (seed Clusters applied at once, one namespace each):', fmt(head), fmt(head.map((_, i) => '-'.repeat(widths[i] ?? 0))));
  for (const row of rows) lines.push(fmt(row));
  lines.push('');
  lines.push(`ratio at N=${r.convergence.at(-1)?.n}: ${r.ratio.toFixed(2)}   idle writes/min (${r.idle.clusters} Clusters, ${r.idle.minutes} min): ${r.idleWritesPerMinute}`);
  lines.push(`scale latency (replicas edit → StatefulSet updated, ${r.scaleLatencyMs.edits} edits): p50 ${r.scaleLatencyMs.p50} ms, p99 ${r.scaleLatencyMs.p99} ms`);
  lines.push(`admission (loopback, ${r.admission.concurrency} connections): p50 ${r.admission.p50.toFixed(2)} ms, p99 ${r.admission.p99.toFixed(2)} ms, ${r.admission.rps.toFixed(0)} req/s (bare fastify: p50 ${r.admission.bare.p50.toFixed(2)} ms, ${r.admission.bare.rps.toFixed(0)} req/s)`);
  lines.push(`scaling API (allowed PUT through the API server, one caller): ${'status' in r.scalingApi ? r.scalingApi.status : `p50 ${r.scalingApi.p50} ms, p99 ${r.scalingApi.p99} ms, ${r.scalingApi.rps} req/s; every call reviewed anew: p50 ${r.scalingApi.uncached.p50} ms, p99 ${r.scalingApi.uncached.p99} ms`}`);
  const m = r.rss1000;
  if (m) lines.push(`memory with ${m.clusters} Clusters cached (${m.objects} objects): RSS ${m.rssMiB} MiB, after GC ${m.rssAfterGcMiB} MiB (heap ${m.heapAfterGcMiB} MiB), peak ${m.peakRssMiB} MiB, all statuses written in ${m.startupSeconds} s`);
  return `${lines.join('\n')}\n`;
}

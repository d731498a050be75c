// Draws docs/benchmarks.svg from bench/results/latest.json (and bench/results/before.json when it
// exists: the same benchmark run on the operator before the work of issue 11), and rewrites the
// generated table in docs/benchmarks.md between its markers. Plain SVG written by hand: no browser.
//
//   node bench/chart.ts [--results FILE] [--before FILE]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchResults } from './results.ts';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { results: { type: 'string' }, before: { type: 'string' } } });
const resultsPath = resolve(root, values.results ?? 'bench/results/latest.json');
const beforePath = resolve(root, values.before ?? 'bench/results/before.json');
const results = JSON.parse(readFileSync(resultsPath, 'utf8')) as BenchResults;
const before = existsSync(beforePath) ? (JSON.parse(readFileSync(beforePath, 'utf8')) as BenchResults) : undefined;

interface Series {
  label: string;
  color: string;
  values: Array<number | undefined>;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One grouped-bar panel: a group per N, a bar per series, value labels on top. */
function panel(x0: number, title: string, unit: string, ns: number[], series: Series[], width: number, height: number): string {
  const top = 40;
  const bottom = height - 40;
  const left = x0 + 50;
  const right = x0 + width - 10;
  const max = Math.max(1, ...series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v))));
  const niceMax = niceCeil(max);
  const y = (v: number): number => bottom - ((bottom - top) * v) / niceMax;
  const groupW = (right - left) / ns.length;
  const barW = Math.min(36, (groupW - 16) / series.length);
  const out: string[] = [`<text x="${x0 + width / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(title)}</text>`];
  for (let i = 0; i <= 4; i++) {
    const v = (niceMax * i) / 4;
    out.push(`<line x1="${left}" x2="${right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${fmt(v)}</text>`);
  }
  out.push(`<text x="${x0 + 12}" y="${(top + bottom) / 2}" transform="rotate(-90 ${x0 + 12} ${(top + bottom) / 2})" text-anchor="middle" font-size="11">${esc(unit)}</text>`);
  ns.forEach((n, gi) => {
    const gx = left + gi * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === undefined || !Number.isFinite(v)) return;
      const bx = gx + si * barW;
      out.push(`<rect x="${bx + 2}" y="${y(v)}" width="${barW - 4}" height="${bottom - y(v)}" fill="${s.color}"><title>${esc(`${s.label}, N=${n}: ${fmt(v)} ${unit}`)}</title></rect>`);
      out.push(`<text x="${bx + barW / 2}" y="${y(v) - 4}" text-anchor="middle" font-size="10">${fmt(v)}</text>`);
    });
    out.push(`<text x="${left + gi * groupW + groupW / 2}" y="${bottom + 16}" text-anchor="middle" font-size="12">N = ${n}</text>`);
  });
  out.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`);
  return out.join('\n');
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1).replace(/\.0$/, '') : v.toFixed(2).replace(/0$/, '').replace(/\.0$/, '');
}

function legend(x: number, y: number, series: Series[]): string {
  return series.map((s, i) => `<rect x="${x + i * 190}" y="${y - 10}" width="12" height="12" fill="${s.color}"/><text x="${x + i * 190 + 18}" y="${y}" font-size="12">${esc(s.label)}</text>`).join('\n');
}

const ns = results.convergence.map((c) => c.n);
const beforeAt = (n: number) => before?.convergence.find((c) => c.n === n);
const timeSeries: Series[] = [
  ...(before ? [{ label: 'operator before', color: '#f4a582', values: ns.map((n) => beforeAt(n)?.seconds) }] : []),
  { label: 'operator', color: '#ca0020', values: results.convergence.map((c) => c.seconds) },
  { label: 'floor (bare client)', color: '#0571b0', values: results.convergence.map((c) => c.floorSeconds) },
];
const rssSeries: Series[] = [
  ...(before ? [{ label: 'operator before', color: '#f4a582', values: ns.map((n) => beforeAt(n)?.peakRssMiB) }] : []),
  { label: 'operator', color: '#ca0020', values: results.convergence.map((c) => c.peakRssMiB) },
];
const W = 900;
const H = 340;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 30}" viewBox="0 0 ${W} ${H + 30}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
${panel(0, 'Seconds until every Cluster is Ready', 'seconds', ns, timeSeries, W / 2, H)}
${panel(W / 2, 'Peak RSS of the operator', 'MiB', ns, rssSeries, W / 2, H)}
${legend(60, H + 15, timeSeries)}
</svg>
`;
writeFileSync(resolve(root, 'docs', 'benchmarks.svg'), svg);

// The generated table in docs/benchmarks.md.
const docPath = resolve(root, 'docs', 'benchmarks.md');
const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';
const doc = readFileSync(docPath, 'utf8');
const a = doc.indexOf(START);
const b = doc.indexOf(END);
if (a < 0 || b < a) throw new Error(`${docPath} has no ${START} … ${END} markers`);
const verbs = (r: Record<string, number>): string => Object.entries(r).map(([k, v]) => `${k} ${v}`).join(', ');
const row = (c: BenchResults['convergence'][number], prev?: BenchResults['convergence'][number]): string => {
  const was = <T,>(v: T | undefined, f: (x: T) => string): string => (prev && v !== undefined ? ` (was ${f(v)})` : '');
  return `| ${c.n} | ${c.seconds}${was(prev?.seconds, String)} | ${c.floorSeconds} | ${c.ratio}${was(prev?.ratio, String)} | ${c.requestsPerCluster.total}${was(prev?.requestsPerCluster.total, String)} | ${verbs(c.requestsPerCluster.byMethod)} | ${c.conflicts}${was(prev?.conflicts, String)} | ${c.reconcilesPerCluster}${was(prev?.reconcilesPerCluster, String)} | ${c.peakRssMiB}${was(prev?.peakRssMiB, String)} | ${c.cpuSeconds}${was(prev?.cpuSeconds, String)} |`;
};
const m = results.machine;
const table = [
  `Run of ${results.generatedAt} (${results.quick ? 'quick' : 'full'}${results.durationSeconds !== null ? `, ${results.durationSeconds} s` : ''}${results.assembledFrom ? ', assembled from two runs: see `assembledFrom` in the JSON' : ''}): ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, load average ${m.loadAverageAtStart.join(' / ')} at the start; ${results.kwokNodes} kwok nodes; the operator's limits: ${results.operatorLimits ?? 'none'}.${before ? ` "was": the same benchmark on the operator before this work (${before.generatedAt}; limits: ${before.operatorLimits ?? 'none'}).` : ''}`,
  '',
  '![Seconds until every Cluster is Ready, operator beside the floor, and the operator\'s peak RSS, against N](benchmarks.svg)',
  '',
  '| N | seconds | floor s | ratio | requests / Cluster | by verb | 409s | reconciles / Cluster | peak RSS MiB | CPU s |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...results.convergence.map((c) => row(c, beforeAt(c.n))),
  '',
  `- idle writes per minute, ${results.idle.clusters} converged Clusters: **${results.idleWritesPerMinute}**${before ? ` (was ${before.idleWritesPerMinute})` : ''}`,
  `- scale latency, replicas edit → StatefulSet updated, ${results.scaleLatencyMs.edits} edits: p50 ${results.scaleLatencyMs.p50} ms, p99 ${results.scaleLatencyMs.p99} ms${before ? ` (was ${before.scaleLatencyMs.p50} / ${before.scaleLatencyMs.p99})` : ''}`,
  `- admission on loopback, ${results.admission.concurrency} connections: p50 ${results.admission.p50} ms, p99 ${results.admission.p99} ms, ${results.admission.rps} req/s (a bare fastify handler: p50 ${results.admission.bare.p50} ms, ${results.admission.bare.rps} req/s)`,
  `- scaling API, allowed scale PUT through the API server and the webhooks, one caller: ${'status' in results.scalingApi ? results.scalingApi.status : `p50 ${results.scalingApi.p50} ms, p99 ${results.scalingApi.p99} ms, ${results.scalingApi.rps} req/s (authorization cached); every call reviewed anew (TokenReview + SubjectAccessReview): p50 ${results.scalingApi.uncached.p50} ms, p99 ${results.scalingApi.uncached.p99} ms`}`,
  results.rss1000
    ? `- ${results.rss1000.clusters} Clusters cached (${results.rss1000.objects} objects): RSS **${results.rss1000.rssMiB} MiB**, ${results.rss1000.rssAfterGcMiB} MiB after a full GC with ${results.rss1000.heapAfterGcMiB} MiB of heap in use; peak ${results.rss1000.peakRssMiB} MiB${before?.rss1000 ? ` (was ${before.rss1000.rssMiB} / ${before.rss1000.rssAfterGcMiB} / heap ${before.rss1000.heapAfterGcMiB} / peak ${before.rss1000.peakRssMiB})` : ''}`
    : '- many Clusters cached: not measured in this run',
].join('\n');
writeFileSync(docPath, `${doc.slice(0, a + START.length)}\n${table}\n${doc.slice(b)}`);
process.stdout.write(`wrote docs/benchmarks.svg and the table in docs/benchmarks.md from ${resultsPath}${before ? ` and ${beforePath}` : ''}\n`);

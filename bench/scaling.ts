// Latency of an allowed scale PUT through the real API server, with the authorization caches warm
// (the usual case: an autoscaler calling every few seconds) and with every call reviewed anew
// (TokenReview + SubjectAccessReview each time). Each PUT is a real patch of a Cluster through the
// operator's validating and mutating webhooks, so the numbers are the whole path.
//
//   make testenv && source .testenv/env
//   node bench/scaling.ts [--calls 300] [--warmup 20] [--json]
//   --json: one JSON line at the end (p50, p99, calls per second of each case): `make bench` runs it so.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Client, DelegatedAuth, RestClient } from '../runtime/index.ts';
import { putScale, type ScaleClientOptions } from '../samples/scaler/scale-client.ts';
import { clientWith, clusterManifest, installScalerRole, mintToken, serviceAccount } from '../test/support/scaling-callers.ts';
import { installCrds } from '../test/support/crds.ts';
import { kubeConfig, kubectlOk } from '../test/support/kube.ts';
import { RequestCounter } from '../test/support/request-counter.ts';
import { startWebhooks, type WebhookOptions } from '../webhooks/index.ts';
import type { CacheTtls } from '../runtime/index.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '300' }, warmup: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } } });
const calls = Number(values.calls);
const warmup = Number(values.warmup);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export interface ScalingStats {
  p50: number;
  p99: number;
  /** Sequential calls per second: one caller, one call at a time. */
  rps: number;
}

const stats: Record<string, ScalingStats> = {};

async function measure(label: string, ns: string, ttls: Partial<CacheTtls> | undefined, dir: { dir: string }): Promise<string> {
  const rest = new RestClient(kubeConfig());
  const requests = new RequestCounter(rest);
  const token = randomBytes(4).toString('hex');
  const opts: WebhookOptions = {
    log: pino({ level: 'silent' }),
    namespace: ns,
    host: '127.0.0.1',
    port: 0,
    registerByUrl: true,
    configurationName: `engula-bench-${ns}-${token}`,
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
    metrics: new Registry(),
    // Ungated, as the manager's replicaClient: the webhook side writes on every replica.
    client: new Client({ rest }),
    scaling: { rateLimit: { perSecond: 10_000, burst: 10_000 }, ...(ttls ? { cacheTtls: ttls } : {}) },
  };
  const running = await startWebhooks(opts);
  try {
    const client: ScaleClientOptions = clientWith(dir.dir, running.baseUrl, running.certificates.current().caBundlePem ?? '', await mintToken(ns, 'bench', ['engula-operator']));
    const latencies: number[] = [];
    const reviewsBefore = requests.of('POST');
    for (let i = 0; i < warmup + calls; i++) {
      const started = performance.now();
      const r = await putScale(client, ns, 'demo', 'engine', (i % 5) + 1);
      const ms = performance.now() - started;
      if (r.code !== 200) throw new Error(`${label}: call ${i} answered ${r.code}: ${JSON.stringify(r)}`);
      if (i >= warmup) latencies.push(ms);
    }
    const reviews = requests.of('POST') - reviewsBefore;
    const totalMs = latencies.reduce((a, b) => a + b, 0);
    latencies.sort((a, b) => a - b);
    stats[label] = { p50: percentile(latencies, 50), p99: percentile(latencies, 99), rps: (latencies.length * 1000) / totalMs };
    return `${label.padEnd(34)} p50 ${percentile(latencies, 50).toFixed(1).padStart(6)} ms   p99 ${percentile(latencies, 99).toFixed(1).padStart(6)} ms   max ${latencies.at(-1)!.toFixed(1).padStart(6)} ms   reviews/call ${(reviews / (warmup + calls)).toFixed(2)}`;
  } finally {
    await running.unregister();
    await running.stop();
    rest.close();
  }
}

/** The authentication and authorization step alone, as the routes call it. */
async function measureCheck(label: string, ns: string, cached: boolean): Promise<string> {
  const rest = new RestClient(kubeConfig());
  const auth = new DelegatedAuth({ rest, audiences: ['engula-operator'] });
  const header = `Bearer ${await mintToken(ns, 'bench', ['engula-operator'])}`;
  const attributes = { resource: { verb: 'update', group: 'cluster.engula.io', resource: 'clusters', subresource: 'scale', namespace: ns, name: 'demo' } };
  const latencies: number[] = [];
  for (let i = 0; i < warmup + calls; i++) {
    if (!cached) auth.clear();
    const started = performance.now();
    const d = await auth.check(header, () => attributes);
    const ms = performance.now() - started;
    if (d.outcome !== 'allowed') throw new Error(`${label}: ${JSON.stringify(d)}`);
    if (i >= warmup) latencies.push(ms);
  }
  rest.close();
  latencies.sort((a, b) => a - b);
  return `${label.padEnd(34)} p50 ${percentile(latencies, 50).toFixed(2).padStart(6)} ms   p99 ${percentile(latencies, 99).toFixed(2).padStart(6)} ms`;
}

const ns = `bench-scaling-${randomBytes(3).toString('hex')}`;
await installCrds();
await installScalerRole();
await kubectlOk(['create', 'namespace', ns]);
const { mkdtempSync, rmSync } = await import('node:fs');
const { join, dirname } = await import('node:path');
const scratch = mkdtempSync(join(dirname(process.env.KUBECONFIG ?? '.'), 'bench-scaling-'));
try {
  await kubectlOk(['apply', '-n', ns, '-f', '-'], { input: clusterManifest('demo', { engine: 1 }) });
  await serviceAccount(ns, 'bench', { clusterRole: 'engula-cluster-scaler' });
  const dir = { dir: scratch };
  const lines = [
    await measure('allowed PUT, cached authorization', ns, undefined, dir),
    // 1 ms entries: gone before the next call, so every call is a TokenReview and a SubjectAccessReview.
    await measure('allowed PUT, uncached', ns, { authenticatedMs: 1, unauthenticatedMs: 1, allowedMs: 1, deniedMs: 1 }, dir),
    await measureCheck('auth check alone, cached', ns, true),
    await measureCheck('auth check alone, uncached', ns, false),
  ];
  const { loadavg } = await import('node:os');
  process.stdout.write(`${calls} sequential calls each (after ${warmup} warm-up), Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}\n${lines.join('\n')}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify({ calls, cached: stats['allowed PUT, cached authorization'], uncached: stats['allowed PUT, uncached'] })}\n`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
  await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
}

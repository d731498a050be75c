// Admission latency and throughput on loopback, beside a bare fastify HTTPS handler measured in
// the same run with the same client, TLS and payloads, so the ratio shows what admission itself
// costs (parsing the review, ajv validation, rules, the JSON answer).
//
//   npm run bench:admission -- [--seconds 10] [--concurrency 16] [--json]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '16' }, json: { type: 'boolean', default: false } } });
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const PATH = '/validate-cluster-engula-io-v1alpha1';
const API = 'cluster.engula.io/v1alpha1';

const cluster = {
  apiVersion: API,
  kind: 'Cluster',
  metadata: { name: 'demo', namespace: 'bench', uid: 'uid-demo' },
  spec: {
    name: 'demo',
    image: { name: 'uhub.service.ucloud.cn/zojw/engula:0.9', pullPolicy: 'IfNotPresent' },
    allowScaleDown: false,
    journal: { replicas: 3, port: 24570, metricsPort: 9090, resource: { requests: { cpu: '500m', memory: '1Gi' } }, volume: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } } },
    storage: { replicas: 3, port: 24569, metricsPort: 9090 },
    kernel: { replicas: 1, port: 24567, metricsPort: 9090 },
    engine: { replicas: 2, port: 24568, metricsPort: 9090 },
  },
};
const journal = {
  apiVersion: API,
  kind: 'Journal',
  metadata: { name: 'demo-journal', namespace: 'bench', ownerReferences: [{ apiVersion: API, kind: 'Cluster', name: 'demo', uid: 'uid-demo', controller: true }] },
  spec: { ...cluster.spec.journal, clusterName: 'demo' },
};

/** The mix an operator's webhook sees: Cluster updates, and the child writes they cause. */
function review(i: number): string {
  const child = i % 2 === 1;
  const object = child ? journal : cluster;
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      resource: { group: 'cluster.engula.io', version: 'v1alpha1', resource: child ? 'journals' : 'clusters' },
      operation: 'UPDATE',
      namespace: 'bench',
      name: object.metadata.name,
      userInfo: { username: 'bench' },
      object,
      oldObject: object,
    },
  });
}

async function startServer(mode: string): Promise<{ child: ChildProcess; port: number; caPem: string }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'admission-server.ts'), mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_CLUSTER: JSON.stringify(cluster) },
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${mode} server exited ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  return { child, ...(JSON.parse(line) as { port: number; caPem: string }) };
}

interface Result {
  requests: number;
  errors: number;
  p50: number;
  p99: number;
  rps: number;
}

async function load(port: number, caPem: string, ms: number): Promise<Result> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca: caPem });
  const latencies: number[] = [];
  let errors = 0;
  let i = 0;
  const end = Date.now() + ms;
  const one = (body: string) =>
    new Promise<number>((resolve) => {
      const started = process.hrtime.bigint();
      const req = request({ host: '127.0.0.1', port, path: PATH, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          if (res.statusCode !== 200 || !text.includes('"allowed":true')) errors++;
          resolve(Number(process.hrtime.bigint() - started) / 1e6);
        });
      });
      req.on('error', () => {
        errors++;
        resolve(Number(process.hrtime.bigint() - started) / 1e6);
      });
      req.end(body);
    });
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) latencies.push(await one(review(i++)));
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { requests: latencies.length, errors, p50: at(0.5), p99: at(0.99), rps: latencies.length / elapsed };
}

/** Progress goes to stderr as JSON lines, so stdout holds only the results. */
function progress(msg: string): void {
  process.stderr.write(`${JSON.stringify({ time: Date.now(), name: 'bench-admission', msg })}\n`);
}

const results: Record<string, Result> = {};
for (const mode of ['bare', 'admission']) {
  const s = await startServer(mode);
  try {
    progress(`${mode}: server up on 127.0.0.1:${s.port}; warming up for 2 s`);
    await load(s.port, s.caPem, 2_000); // warm-up: JIT, TLS handshakes, pools
    progress(`${mode}: measuring for ${seconds} s`);
    results[mode] = await load(s.port, s.caPem, seconds * 1000);
    progress(`${mode}: ${results[mode]!.requests} requests done`);
  } finally {
    s.child.kill('SIGTERM');
  }
}

const fmt = (r: Result) => `p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  ${r.rps.toFixed(0)} req/s  (${r.requests} requests, ${r.errors} errors)`;
const bare = results.bare!;
const adm = results.admission!;
if (values.json) {
  process.stdout.write(`${JSON.stringify({ seconds, concurrency, bare, admission: adm })}\n`);
} else {
  process.stdout.write(
    `admission benchmark: loopback HTTPS, ${concurrency} concurrent keep-alive connections, ${seconds} s per server, UPDATE reviews of a Cluster and an owned Journal (~${Buffer.byteLength(review(0)) + Buffer.byteLength(review(1))} bytes per pair)\n` +
      `  bare fastify: ${fmt(bare)}\n` +
      `  admission:    ${fmt(adm)}\n` +
      `  ratio admission/bare: p50 ×${(adm.p50 / bare.p50).toFixed(2)}  p99 ×${(adm.p99 / bare.p99).toFixed(2)}  throughput ×${(adm.rps / bare.rps).toFixed(2)}\n`,
  );
}
if (adm.errors > 0 || bare.errors > 0) process.exitCode = 1;

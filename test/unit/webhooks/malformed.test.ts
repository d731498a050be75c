// Bad input at volume, over a real loopback HTTPS socket: 10,000 generated malformed requests of
// every shape each get a 4xx or a proper AdmissionReview refusal, the server (a process of its own)
// keeps answering, and its memory stays flat. RSS before and after goes to the test's diagnostics.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { MUTATE_PATH, VALIDATE_PATH } from '../../../webhooks/admission/routes.ts';
import { admissionReview, clusterObject } from '../../support/admission.ts';

const TOTAL = 10_000;
/** Small in this server so thousands of over-limit bodies stay cheap; the 1 MiB default is tested in bad-input.test.ts. */
const BODY_LIMIT = 64 * 1024;

let server: ChildProcess;
let port = 0;
let agent: Agent;

before(async () => {
  const node = process.execPath;
  server = spawn(node, ['--expose-gc', join(import.meta.dirname, 'fixtures', 'webhook-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BODY_LIMIT: String(BODY_LIMIT) } });
  const line = await new Promise<string>((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`webhook server exited ${code}`)));
    createInterface({ input: server.stdout! }).once('line', resolve);
  });
  const info = JSON.parse(line) as { port: number; caPem: string };
  port = info.port;
  agent = new Agent({ keepAlive: true, maxSockets: 32, ca: info.caPem });
});

after(() => {
  agent?.destroy();
  server?.kill('SIGTERM');
});

interface Malformed {
  shape: string;
  method?: string;
  path?: string;
  contentType?: string;
  body?: string | Buffer;
  /** The uid a refusal must echo, when the envelope had a usable one. */
  uid?: string;
}

function nested(depth: number, open: string, close: string, inner: string): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

const envelope = (request: unknown): string => JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });
const valid = (): Record<string, unknown> => admissionReview({ resource: 'clusters', object: clusterObject() }).request as Record<string, unknown>;

/** Every shape of bad input we could think of, cycled through with a varying seed. */
const SHAPES: ((i: number) => Malformed)[] = [
  (i) => ({ shape: 'not JSON', body: `garbage{${i}` }),
  (i) => ({ shape: 'truncated JSON', body: envelope(valid()).slice(0, 20 + (i % 200)) }),
  () => ({ shape: 'empty body', body: '' }),
  (i) => ({ shape: 'JSON scalar', body: [`${i}`, 'null', '"text"', 'true', '[]'][i % 5] }),
  () => ({ shape: 'wrong content type', contentType: 'text/plain', body: envelope(valid()) }),
  () => ({ shape: 'form content type', contentType: 'application/x-www-form-urlencoded', body: 'a=1&b=2' }),
  () => ({ shape: 'wrong apiVersion', body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: valid() }) }),
  () => ({ shape: 'wrong kind', body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'Pod', request: valid() }) }),
  () => ({ shape: 'no request', body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }) }),
  () => ({ shape: 'no request.uid', body: envelope({ ...valid(), uid: undefined }) }),
  (i) => ({ shape: 'uid not a string', body: envelope({ ...valid(), uid: i }) }),
  () => ({ shape: 'oversized uid', body: envelope({ ...valid(), uid: 'u'.repeat(500) }) }),
  (i) => ({ shape: 'body over the limit', body: `{"pad":"${'x'.repeat(BODY_LIMIT + (i % 1000))}"}` }),
  () => ({ shape: 'deep nesting (top level)', body: nested(30_000, '[', ']', '1') }),
  (i) => {
    const uid = `deep-${i}`;
    return { shape: 'deep nesting (object)', uid, body: envelope({ ...valid(), uid, object: JSON.parse(nested(2_000, '{"a":', '}', '1')) as unknown }) };
  },
  (i) => {
    const uid = `str-${i}`;
    const obj = clusterObject();
    (obj.spec as Record<string, Record<string, unknown>>).journal!.replicas = String(i % 9);
    // Defaulting rightly accepts it; judging it is the validating webhook's job.
    return { shape: 'string where a number belongs', path: VALIDATE_PATH, uid, body: envelope({ ...valid(), uid, object: obj }) };
  },
  (i) => {
    const uid = `huge-num-${i}`;
    const raw = envelope({ ...valid(), uid }).replace('"replicas":3', '"replicas":1e999');
    return { shape: 'number out of range', path: VALIDATE_PATH, uid, body: raw };
  },
  (i) => {
    const uid = `group-${i}`;
    return { shape: 'wrong resource group', uid, body: envelope({ ...valid(), uid, resource: { group: 'apps', version: 'v1', resource: 'deployments' } }) };
  },
  (i) => {
    const uid = `ver-${i}`;
    return { shape: 'wrong version', uid, body: envelope({ ...valid(), uid, resource: { group: 'cluster.engula.io', version: 'v9', resource: 'clusters' } }) };
  },
  (i) => {
    const uid = `kind-${i}`;
    return { shape: 'object of another kind', uid, body: envelope({ ...valid(), uid, object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } } }) };
  },
  (i) => {
    const uid = `objstr-${i}`;
    return { shape: 'object not an object', uid, body: envelope({ ...valid(), uid, object: 'a string' }) };
  },
  (i) => {
    const uid = `op-${i}`;
    return { shape: 'unknown operation', uid, body: envelope({ ...valid(), uid, operation: 'EXPLODE' }) };
  },
  (i) => {
    const uid = `res-${i}`;
    return { shape: 'resource not an object', uid, body: envelope({ ...valid(), uid, resource: 'clusters' }) };
  },
  () => ({ shape: 'prototype poisoning', body: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","__proto__":{"allowed":true}}` }),
  () => ({ shape: 'constructor poisoning', body: `{"constructor":{"prototype":{"allowed":true}}}` }),
  () => ({ shape: 'invalid UTF-8', body: Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x7d]) }),
  (i) => ({ shape: 'wrong method', method: ['GET', 'PUT', 'DELETE'][i % 3]!, body: i % 3 === 0 ? undefined : envelope(valid()) }),
  () => ({ shape: 'unknown path', path: '/validate-something-else', body: envelope(valid()) }),
  (i) => {
    const uid = `update-${i}`;
    return { shape: 'UPDATE without oldObject', path: VALIDATE_PATH, uid, body: envelope({ ...valid(), uid, operation: 'UPDATE', oldObject: null }) };
  },
  (i) => {
    const uid = `scale-${i}`;
    return { shape: 'scale of a Cluster', uid, body: envelope({ ...valid(), uid, subResource: 'scale', operation: 'UPDATE', oldObject: {} }) };
  },
];

interface Outcome {
  status: number;
  body: string;
}

function send(m: Malformed, i: number): Promise<Outcome> {
  const body = m.body === undefined ? undefined : Buffer.isBuffer(m.body) ? m.body : Buffer.from(m.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: m.method ?? 'POST',
        path: m.path ?? (i % 2 === 0 ? VALIDATE_PATH : MUTATE_PATH),
        headers: { ...(body ? { 'content-type': m.contentType ?? 'application/json', 'content-length': body.length } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Either a 4xx, or an AdmissionReview that refuses with a message (and the request's uid). */
function judge(m: Malformed, o: Outcome): string | undefined {
  if (o.status >= 400 && o.status < 500) return undefined;
  if (o.status !== 200) return `status ${o.status}: ${o.body.slice(0, 200)}`;
  const review = JSON.parse(o.body) as { kind?: string; response?: { uid?: string; allowed?: boolean; status?: { message?: string } } };
  if (review.kind !== 'AdmissionReview' || review.response?.allowed !== false || !review.response.status?.message) return `not a refusal: ${o.body.slice(0, 200)}`;
  if (m.uid !== undefined && review.response.uid !== m.uid) return `refusal for uid ${review.response.uid}, expected ${m.uid}`;
  return undefined;
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Math.round(Number(line.split(/\s+/)[1]) / 1024);
}

/** The server's V8 heap after a full collection: what it keeps, unlike RSS, which also holds free pages. */
async function heapMiB(): Promise<number> {
  const o = await send({ shape: 'memory', method: 'GET', path: '/debug/memory' }, 0);
  return Math.round((JSON.parse(o.body) as { heapUsed: number }).heapUsed / 1024 / 1024);
}

async function run(count: number, offset: number, failures: string[], byShape: Map<string, Map<number, number>>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const n = offset + i;
      const m = SHAPES[n % SHAPES.length]!(n);
      const o = await send(m, n).catch((err: Error) => ({ status: -1, body: err.message }));
      const problem = o.status === -1 ? `no answer: ${o.body}` : judge(m, o);
      if (problem) failures.push(`${m.shape}: ${problem}`);
      const counts = byShape.get(m.shape) ?? new Map<number, number>();
      counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
      byShape.set(m.shape, counts);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

test(`${TOTAL} malformed requests each get a 4xx or a refusal; the server stays up with flat memory`, { timeout: 600_000 }, async (t) => {
  const failures: string[] = [];
  const byShape = new Map<string, Map<number, number>>();
  // Warm-up: JIT, TLS sessions, pools; RSS is measured from here on.
  await run(600, 0, failures, byShape);
  const before = rssMiB(server.pid!);
  const heapBefore = await heapMiB();
  await run(TOTAL / 2, 600, failures, byShape);
  const half = rssMiB(server.pid!);
  await run(TOTAL / 2, 600 + TOTAL / 2, failures, byShape);
  const afterRss = rssMiB(server.pid!);
  const heapAfter = await heapMiB();
  t.diagnostic(`server RSS before: ${before} MiB, after ${TOTAL / 2}: ${half} MiB, after ${TOTAL} malformed requests: ${afterRss} MiB`);
  t.diagnostic(`server heap after a full GC: before ${heapBefore} MiB, after ${heapAfter} MiB`);
  for (const [shape, counts] of byShape) t.diagnostic(`${shape}: ${[...counts].map(([s, n]) => `${s}×${n}`).join(' ')}`);
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} requests got neither a 4xx nor a refusal`);
  assert.equal(server.exitCode, null, 'the server process is still running');
  const health = await send({ shape: 'health', method: 'GET', path: '/healthz' }, 0);
  assert.equal(health.status, 200);
  const ok = await send({ shape: 'valid', body: JSON.stringify(admissionReview({ resource: 'clusters', object: clusterObject() })) }, 0);
  assert.equal(ok.status, 200);
  assert.equal((JSON.parse(ok.body) as { response: { allowed: boolean } }).response.allowed, true, 'a valid request still passes');
  // What the server keeps after a full GC: a leak of 1 KiB per request would add ~10 MiB. RSS is
  // reported, not asserted: it includes pages V8 and malloc keep for reuse, and moves with load.
  assert.ok(heapAfter - heapBefore < 8, `the heap grew from ${heapBefore} to ${heapAfter} MiB`);
});

// The scaling API under abuse, with the real delegated authenticator over a client that counts the
// reviews it would send (no API server: this file is about what is *not* sent). A burst of bad
// tokens from one address gets 429 once the address's budget is spent, without a TokenReview each;
// reviews in flight are capped and the rest refused at once; admission shares none of it; and the
// connection cap sheds sockets that hold a place without asking anything.
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import Fastify from 'fastify';
import { Client, DelegatedAuth, RestClient } from '../../../runtime/index.ts';
import type { DelegatedAuthOptions, ReviewClient } from '../../../runtime/auth/delegated-auth.ts';
import { KeyedTokenBuckets } from '../../../runtime/auth/token-buckets.ts';
import { VALIDATE_PATH } from '../../../webhooks/admission/routes.ts';
import { staticObjectReader } from '../../../webhooks/admission/state.ts';
import { apiSchemas } from '../../../webhooks/index.ts';
import { scalingRoutes } from '../../../webhooks/scaling/routes.ts';
import { buildWebhookServer, type WebhookServer } from '../../../webhooks/server.ts';
import { StaticCertificates } from '../../../webhooks/tls/source.ts';
import { admissionReview, clusterObject, loopbackCertificates, quietLogger, type TestCertificates } from '../../support/admission.ts';
import { FakeClock } from '../../support/fake-clock.ts';

/** Answers TokenReviews (tokens starting with "good" are authenticated) and SubjectAccessReviews (allowed), counting each; can hold them in flight. */
class CountingReviews implements ReviewClient {
  tokenReviews = 0;
  accessReviews = 0;
  private held: Array<() => void> | undefined;

  hold(): void {
    this.held = [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const go of held) go();
  }

  async request<T>(method: string, path: string, opts: { body?: unknown } = {}): Promise<T> {
    const spec = (opts.body as { spec: { token?: string; audiences?: string[] } }).spec;
    if (path === '/apis/authentication.k8s.io/v1/tokenreviews') this.tokenReviews++;
    else if (path === '/apis/authorization.k8s.io/v1/subjectaccessreviews') this.accessReviews++;
    else throw new Error(`unexpected ${method} ${path}`);
    if (this.held) await new Promise<void>((go) => this.held!.push(go));
    if (spec.token === undefined) return { status: { allowed: true } } as T;
    return (spec.token.startsWith('good')
      ? { status: { authenticated: true, user: { username: `system:serviceaccount:ns:${spec.token}`, groups: [] }, audiences: spec.audiences } }
      : { status: { authenticated: false, error: 'invalid bearer token' } }) as T;
  }
}

const PATH = '/apis/scaling.engula.io/v1/namespaces/ns/clusters/demo/components/engine/scale';
/** A component that does not exist: an authenticated, allowed call ends in a 404 before any API call. */
const NO_SUCH_COMPONENT = PATH.replace('/engine/', '/frontend/');

async function scalingApp(reviews: CountingReviews, auth: Partial<DelegatedAuthOptions> = {}) {
  const access = new DelegatedAuth({ rest: reviews, audiences: ['engula-operator'], ...auth });
  const app = Fastify({ loggerInstance: quietLogger() });
  // A client that reaches nothing: no call here gets as far as the Cluster.
  await app.register(scalingRoutes, { client: new Client({ rest: new RestClient(new KubeConfig()) }), access, rateLimit: { perSecond: 1000, burst: 1000 } });
  return app;
}

const call = (app: Awaited<ReturnType<typeof scalingApp>>, token: string, from = '127.0.0.1', url = PATH) =>
  app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` }, remoteAddress: from });

describe('KeyedTokenBuckets', () => {
  test('a refund gives the token back, never past the burst', () => {
    const clock = new FakeClock();
    const b = new KeyedTokenBuckets({ perSecond: 1, burst: 2 }, clock);
    assert.equal(b.take('a').ok, true);
    assert.equal(b.take('a').ok, true);
    assert.deepEqual(b.take('a'), { ok: false, retryAfterMs: 1000 });
    b.refund('a');
    assert.equal(b.take('a').ok, true);
    b.refund('a');
    b.refund('a');
    b.refund('a');
    assert.equal(b.take('a').ok, true);
    assert.equal(b.take('a').ok, true);
    assert.equal(b.take('a').ok, false, 'refunds stop at the burst');
  });
});

describe('per source address, before authentication', () => {
  test('a burst of bad tokens from one address: 401 while the budget lasts, then 429 with Retry-After and no TokenReview', async () => {
    const clock = new FakeClock();
    const reviews = new CountingReviews();
    const app = await scalingApp(reviews, { sourceLimit: { perSecond: 1, burst: 5 }, clock });
    const codes: number[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await call(app, `bad-${i}`);
      codes.push(r.statusCode);
      if (r.statusCode === 429) {
        assert.equal(r.headers['retry-after'], '1');
        assert.equal(r.json().reason, 'TooManyRequests');
        assert.equal(r.json().details.retryAfterSeconds, 1);
        assert.match(r.json().message, /refused too many tokens from 127\.0\.0\.1/);
      }
    }
    assert.deepEqual(codes, [...Array<number>(5).fill(401), ...Array<number>(45).fill(429)]);
    assert.equal(reviews.tokenReviews, 5, 'one TokenReview per call the budget allowed, none for the 45 refused');
    clock.advance(1000);
    assert.equal((await call(app, 'bad-50')).statusCode, 401, 'a second later, one more');
    assert.equal((await call(app, 'bad-51')).statusCode, 429);
    assert.equal(reviews.tokenReviews, 6);
    assert.equal((await call(app, 'bad-52', '10.0.0.7')).statusCode, 401, 'another address has its own budget');
    await app.close();
  });

  test('the same burst all at once: the budget is taken before the reviews are sent, so still 5', async () => {
    const reviews = new CountingReviews();
    const app = await scalingApp(reviews, { sourceLimit: { perSecond: 1, burst: 5 }, clock: new FakeClock() });
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => call(app, `bad-${i}`)));
    assert.equal(answers.filter((r) => r.statusCode === 401).length, 5);
    assert.equal(answers.filter((r) => r.statusCode === 429).length, 45);
    assert.equal(reviews.tokenReviews, 5);
    await app.close();
  });

  test('authenticated tokens give their review back: honest callers behind one address never run out', async () => {
    const reviews = new CountingReviews();
    const app = await scalingApp(reviews, { sourceLimit: { perSecond: 1, burst: 2 }, clock: new FakeClock() });
    for (let i = 0; i < 10; i++) assert.equal((await call(app, `good-${i}`, '127.0.0.1', NO_SUCH_COMPONENT)).statusCode, 404);
    assert.equal(reviews.tokenReviews, 10);
    assert.equal((await call(app, 'bad-a')).statusCode, 401);
    assert.equal((await call(app, 'bad-b')).statusCode, 401);
    assert.equal((await call(app, 'bad-c')).statusCode, 429, 'only the refused ones spent the budget');
    assert.equal((await call(app, 'good-0', '127.0.0.1', NO_SUCH_COMPONENT)).statusCode, 404, 'a cached good token passes a spent budget: it costs no review');
    assert.equal((await call(app, 'bad-a')).statusCode, 401, 'and so does a cached refusal');
    assert.equal(reviews.tokenReviews, 12);
    await app.close();
  });
});

describe('reviews in flight', () => {
  test('capped: beyond the cap a call is refused at once with 429 and Retry-After 1, nothing queued', async () => {
    const reviews = new CountingReviews();
    const app = await scalingApp(reviews, { maxInflightReviews: 3 });
    reviews.hold();
    const codes = new Map<number, number>();
    const pending = Array.from({ length: 10 }, (_, i) =>
      call(app, `bad-${i}`).then((r) => {
        codes.set(i, r.statusCode);
        return r;
      }),
    );
    const refusedAtOnce = await waitUntil(() => (codes.size >= 7 ? [...codes.values()] : undefined));
    assert.deepEqual(refusedAtOnce, Array<number>(7).fill(429));
    assert.equal(reviews.tokenReviews, 3);
    reviews.release();
    const all = await Promise.all(pending);
    assert.equal(all.filter((r) => r.statusCode === 401).length, 3);
    assert.equal(all.find((r) => r.statusCode === 429)?.headers['retry-after'], '1');
    await app.close();
  });

  test('calls with the same token share one review, and only it counts against the cap', async () => {
    const reviews = new CountingReviews();
    const app = await scalingApp(reviews, { maxInflightReviews: 1 });
    const all = await Promise.all(Array.from({ length: 20 }, () => call(app, 'bad-same')));
    assert.deepEqual(new Set(all.map((r) => r.statusCode)), new Set([401]));
    assert.equal(reviews.tokenReviews, 1);
    await app.close();
  });
});

async function waitUntil<T>(check: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('admission shares none of it', () => {
  const cluster = clusterObject('demo', 'ns');
  const review = () => admissionReview({ operation: 'UPDATE', resource: 'clusters', object: cluster, oldObject: cluster });

  async function fullServer(reviews: CountingReviews, certs: TestCertificates, maxConnections?: number): Promise<WebhookServer> {
    const access = new DelegatedAuth({ rest: reviews, audiences: ['engula-operator'], sourceLimit: { perSecond: 1, burst: 5 }, maxInflightReviews: 2 });
    return buildWebhookServer({
      certificates: new StaticCertificates(certs),
      logger: quietLogger(),
      admission: { schemas: apiSchemas, reader: staticObjectReader([cluster]), maxReplicas: 10 },
      scaling: { client: new Client({ rest: new RestClient(new KubeConfig()) }), access },
      ...(maxConnections ? { maxConnections } : {}),
    });
  }

  test('while the scaling API is flooded from the same address, every admission review is answered', async () => {
    const reviews = new CountingReviews();
    const app = await fullServer(reviews, await loopbackCertificates());
    const flood = Array.from({ length: 200 }, (_, i) => app.inject({ method: 'GET', url: PATH, headers: { authorization: `Bearer bad-${i}` } }));
    const admissions = Array.from({ length: 50 }, () => app.inject({ method: 'POST', url: VALIDATE_PATH, payload: review() }));
    const [flooded, admitted] = await Promise.all([Promise.all(flood), Promise.all(admissions)]);
    assert.ok(flooded.every((r) => r.statusCode === 401 || r.statusCode === 429));
    // At most the address's burst, fewer when the cap on reviews in flight refused some first.
    assert.ok(reviews.tokenReviews >= 1 && reviews.tokenReviews <= 5, `the flood cost ${reviews.tokenReviews} TokenReviews, not 200`);
    assert.equal(flooded.filter((r) => r.statusCode === 401).length, reviews.tokenReviews);
    for (const r of admitted) {
      assert.equal(r.statusCode, 200);
      assert.equal(r.json<{ response: { allowed: boolean } }>().response.allowed, true);
    }
    await app.close();
  });

  test('at the connection cap, silent sockets are shed, a request in flight is not, and admission gets in', async (t) => {
    const certs = await loopbackCertificates();
    const reviews = new CountingReviews();
    const app = await fullServer(reviews, certs, 4);
    await app.listen({ port: 0, host: '127.0.0.1' });
    t.after(() => app.close());
    const port = (app.server.address() as AddressInfo).port;
    // One scaling call held in its TokenReview (in flight), three sockets that never ask anything.
    reviews.hold();
    const inFlight = raw(port, certs.caPem, 'GET', PATH, '', { authorization: 'Bearer bad-held' });
    await waitUntil(() => (reviews.tokenReviews === 1 ? true : undefined));
    const silent = await Promise.all([0, 1, 2].map(() => tlsSocket(port, certs.caPem)));
    const closed = silent.map((s) => new Promise<void>((r) => s.once('close', () => r())));
    await new Promise((r) => setTimeout(r, 1_100));
    // The first connection past the cap is dropped and sheds the silent ones; the next gets in.
    let answer: { code: number; body: string } | undefined;
    for (let attempt = 0; attempt < 20 && !answer; attempt++) {
      answer = await raw(port, certs.caPem, 'POST', VALIDATE_PATH, JSON.stringify(review())).catch(() => undefined);
      if (!answer) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(answer?.code, 200);
    assert.equal(JSON.parse(answer.body).response.allowed, true);
    await Promise.all(closed);
    reviews.release();
    assert.equal((await inFlight).code, 401, 'the call in flight was answered, not cut');
  });
});

function tlsSocket(port: number, ca: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }, () => resolve(s));
    s.once('error', reject);
  });
}

function raw(port: number, ca: string, method: string, path: string, body: string, headers: Record<string, string> = {}): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, method, ca, agent: false, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

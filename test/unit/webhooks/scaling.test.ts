// The scaling API's pure parts (the Scale it answers, the Scale it takes, the patch, what an API
// server refusal becomes, the per-caller bucket) and its routes through fastify's inject(), with a
// stand-in for the access check: these paths answer before any Kubernetes call.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import Fastify from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ApiError, Client, RestClient, type AccessDecision, type RequestOptions } from '../../../runtime/index.ts';
import { bearerToken, jwtExpiryMs } from '../../../runtime/auth/bearer.ts';
import { authorizationKey } from '../../../runtime/auth/delegated-auth.ts';
import { CallerRateLimiter } from '../../../webhooks/scaling/rate-limit.ts';
import { SCALE_BODY_LIMIT, scalingRoutes, type AccessChecker } from '../../../webhooks/scaling/routes.ts';
import { parseScaleRequest, refusalOf, replicasPatch, scaleOf } from '../../../webhooks/scaling/scale.ts';
import { FakeClock } from '../../support/fake-clock.ts';

const cluster = {
  apiVersion: 'cluster.engula.io/v1alpha1',
  kind: 'Cluster',
  metadata: { name: 'demo', namespace: 'ns', resourceVersion: '42', uid: 'u1' },
  spec: { name: 'demo', journal: { replicas: 3 }, engine: { replicas: 2 } },
};

describe('scaleOf', () => {
  test('spec from the Cluster, status from the child', () => {
    const s = scaleOf(cluster, 'engine', { status: { replicas: 1, selector: 'a=b' } });
    assert.deepEqual(s, {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'demo', namespace: 'ns', resourceVersion: '42', uid: 'u1' },
      spec: { replicas: 2 },
      status: { replicas: 1, selector: 'a=b' },
    });
  });
  test('before the child reports: no pods, and the selector its StatefulSet will use', () => {
    const s = scaleOf(cluster, 'journal', undefined);
    assert.equal(s.status.replicas, 0);
    assert.equal(s.status.selector, 'app.kubernetes.io/name=engula,app.kubernetes.io/instance=demo-journal,app.kubernetes.io/component=journal');
  });
});

describe('parseScaleRequest', () => {
  const scale = (extra: Record<string, unknown> = {}) => ({ apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 4 }, ...extra });
  test('a Scale, with or without a resourceVersion', () => {
    assert.deepEqual(parseScaleRequest(scale(), 'ns', 'demo'), { ok: true, replicas: 4, resourceVersion: undefined });
    assert.deepEqual(parseScaleRequest(scale({ metadata: { name: 'demo', namespace: 'ns', resourceVersion: '7' } }), 'ns', 'demo'), { ok: true, replicas: 4, resourceVersion: '7' });
  });
  test('the value is passed on unjudged: the API server judges it', () => {
    assert.deepEqual(parseScaleRequest(scale({ spec: { replicas: 'three' } }), 'ns', 'demo'), { ok: true, replicas: 'three', resourceVersion: undefined });
  });
  for (const [what, body, code] of [
    ['not an object', [1, 2], 400],
    ['wrong kind', { apiVersion: 'v1', kind: 'Pod', spec: { replicas: 1 } }, 400],
    ['another Cluster', { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'other' }, spec: { replicas: 1 } }, 400],
    ['another namespace', { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { namespace: 'x' }, spec: { replicas: 1 } }, 400],
    ['an empty resourceVersion', { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { resourceVersion: '' }, spec: { replicas: 1 } }, 400],
    ['no replicas', { apiVersion: 'autoscaling/v1', kind: 'Scale', spec: {} }, 422],
    ['null replicas', { apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: null } }, 422],
  ] as const) {
    test(`refused: ${what} (${code})`, () => {
      const r = parseScaleRequest(body, 'ns', 'demo');
      assert.equal(r.ok, false);
      assert.ok(!r.ok);
      assert.equal(r.status.code, code);
      assert.equal(r.status.kind, 'Status');
    });
  }
});

test('replicasPatch: add the count; a resourceVersion makes it conditional', () => {
  assert.deepEqual(replicasPatch('storage', 5, undefined), [{ op: 'add', path: '/spec/storage/replicas', value: 5 }]);
  assert.deepEqual(replicasPatch('storage', 5, '9'), [
    { op: 'replace', path: '/metadata/resourceVersion', value: '9' },
    { op: 'add', path: '/spec/storage/replicas', value: 5 },
  ]);
});

describe('refusalOf', () => {
  const err = (code: number, reason: string, message: string, causes = [] as Array<{ field: string; message: string; reason: string }>) => new ApiError(code, reason, message, 'PATCH', '/x', causes);
  test('a schema or CEL refusal: 422 with its causes', () => {
    const causes = [{ field: 'spec.journal.replicas', message: 'Invalid value: -1', reason: 'FieldValueInvalid' }];
    const s = refusalOf(err(422, 'Invalid', 'Cluster "demo" is invalid', causes), 'demo', 'journal');
    assert.equal(s.code, 422);
    assert.deepEqual(s.details?.causes, causes);
  });
  test('our validating webhook\'s 403 is a refusal of the value: 422, with the field even without causes', () => {
    const s = refusalOf(err(403, 'Forbidden', 'admission webhook "vcluster.engula.io" denied the request: spec.kernel.replicas: must be 1 or more'), 'demo', 'kernel');
    assert.equal(s.code, 422);
    assert.equal(s.details?.causes?.[0]?.field, 'spec.kernel.replicas');
  });
  test('RBAC refusing the operator itself is not the caller\'s fault: 500', () => {
    assert.equal(refusalOf(err(403, 'Forbidden', 'clusters.cluster.engula.io "demo" is forbidden: User "x" cannot patch resource'), 'demo', 'kernel').code, 500);
  });
  test('stale resourceVersion: 409; gone: 404; the API server in trouble: 503', () => {
    assert.equal(refusalOf(err(409, 'Conflict', 'the object has been modified'), 'demo', 'engine').code, 409);
    assert.equal(refusalOf(err(404, 'NotFound', 'not found'), 'demo', 'engine').code, 404);
    assert.equal(refusalOf(err(500, 'InternalError', 'etcd'), 'demo', 'engine').code, 503);
    assert.equal(refusalOf(err(429, 'TooManyRequests', 'slow down'), 'demo', 'engine').code, 503);
  });
});

describe('CallerRateLimiter', () => {
  test('a burst, then one call per 1/rate seconds, per caller', () => {
    const clock = new FakeClock();
    const limiter = new CallerRateLimiter({ perSecond: 2, burst: 3 }, clock);
    for (let i = 0; i < 3; i++) assert.deepEqual(limiter.take('a'), { ok: true });
    assert.deepEqual(limiter.take('a'), { ok: false, retryAfterMs: 500 });
    assert.deepEqual(limiter.take('b'), { ok: true }, 'another caller has its own bucket');
    clock.advance(250);
    assert.deepEqual(limiter.take('a'), { ok: false, retryAfterMs: 250 });
    clock.advance(250);
    assert.deepEqual(limiter.take('a'), { ok: true });
  });
  test('the map of callers is bounded', () => {
    const clock = new FakeClock();
    const limiter = new CallerRateLimiter({ perSecond: 1, burst: 1, maxCallers: 2 }, clock);
    assert.equal(limiter.take('a').ok, true);
    assert.equal(limiter.take('b').ok, true);
    assert.equal(limiter.take('c').ok, true);
    assert.equal(limiter.take('a').ok, true, 'a was evicted, so it starts with a full bucket');
  });
});

describe('delegated auth, pure parts', () => {
  test('bearerToken', () => {
    assert.equal(bearerToken('Bearer abc.def'), 'abc.def');
    assert.equal(bearerToken('bearer  abc'), 'abc');
    assert.equal(bearerToken('Basic abc'), undefined);
    assert.equal(bearerToken('Bearer '), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });
  test('jwtExpiryMs reads exp, and nothing from what is not a JWT', () => {
    const jwt = ['e30', Buffer.from(JSON.stringify({ exp: 1700000000 })).toString('base64url'), 'sig'].join('.');
    assert.equal(jwtExpiryMs(jwt), 1700000000_000);
    assert.equal(jwtExpiryMs('opaque'), undefined);
    assert.equal(jwtExpiryMs('a.!!!.c'), undefined);
  });
  test('authorizationKey: groups are a set, the attributes count', () => {
    const attrs = { resource: { verb: 'get', group: 'g', resource: 'r' } };
    assert.equal(authorizationKey({ username: 'u', groups: ['a', 'b'] }, attrs), authorizationKey({ username: 'u', groups: ['b', 'a'] }, attrs));
    assert.notEqual(authorizationKey({ username: 'u', groups: [] }, attrs), authorizationKey({ username: 'u', groups: [] }, { resource: { ...attrs.resource, verb: 'update' } }));
  });
});

describe('routes (inject)', () => {
  const path = '/apis/scaling.engula.io/v1/namespaces/ns/clusters/demo/components/engine/scale';
  const user = { username: 'system:serviceaccount:ns:scaler', groups: ['system:serviceaccounts'] };
  const allowAll: AccessChecker = {
    async check(header, attributesFor): Promise<AccessDecision> {
      if (header !== 'Bearer good') return { outcome: 'unauthenticated', reason: 'token not authenticated' };
      attributesFor(user);
      return { outcome: 'allowed', user, cached: { authentication: true, authorization: true } };
    },
  };
  const build = async (rateLimit = { perSecond: 1000, burst: 1000 }) => {
    const app = Fastify({ loggerInstance: pino({ level: 'silent' }) });
    // A client that reaches nothing: these requests must be answered before any API call, and
    // `apiCalls` records any that is tried (it would fail before it is sent).
    const rest = new RestClient(new KubeConfig());
    const apiCalls: string[] = [];
    const request = rest.request.bind(rest);
    rest.request = <T>(method: string, path: string, opts?: RequestOptions): Promise<T> => {
      apiCalls.push(`${method} ${path}`);
      return request<T>(method, path, opts);
    };
    const metrics = new Registry();
    await app.register(scalingRoutes, { client: new Client({ rest }), access: allowAll, rateLimit, metrics });
    return { app, metrics, apiCalls };
  };
  const put = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => ({ method: 'PUT' as const, url: path, headers: { authorization: 'Bearer good', ...headers }, payload: body });

  test('no token: 401 Status', async () => {
    const { app } = await build();
    const r = await app.inject({ method: 'GET', url: path });
    assert.equal(r.statusCode, 401);
    assert.equal(r.json().kind, 'Status');
  });
  test('not JSON, whatever the content type: 400 Status; the server keeps answering', async () => {
    const { app, apiCalls } = await build();
    for (const ct of ['application/json', 'text/plain', 'application/octet-stream']) {
      const r = await app.inject(put('{"kind": "Scale",', { 'content-type': ct }));
      assert.equal(r.statusCode, 400, ct);
      assert.equal(r.json().reason, 'BadRequest');
    }
    assert.deepEqual(apiCalls, []);
  });
  test('wrong kind: 400; oversized: 413', async () => {
    const { app } = await build();
    assert.equal((await app.inject(put(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap' })))).statusCode, 400);
    const big = await app.inject(put(JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 1 }, pad: 'x'.repeat(SCALE_BODY_LIMIT) })));
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().reason, 'RequestEntityTooLarge');
  });
  test('unknown component: 404', async () => {
    const { app } = await build();
    const r = await app.inject({ method: 'GET', url: path.replace('/engine/', '/frontend/'), headers: { authorization: 'Bearer good' } });
    assert.equal(r.statusCode, 404);
  });
  test('over the caller\'s rate: 429 with Retry-After, and counted by code', async () => {
    const { app, metrics } = await build({ perSecond: 0.5, burst: 1 });
    const first = await app.inject({ method: 'GET', url: path.replace('/engine/', '/frontend/'), headers: { authorization: 'Bearer good' } });
    assert.equal(first.statusCode, 404);
    const second = await app.inject({ method: 'GET', url: path, headers: { authorization: 'Bearer good' } });
    assert.equal(second.statusCode, 429);
    assert.equal(second.headers['retry-after'], '2');
    assert.equal(second.json().details.retryAfterSeconds, 2);
    const counted = (await metrics.getSingleMetric('engula_scaling_requests_total')!.get()).values;
    assert.deepEqual(counted.map((v) => [v.labels.code, v.value]).sort(), [['404', 1], ['429', 1]]);
  });
});

// 100 scale calls at once on one component, from 10 ServiceAccounts, each the read-modify-write an
// autoscaler does (GET the Scale, PUT a new count with the resourceVersion it read). Every call is
// applied or answered 409; the applied ones form one unbroken chain of resourceVersions from the
// first read to the Cluster as it ends, so no write was lost; and the audit lines and metrics
// account for every call.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Histogram } from 'prom-client';
import { RestClient } from '../../../runtime/index.ts';
import { getScale, putScale, type ScaleClientOptions } from '../../../samples/scaler/scale-client.ts';
import { kubeConfig, kubectlOk, suiteCleanup } from '../../support/kube.ts';
import { getJson } from '../../support/operator.ts';
import { RequestCounter } from '../../support/request-counter.ts';
import { installCrds, startTestWebhooks, type TestWebhooks } from '../../support/webhooks.ts';
import { AUDIENCE, capturingLogger, clientWith, closeAdmin, clusterManifest, installScalerRole, mintToken, scratchDir, serviceAccount } from '../../support/scaling-callers.ts';

const CALLERS = 10;
const CALLS_PER_CALLER = 10;
const cleanup = suiteCleanup();
const audit = capturingLogger();
const rest = new RestClient(kubeConfig());
const apiRequests = new RequestCounter(rest);
let w: TestWebhooks;
let ns = '';
const clients: ScaleClientOptions[] = [];

before(async () => {
  await installCrds();
  await installScalerRole();
  w = await startTestWebhooks(cleanup, 'scaling-race', { log: audit.log, maxReplicas: 10, rest, scaling: { rateLimit: { perSecond: 100, burst: 100 } } });
  ns = w.namespace;
  const ca = w.running.certificates.current().caBundlePem ?? '';
  const dir = scratchDir(cleanup, 'scaling-race');
  await kubectlOk(['apply', '-n', ns, '-f', '-'], { input: clusterManifest('demo', { engine: 1 }) });
  for (let i = 0; i < CALLERS; i++) {
    await serviceAccount(ns, `caller-${i}`, { clusterRole: 'engula-cluster-scaler' });
    clients.push(clientWith(dir, w.running.baseUrl, ca, await mintToken(ns, `caller-${i}`, [AUDIENCE])));
  }
});

after(async () => {
  await cleanup.run();
  rest.close();
  closeAdmin();
});

interface Outcome {
  caller: number;
  code: number;
  /** What the caller read and built on. */
  readVersion: string;
  wanted: number;
  /** The Cluster's resourceVersion after an applied call. */
  appliedVersion?: string;
}

test('100 concurrent conditional PUTs from 10 callers: each applied or 409, none lost, the last applied one stands', async (t) => {
  const initial = await getJson<{ metadata: { resourceVersion: string; generation: number } }>(ns, 'cluster', 'demo');
  assert.ok(initial);
  const reviewsBefore = apiRequests.of('POST');

  const call = async (caller: number): Promise<Outcome> => {
    const opts = clients[caller]!;
    const read = await getScale(opts, ns, 'demo', 'engine');
    assert.equal(read.code, 200, JSON.stringify(read));
    assert.ok('scale' in read);
    // Always another count than the one read, so every applied call is a real change.
    const wanted = (read.scale.spec.replicas % 10) + 1;
    const r = await putScale(opts, ns, 'demo', 'engine', wanted, read.scale.metadata.resourceVersion);
    const outcome: Outcome = { caller, code: r.code, readVersion: read.scale.metadata.resourceVersion, wanted };
    if ('scale' in r) {
      assert.equal(r.scale.spec.replicas, wanted);
      outcome.appliedVersion = r.scale.metadata.resourceVersion;
    } else {
      assert.equal(r.status.reason, 'Conflict', JSON.stringify(r.status));
    }
    return outcome;
  };
  const outcomes = await Promise.all(Array.from({ length: CALLERS * CALLS_PER_CALLER }, (_, i) => call(i % CALLERS)));

  assert.equal(outcomes.length, 100);
  assert.ok(outcomes.every((o) => o.code === 200 || o.code === 409), `codes: ${outcomes.map((o) => o.code).join(',')}`);
  const applied = outcomes.filter((o) => o.code === 200);
  const conflicts = outcomes.filter((o) => o.code === 409);
  assert.ok(applied.length >= 1);

  // Follow the chain: each applied call built on the version the previous one produced.
  const byRead = new Map<string, Outcome>();
  for (const o of applied) {
    assert.ok(!byRead.has(o.readVersion), `two calls were applied on top of version ${o.readVersion}: one of them was lost`);
    byRead.set(o.readVersion, o);
  }
  let version = initial.metadata.resourceVersion;
  let last: Outcome | undefined;
  let chained = 0;
  for (let next = byRead.get(version); next; next = byRead.get(version)) {
    last = next;
    chained++;
    version = next.appliedVersion!;
  }
  assert.ok(last, 'the first applied call built on the initial version');
  const final = await getJson<{ metadata: { resourceVersion: string; generation: number }; spec: { engine: { replicas: number } } }>(ns, 'cluster', 'demo');
  assert.equal(final?.metadata.resourceVersion, last.appliedVersion, 'the chain of applied calls ends at the Cluster as it is');
  assert.equal(final?.spec.engine.replicas, last.wanted, 'the final replicas are the last applied call\'s');
  assert.equal(final?.metadata.generation, initial.metadata.generation + applied.length, 'one spec change per applied call, no other');
  assert.equal(chained, applied.length, 'every applied call is in the chain');

  // 10 tokens and 10 callers × 2 verbs: the caches and shared in-flight reviews keep it at that.
  const reviews = apiRequests.of('POST') - reviewsBefore;
  assert.ok(reviews <= CALLERS * 3, `${reviews} TokenReviews and SubjectAccessReviews for 200 calls`);

  // The audit trail: one line per call, saying who, from what to what, and the outcome.
  const lines = audit.lines().filter((l) => l.audit === 'scaling' && l.method === 'PUT');
  assert.equal(lines.length, 100);
  const callers = new Set(lines.map((l) => l.user));
  assert.equal(callers.size, CALLERS);
  for (const l of lines) {
    assert.match(String(l.user), new RegExp(`^system:serviceaccount:${ns}:caller-\\d$`));
    assert.ok((l.groups as string[]).includes('system:serviceaccounts'));
    assert.equal(l.cluster, 'demo');
    assert.equal(l.component, 'engine');
    assert.equal(typeof l.from, 'number');
    assert.equal(typeof l.to, 'number');
    assert.equal(typeof l.latencyMs, 'number');
    assert.equal(l.allowed, l.code === 200);
    if (l.code === 409) assert.match(String(l.reason), /changed since/);
  }
  assert.equal(lines.filter((l) => l.code === 200).length, applied.length);

  // The metrics count the same calls.
  const requests = (await w.metrics.getSingleMetric('engula_scaling_requests_total')!.get()).values;
  const count = (method: string, code: string) => requests.find((v) => v.labels.method === method && v.labels.code === code)?.value ?? 0;
  assert.equal(count('PUT', '200'), applied.length);
  assert.equal(count('PUT', '409'), conflicts.length);
  assert.equal(count('GET', '200'), 100);
  const latency = w.metrics.getSingleMetric('engula_scaling_request_duration_seconds') as Histogram;
  const put = (await latency.get()).values.find((v) => v.metricName === 'engula_scaling_request_duration_seconds_count' && v.labels.method === 'PUT');
  assert.equal(put?.value, 100);
  const byApiServer = lines.filter((l) => l.code === 409 && /that resourceVersion was read/.test(String(l.reason))).length;
  t.diagnostic(`applied ${applied.length}, 409 ${conflicts.length} (${byApiServer} from the API server, the rest seen stale before the patch), reviews ${reviews}`);
});

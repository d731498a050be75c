// A flood of bad tokens at the scaling API on the real control plane, with the shipped limits:
// 200 calls a second from one address, each with a token never seen before. Past the address's
// budget each call is answered 429 with Retry-After and costs no TokenReview; a caller whose token
// is already known keeps being served; and admission, which the API server calls on the same
// server for every Engula write (failurePolicy Fail), answers every write made meanwhile.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Agent, request as httpsRequest } from 'node:https';
import { after, before, test } from 'node:test';
import { RestClient } from '../../../runtime/index.ts';
import { getScale, type ScaleClientOptions } from '../../../samples/scaler/scale-client.ts';
import { VALIDATE_PATH } from '../../../webhooks/admission/routes.ts';
import { DEFAULT_SOURCE_LIMIT } from '../../../webhooks/scaling/index.ts';
import { kubeConfig, kubectlOk, suiteCleanup } from '../../support/kube.ts';
import { RequestCounter } from '../../support/request-counter.ts';
import { AUDIENCE, clientWith, closeAdmin, clusterManifest, installScalerRole, mintToken, scalePath, scratchDir, serviceAccount } from '../../support/scaling-callers.ts';
import { installCrds, requestCount, startTestWebhooks, waitUntilWebhookCalled, type TestWebhooks } from '../../support/webhooks.ts';

const RATE = 200;
const SECONDS = 5;
const cleanup = suiteCleanup();
/** The webhook side's own client: its POSTs are the reviews it sent. */
const rest = new RestClient(kubeConfig());
const requests = new RequestCounter(rest);
/** The test's writes through the API server (and so through admission). */
const admin = new RestClient(kubeConfig());
let w: TestWebhooks;
let ns = '';
let honest: ScaleClientOptions;

before(async () => {
  await installCrds();
  await installScalerRole();
  w = await startTestWebhooks(cleanup, 'scaling-flood', { maxReplicas: 10, rest });
  ns = w.namespace;
  await waitUntilWebhookCalled(w);
  await kubectlOk(['apply', '-n', ns, '-f', '-'], { input: clusterManifest('demo', { engine: 1 }) });
  await serviceAccount(ns, 'scaler', { clusterRole: 'engula-cluster-scaler' });
  honest = clientWith(scratchDir(cleanup, 'scaling-flood'), w.running.baseUrl, w.running.certificates.current().caBundlePem ?? '', await mintToken(ns, 'scaler', [AUDIENCE]));
});

after(async () => {
  await cleanup.run();
  rest.close();
  admin.close();
  closeAdmin();
});

interface FloodAnswer {
  code: number;
  retryAfter: string | undefined;
}

function badCall(agent: Agent, ca: string, i: number): Promise<FloodAnswer> {
  return new Promise((resolve) => {
    const url = new URL(scalePath(ns, 'demo', 'engine'), w.running.baseUrl);
    const req = httpsRequest(url, { method: 'GET', agent, ca, headers: { authorization: `Bearer flood-${i}-${randomBytes(16).toString('base64url')}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ code: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
    });
    req.on('error', () => resolve({ code: 0, retryAfter: undefined }));
    req.end();
  });
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

test(`${RATE} bad-token calls a second for ${SECONDS} s: 429 past the address's budget without a TokenReview each, the known caller and admission still served`, async (t) => {
  // The honest caller's token is reviewed once before the flood, and cached from then on.
  const warm = await getScale(honest, ns, 'demo', 'engine');
  assert.equal(warm.code, 200, JSON.stringify(warm));
  const reviewsBefore = requests.of('POST');
  const admissionsBefore = await requestCount(w.metrics, VALIDATE_PATH);

  const ca = w.running.certificates.current().caBundlePem ?? '';
  const agent = new Agent({ keepAlive: true, maxSockets: 32, ca });
  const started = performance.now();
  let stop = false;
  // Open loop: the flood keeps its rate whatever the answers take.
  const flood = (async () => {
    const calls: Array<Promise<FloodAnswer>> = [];
    for (let i = 0; i < RATE * SECONDS; i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      calls.push(badCall(agent, ca, i));
    }
    const answers = await Promise.all(calls);
    stop = true;
    return answers;
  })();

  // Meanwhile: writes of the Cluster through the API server, which calls both admission webhooks on
  // this same server for each; and the honest caller, every few writes.
  const writeMs: number[] = [];
  const honestCodes: number[] = [];
  let n = 0;
  while (!stop) {
    const t0 = performance.now();
    await admin.request('PATCH', `/apis/cluster.engula.io/v1alpha1/namespaces/${ns}/clusters/demo`, {
      body: { spec: { engine: { replicas: (n % 3) + 1 } } },
      contentType: 'application/merge-patch+json',
    });
    writeMs.push(performance.now() - t0);
    if (n % 5 === 0) honestCodes.push((await getScale(honest, ns, 'demo', 'engine')).code);
    n++;
  }
  const answers = await flood;
  const elapsedS = (performance.now() - started) / 1000;
  agent.destroy();
  const reviews = requests.of('POST') - reviewsBefore;
  const admissions = (await requestCount(w.metrics, VALIDATE_PATH)) - admissionsBefore;

  const byCode = new Map<number, number>();
  for (const a of answers) byCode.set(a.code, (byCode.get(a.code) ?? 0) + 1);
  writeMs.sort((a, b) => a - b);
  t.diagnostic(`flood: ${answers.length} calls in ${elapsedS.toFixed(1)} s, answers ${JSON.stringify(Object.fromEntries(byCode))}, ${reviews} TokenReviews (${(reviews / answers.length).toFixed(3)} per call)`);
  t.diagnostic(`meanwhile ${writeMs.length} Cluster writes through admission: p50 ${percentile(writeMs, 50).toFixed(1)} ms, p99 ${percentile(writeMs, 99).toFixed(1)} ms; the known caller: ${JSON.stringify(honestCodes)}`);

  assert.deepEqual([...byCode.keys()].filter((c) => c !== 401 && c !== 429), [], 'every flood call is 401 or 429');
  // The burst, then one a second: no TokenReview for the rest.
  const budget = DEFAULT_SOURCE_LIMIT.burst + Math.ceil(elapsedS * DEFAULT_SOURCE_LIMIT.perSecond);
  assert.ok(reviews <= budget, `${reviews} TokenReviews for ${answers.length} bad calls; the budget was ${budget}`);
  assert.equal(byCode.get(401), reviews, 'each 401 is one review; every other call was refused before any');
  assert.ok((byCode.get(429) ?? 0) >= answers.length - budget);
  assert.ok(answers.filter((a) => a.code === 429).every((a) => a.retryAfter !== undefined && Number(a.retryAfter) >= 1), 'every 429 says when to retry');

  assert.ok(writeMs.length >= 5, `only ${writeMs.length} writes in ${elapsedS.toFixed(1)} s`);
  // Both webhooks answered each write (failurePolicy Fail: a write they missed would have failed).
  assert.ok(admissions >= writeMs.length, `${admissions} validations for ${writeMs.length} writes`);
  assert.ok(honestCodes.length > 0 && honestCodes.every((c) => c === 200), `the known caller got ${JSON.stringify(honestCodes)}`);
});

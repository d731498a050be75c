// --metrics-secure: /metrics over HTTPS, for callers whose token Kubernetes authenticates and whom
// RBAC lets `get` the /metrics URL (the engula-operator-metrics-reader ClusterRole), as
// kubebuilder's authenticated metrics. The Manager runs in-process against the test control plane.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { Manager } from '../../../runtime/index.ts';
import { quietLogger } from '../../support/admission.ts';
import { kubeConfig, kubectlOk, suiteCleanup, testNamespace, waitFor } from '../../support/kube.ts';
import { startOperator } from '../../support/operator.ts';
import { closeAdmin, mintToken, serviceAccount } from '../../support/scaling-callers.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');
const cleanup = suiteCleanup();
let ns = '';
let port = 0;

before(async () => {
  ns = await testNamespace(cleanup, 'scaling-metrics');
  await kubectlOk(['apply', '-f', resolve(root, 'config/rbac/metrics_reader_role.yaml')]);
  await serviceAccount(ns, 'prometheus');
  await serviceAccount(ns, 'nobody');
  await kubectlOk(['create', 'clusterrolebinding', `${ns}-metrics`, '--clusterrole=engula-operator-metrics-reader', `--serviceaccount=${ns}:prometheus`]);
  cleanup.after(async () => void (await kubectlOk(['delete', '--ignore-not-found', 'clusterrolebinding', `${ns}-metrics`])));
  const manager = new Manager({ access: kubeConfig(), logger: quietLogger(), flags: { metricsBindAddress: '127.0.0.1:0', healthProbeBindAddress: '0', namespaces: [ns] }, secureMetrics: true });
  const stop = new AbortController();
  const running = manager.start(stop.signal);
  cleanup.after(async () => {
    stop.abort();
    await running;
  });
  port = await waitFor('the secure metrics server', () => manager.metricsPort);
});

after(async () => {
  await cleanup.run();
  closeAdmin();
});

function scrape(token?: string, at = port): Promise<{ code: number; body: string }> {
  return new Promise((done, fail) => {
    // The certificate is self-signed, as Prometheus meets it with insecureSkipVerify: the token is what is checked here.
    const req = request({ host: '127.0.0.1', port: at, path: '/metrics', rejectUnauthorized: false, headers: token ? { Authorization: `Bearer ${token}` } : {} });
    req.on('error', fail);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => done({ code: res.statusCode ?? 0, body }));
    });
    req.end();
  });
}

test('secure /metrics: 401 without a token, 403 without the right, 200 for the metrics reader', async () => {
  assert.equal((await scrape()).code, 401);
  assert.equal((await scrape('garbage')).code, 401);
  // Ordinary ServiceAccount tokens (the API server's own audience), as Prometheus has.
  const denied = await scrape(await mintToken(ns, 'nobody', []));
  assert.equal(denied.code, 403);
  const allowed = await scrape(await mintToken(ns, 'prometheus', []));
  assert.equal(allowed.code, 200);
  assert.match(allowed.body, /^# HELP /m);
  assert.match(allowed.body, /rest_client_requests_total\{[^}]*method="POST"/, 'the reviews it made went through the runtime client');
});

test('the operator process with --metrics-secure serves /metrics the same way', async (t) => {
  const operator = await startOperator(t, [ns], ['--metrics-secure'], { webhooks: 'off', leaderElect: false });
  assert.equal((await scrape(undefined, operator.metricsPort)).code, 401);
  assert.equal((await scrape(await mintToken(ns, 'nobody', []), operator.metricsPort)).code, 403);
  const allowed = await scrape(await mintToken(ns, 'prometheus', []), operator.metricsPort);
  assert.equal(allowed.code, 200);
  assert.match(allowed.body, /controller_runtime_reconcile_total/);
});

// The operator's webhook server, started in the test process against the test control plane and
// registered by URL the way `make run` registers it, but named after the test's namespace and
// limited to it, so test files running side by side never see each other's webhooks.
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { Client, RestClient } from '../../runtime/index.ts';
import { startWebhooks, type RunningWebhooks, type WebhookOptions } from '../../webhooks/index.ts';
import { quietLogger } from './admission.ts';
import { kubeConfig, kubectl, testNamespace, waitFor } from './kube.ts';

export { installCrds } from './crds.ts';

export interface TestWebhooks {
  namespace: string;
  running: RunningWebhooks;
  metrics: Registry;
  /** The client the webhook side used: its counts are every request it made. */
  rest: RestClient;
}

type After = { after: (fn: () => Promise<void>) => void };

/** `rest`: a test that counts the webhook side's requests passes its own RestClient, under an ungated Client. */
export async function startTestWebhooks(t: After, prefix: string, opts: Partial<WebhookOptions> & { rest?: RestClient } = {}): Promise<TestWebhooks> {
  const token = randomBytes(4).toString('hex');
  const namespace = await testNamespace(t, prefix, { 'webhooks.engula.io/test': token });
  const metrics = new Registry();
  const { rest: given, ...options } = opts;
  const rest = given ?? new RestClient(kubeConfig());
  const running = await startWebhooks({
    client: new Client({ rest }),
    log: quietLogger(),
    namespace,
    host: '127.0.0.1',
    port: 0,
    registerByUrl: true,
    configurationName: `engula-webhook-${namespace}`,
    namespaceSelector: { matchLabels: { 'webhooks.engula.io/test': token } },
    metrics,
    resyncMs: 1_000,
    ...options,
  });
  t.after(async () => {
    await running.unregister();
    await running.stop();
    if (given === undefined) rest.close();
  });
  return { namespace, running, metrics, rest };
}

/** The apiserver picks up new webhook configurations a moment later: wait until it calls ours. */
export async function waitUntilWebhookCalled(w: TestWebhooks): Promise<void> {
  const probe = JSON.stringify({
    apiVersion: 'cluster.engula.io/v1alpha1',
    kind: 'Engine',
    metadata: { name: 'webhook-probe', namespace: w.namespace },
    spec: { replicas: 100_000, clusterName: 'probe' },
  });
  await waitFor('the apiserver to call the webhook', async () => {
    const r = await kubectl(['create', '--dry-run=server', '-f', '-'], { input: probe });
    return r.code !== 0 && r.stderr.includes('max-replicas');
  }, { timeoutMs: 30_000 });
}

/** How many admission requests a route has answered, from the webhook metrics. */
export async function requestCount(metrics: Registry, path: string): Promise<number> {
  const m = await metrics.getSingleMetric('controller_runtime_webhook_requests_total')?.get();
  return (m?.values ?? []).filter((v) => v.labels.webhook === path).reduce((n, v) => n + v.value, 0);
}

// Must-show 5: /readyz turns ready only after the caches synced; /metrics shows the
// controller-runtime names with real values. Also: graceful shutdown releases the lease.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { TerminalError } from '../../../runtime/errors.ts';
import { Manager } from '../../../runtime/manager.ts';
import { coreResources } from '../../../runtime/resource.ts';
import { kubeConfig, testNamespace, waitFor } from '../../support/kube.ts';
import { apiServerProxy } from '../../support/proxied-kubeconfig.ts';

const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));

function sample(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of body.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('manager: probes and metrics', { timeout: 120_000 }, () => {
  it('is not ready until caches sync, then exports controller-runtime metrics with real values', async (t) => {
    const ns = await testNamespace(t, 'rt-metrics');
    const { proxy, config } = await apiServerProxy(t);
    // The API server is unreachable at first: the informers cannot list.
    proxy.refuse(true);
    const mgr = new Manager({
      access: config,
      logger: log,
      flags: {
        leaderElect: true,
        leaderElectionId: 'metrics-test',
        leaderElectionNamespace: ns,
        namespaces: [ns],
        metricsBindAddress: '127.0.0.1:0',
        healthProbeBindAddress: '127.0.0.1:0',
      },
      informerTuning: { backoff: { initialMs: 100, maxMs: 500 } },
    });
    const calls = new Map<string, number>();
    mgr.addController({
      name: 'configmap',
      for: coreResources.configMaps,
      maxConcurrentReconciles: 2,
      reconcile: async (req) => {
        const n = (calls.get(req.name) ?? 0) + 1;
        calls.set(req.name, n);
        if (req.name === 'flaky' && n <= 2) throw new Error('flaky, retry me');
        if (req.name === 'broken') throw new TerminalError('never works');
        if (req.name === 'periodic') return { requeueAfterMs: 60_000 };
        return undefined;
      },
    });
    const abort = new AbortController();
    const running = mgr.start(abort.signal);
    t.after(() => abort.abort());
    await waitFor('probe server up', () => mgr.probePort !== undefined && mgr.metricsPort !== undefined);
    const probe = (path: string): Promise<Response> => fetch(`http://127.0.0.1:${mgr.probePort}${path}`);

    // Several checks over a second while the lists fail: never ready, always healthy.
    for (let i = 0; i < 5; i++) {
      const ready = await probe('/readyz?verbose');
      assert.equal(ready.status, 500);
      assert.match(await ready.text(), /\[-\]informers-synced failed: caches not synced/);
      assert.equal((await probe('/healthz')).status, 200);
      await new Promise((r) => setTimeout(r, 200));
    }
    proxy.refuse(false);
    await waitFor('/readyz ready after sync', async () => (await probe('/readyz')).status === 200, { timeoutMs: 20_000 });
    assert.ok(mgr.informers.hasSynced);

    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    for (const name of ['ok', 'flaky', 'broken', 'periodic']) await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name } } });
    const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${mgr.metricsPort}/metrics`)).text();
    const c = { controller: 'configmap' };
    const body = await waitFor('reconciles counted', async () => {
      const b = await scrape();
      // The flaky key's three failures come with backoff: on a loaded machine they can trail the others.
      const errors = sample(b, 'controller_runtime_reconcile_total', { ...c, result: 'error' }) ?? 0;
      return (sample(b, 'controller_runtime_reconcile_total', { ...c, result: 'success' }) ?? 0) >= 2 && (sample(b, 'controller_runtime_terminal_reconcile_errors_total', c) ?? 0) >= 1 && errors >= 3 ? b : undefined;
    });
    assert.ok((sample(body, 'controller_runtime_reconcile_total', { ...c, result: 'error' }) ?? 0) >= 3);
    assert.ok((sample(body, 'controller_runtime_reconcile_total', { ...c, result: 'requeue_after' }) ?? 0) >= 1);
    assert.ok((sample(body, 'controller_runtime_reconcile_errors_total', c) ?? 0) >= 3);
    assert.equal(sample(body, 'controller_runtime_reconcile_panics_total', c), 0);
    assert.ok((sample(body, 'controller_runtime_reconcile_time_seconds_count', c) ?? 0) >= 6);
    assert.equal(calls.get('broken'), 1, 'a terminal error is not retried');
    assert.equal(sample(body, 'controller_runtime_max_concurrent_reconciles', c), 2);
    assert.equal(sample(body, 'controller_runtime_active_workers', c), 0);
    const q = { name: 'configmap', controller: 'configmap' };
    assert.ok((sample(body, 'workqueue_adds_total', q) ?? 0) >= 4);
    assert.ok((sample(body, 'workqueue_retries_total', q) ?? 0) >= 2);
    assert.equal(sample(body, 'workqueue_depth', q), 0);
    assert.ok((sample(body, 'workqueue_queue_duration_seconds_count', q) ?? 0) >= 4);
    assert.ok((sample(body, 'workqueue_work_duration_seconds_count', q) ?? 0) >= 4);
    assert.notEqual(sample(body, 'workqueue_unfinished_work_seconds', q), undefined);
    assert.notEqual(sample(body, 'workqueue_longest_running_processor_seconds', q), undefined);
    assert.equal(sample(body, 'leader_election_master_status', { name: 'metrics-test' }), 1);
    assert.ok((sample(body, 'rest_client_requests_total', { code: '200', method: 'GET' }) ?? 0) >= 1);
    assert.notEqual(sample(body, 'process_cpu_user_seconds_total'), undefined);

    abort.abort();
    await running;
    const lease = await kubeConfig().makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ name: 'metrics-test', namespace: ns });
    assert.ok(!lease.spec?.holderIdentity, 'the lease is released on shutdown');
    await waitFor('no connection left through the proxy', () => proxy.open === 0, { timeoutMs: 10_000, intervalMs: 50 });
  });
});

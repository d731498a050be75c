// The operator caches only what it owns: every list and watch of a kind that is not an Engula
// kind (ConfigMaps, Services, ServiceAccounts, Roles, RoleBindings, PDBs, StatefulSets, and any
// kind a controller starts to own later) carries the managed-by label selector, so on a shared
// cluster the operator does not hold every team's ConfigMaps. Checked on the wire: the manager's
// requests are recorded as they go to the real API server, and an unlabelled ConfigMap stays out
// of the cache while a labelled one is in it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { API_VERSION } from '../../../api/v1alpha1/index.ts';
import { ownedResources, MANAGED_BY_SELECTOR } from '../../../controllers/resources.ts';
import { REFUSAL_EVENTS_SELECTOR } from '../../../controllers/component-controller.ts';
import { setupControllers } from '../../../controllers/setup.ts';
import { Manager } from '../../../runtime/manager.ts';
import { coreResources, resourcePath } from '../../../runtime/resource.ts';
import type { Query } from '../../../runtime/rest.ts';
import { kubeConfig, kubectlOk, testNamespace, waitFor } from '../../support/kube.ts';
import { installCrds } from '../../support/operator.ts';

const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
const engulaGroup = API_VERSION.split('/')[0] ?? '';

describe('caches of owned kinds', { timeout: 120_000 }, () => {
  it('list and watch owned kinds by the managed-by label only', async (t) => {
    await installCrds();
    const ns = await testNamespace(t, 'ctrl-cache-scope');
    const mgr = new Manager({
      access: kubeConfig(),
      logger: log,
      flags: { leaderElect: false, namespaces: [ns], metricsBindAddress: '0', healthProbeBindAddress: '0' },
    });
    const requests: Array<{ kind: 'list' | 'watch'; path: string; query: Query }> = [];
    const stream = mgr.rest.stream.bind(mgr.rest);
    mgr.rest.stream = (path, query, onLine, opts) => {
      requests.push({ kind: 'watch', path, query });
      return stream(path, query, onLine, opts);
    };
    const request = mgr.rest.request.bind(mgr.rest);
    mgr.rest.request = <T>(method: string, path: string, opts: Parameters<typeof request>[2] = {}) => {
      if (method === 'GET' && opts.query?.limit !== undefined) requests.push({ kind: 'list', path, query: opts.query });
      return request<T>(method, path, opts);
    };
    setupControllers(mgr);
    const abort = new AbortController();
    const running = mgr.start(abort.signal);
    t.after(async () => {
      abort.abort();
      await running;
    });
    await waitFor('caches synced', () => mgr.informers.hasSynced, { timeoutMs: 60_000 });

    await kubectlOk(['-n', ns, 'create', 'configmap', 'someone-elses']);
    await kubectlOk(['-n', ns, 'create', 'configmap', 'ours']);
    await kubectlOk(['-n', ns, 'label', 'configmap', 'ours', MANAGED_BY_SELECTOR]);
    // Watch events arrive in resourceVersion order: once "ours" is in, "someone-elses" (older) would be too.
    await waitFor('the labelled ConfigMap cached', () => mgr.informers.peek(coreResources.configMaps, ns, 'ours').obj !== undefined, { timeoutMs: 30_000 });
    assert.equal(mgr.informers.peek(coreResources.configMaps, ns, 'someone-elses').obj, undefined, 'an unlabelled ConfigMap must not be cached');
    assert.equal(mgr.informers.complete(coreResources.configMaps), false, 'a restricted cache must not claim a miss means absent');

    const foreign = requests.filter((r) => !r.path.startsWith(`/apis/${engulaGroup}/`));
    for (const ref of ownedResources) {
      const path = resourcePath(ref, ns);
      for (const kind of ['list', 'watch'] as const) {
        assert.ok(foreign.some((r) => r.kind === kind && r.path === path), `no ${kind} of ${path} was opened`);
      }
    }
    // Narrowed to what the operator made (the label), to one object by name (the ServiceMonitor CRD
    // that says whether monitoring is available), or, of Events, to StatefulSets' refused pod creates.
    const eventsPath = resourcePath(coreResources.events, ns);
    assert.ok(foreign.some((r) => r.path === eventsPath && r.query.fieldSelector === REFUSAL_EVENTS_SELECTOR), 'the Events cache is opened with its field selector');
    for (const r of foreign) {
      const oneByName = typeof r.query.fieldSelector === 'string' && /^metadata\.name=[^,]+$/.test(r.query.fieldSelector);
      const refusals = r.path === eventsPath && r.query.fieldSelector === REFUSAL_EVENTS_SELECTOR;
      if (!oneByName && !refusals) assert.equal(r.query.labelSelector, MANAGED_BY_SELECTOR, `${r.kind} of ${r.path} was opened without the managed-by selector`);
    }
  });
});

// Monitoring (issue 13): a Cluster asking for monitoring converges without the Prometheus Operator,
// says so in MonitoringAvailable, and does not loop; once the ServiceMonitor CRD is installed a
// ServiceMonitor appears by itself for each component whose image serves metrics, owned by its
// child and pointing at its Service's metrics port; turning monitoring off or deleting the Cluster
// removes them. No Engula v0.2 binary serves metrics (controllers/launch-profiles.ts): a component
// is scraped only where its spec states a metricsPort (here the engine), and the original
// operator's sample with monitoring on gets no ServiceMonitor and a condition that says why.
//
// The operator runs under the shipped config/rbac (a ServiceAccount token, not the admin
// certificate), and the API calls it recorded are compared with the rules: the monitoring
// permissions are all used here, and nothing was refused (rbac.test.ts leaves them to this file,
// which alone installs the CRD).
//
// The CRD is cluster-scoped and test files share one control plane: this file is the only one that
// installs it, the case without it runs first, and the CRD is deleted when the file ends. No other
// test file may depend on its absence (or presence).
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { kubectlOk, testEnv, waitFor } from '../../support/kube.ts';
import { conditionOf, getJson, installCrds, listJson, startOperator, type ConditionLike, type OperatorProcess } from '../../support/operator.ts';
import { allows, apiCallOf, permissionsGranted, permissionsUsed, type PolicyRule } from '../../support/rbac-audit.ts';
import { readRequestLog } from '../../support/request-log.ts';
import { shippedRbac } from '../../support/shipped-rbac.ts';
import { namespaceSuite } from '../../support/suite.ts';


const CRD = 'servicemonitors.monitoring.coreos.com';
const fixture = resolve(import.meta.dirname, 'fixtures', 'servicemonitor-crd.yaml');
const COMPONENTS = ['journal', 'storage', 'kernel', 'engine'] as const;

const manifest = `
apiVersion: cluster.engula.io/v1alpha1
kind: Cluster
metadata: { name: mon }
spec:
  name: mon
  image: { name: uhub.service.ucloud.cn/zojw/engula:0.9 }
  monitoring: { enabled: true }
  journal: { replicas: 1 }
  storage: { replicas: 1 }
  kernel: { replicas: 1 }
  engine: { replicas: 1, metricsPort: 9191 }
`;

/** The original operator's sample on its own Engula line, monitoring asked for: nothing serves metrics. */
const original = `
apiVersion: cluster.engula.io/v1alpha1
kind: Cluster
metadata: { name: orig }
spec:
  name: orig
  image: { name: uhub.service.ucloud.cn/zojw/engula:0.9 }
  monitoring: { enabled: true }
  journal: { replicas: 1 }
  storage: { replicas: 1 }
  kernel: { replicas: 1 }
  engine: { replicas: 1 }
`;

interface Obj {
  metadata: { name: string; labels?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }> };
  spec?: Record<string, unknown>;
  status?: { conditions?: ConditionLike[] };
}

interface ServiceMonitor extends Obj {
  spec: { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] }; endpoints: Array<{ port: string; path: string }>; targetLabels: string[] };
}

function kindOf(component: string): string {
  return component[0]!.toUpperCase() + component.slice(1);
}

/** Sum of a counter family on the operator's /metrics. */
async function metricSum(op: OperatorProcess, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${op.metricsPort}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/** The reconcile errors the operator logged, for an assertion's message. */
function reconcileErrors(op: OperatorProcess): string {
  return logLines(op)
    .filter((l) => l.level >= 50 && l.controller !== undefined)
    .map((l) => `${String(l.controller)} ${String(l.name)}: ${String(l.err ?? l.msg)}`)
    .join('\n');
}

function logLines(op: OperatorProcess): Array<{ level: number; msg: string; [k: string]: unknown }> {
  return op
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string });
}

describe('monitoring: ServiceMonitors when the Prometheus Operator is there', () => {
  const suite = namespaceSuite('ctrl-monitoring', {
    // The case without the CRD runs first.
    install: async () => {
      await installCrds();
      await kubectlOk(['delete', 'crd', CRD, '--ignore-not-found', '--wait=true'], { timeoutMs: 90_000 });
    },
  });
  let operator: OperatorProcess;
  let rules: PolicyRule[] = [];
  let requestLog = '';
  before(async () => {
    const ns = suite.ns();
    const rbac = await shippedRbac(suite.cleanup, ns);
    rules = [...rbac.clusterRules, ...rbac.namespaceRules];
    requestLog = join(testEnv().kubeconfig, '..', `${ns}.requests.jsonl`);
    // Later flags win: this kubeconfig replaces the admin one startOperator passes first.
    // No webhooks: registering them by URL takes more than the shipped RBAC gives (make deploy
    // creates them), and admission is not this file's subject.
    operator = await startOperator(suite.cleanup, [ns], ['--kubeconfig', rbac.kubeconfig, `--api-request-log=${requestLog}`], { webhooks: 'off' });
    suite.cleanup.after(async () => {
      await kubectlOk(['delete', 'crd', CRD, '--ignore-not-found', '--wait=false']);
    });
  });

  it('without the ServiceMonitor CRD the Cluster converges, MonitoringAvailable is False, and nothing loops', async (t) => {
    const ns = suite.ns();
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], { input: manifest });
    const cluster = await waitFor('Cluster mon Ready with MonitoringAvailable False', async () => {
      const c = await getJson<Obj>(ns, 'cluster', 'mon');
      return conditionOf(c, 'Ready')?.status === 'True' && conditionOf(c, 'MonitoringAvailable')?.status === 'False' ? c : undefined;
    }, { timeoutMs: 120_000, intervalMs: 250 });
    const condition = conditionOf(cluster, 'MonitoringAvailable');
    assert.equal(condition?.reason, 'ServiceMonitorKindNotServed');
    assert.match(condition?.message ?? '', /does not serve ServiceMonitor/);
    for (const c of COMPONENTS) {
      const child = await waitFor(`${c} child with MonitoringAvailable False`, async () => {
        const o = await getJson<Obj>(ns, c, `mon-${c}`);
        return conditionOf(o, 'MonitoringAvailable')?.status === 'False' ? o : undefined;
      });
      assert.deepEqual(child.spec?.monitoring, { enabled: true, scrapeAnnotations: false }, `${c} got the Cluster's spec.monitoring (defaults filled)`);
      assert.equal(conditionOf(child, 'MonitoringAvailable')?.reason, c === 'engine' ? 'ServiceMonitorKindNotServed' : 'NoMetricsServed', c);
      const svc = await getJson<{ spec: { ports: Array<{ name: string; port: number }> } }>(ns, 'service', `mon-${c}`);
      assert.deepEqual(svc?.spec.ports.find((p) => p.name === 'metrics')?.port, c === 'engine' ? 9191 : undefined, `${c} Service: a metrics port only where one is stated`);
    }

    // The measurement window itself: with the CRD absent nothing may keep the queues busy.
    const reconcilesBefore = await metricSum(operator, 'controller_runtime_reconcile_total');
    await new Promise((r) => setTimeout(r, 5_000));
    const reconcilesAfter = await metricSum(operator, 'controller_runtime_reconcile_total');
    t.diagnostic(`reconciles in a 5 s window after convergence without the CRD: ${reconcilesAfter - reconcilesBefore}`);
    assert.ok(reconcilesAfter - reconcilesBefore <= 2, `reconciles kept coming: ${reconcilesBefore} → ${reconcilesAfter}`);
    assert.equal(await metricSum(operator, 'controller_runtime_reconcile_errors_total'), 0, `no reconcile failed:\n${reconcileErrors(operator)}`);
    // Warnings and errors from the reconcilers and from what watches for the kind (a busy machine may
    // add lease warnings, which are not this test's subject).
    const loud = logLines(operator).filter((l) => l.level >= 40 && (l.controller !== undefined || l.kind !== undefined || String(l.informer ?? '').startsWith('customresourcedefinitions')));
    assert.deepEqual(loud, [], 'no warning or error from the reconcilers or the availability watch');
    assert.equal(logLines(operator).filter((l) => /not served/.test(l.msg)).length, 1, 'the absence is logged once');
  });

  it('installing the CRD: a ServiceMonitor appears within seconds for the component that serves metrics, owned, selecting its Service and metrics port', async (t) => {
    const ns = suite.ns();
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], { input: original });
    const started = Date.now();
    await kubectlOk(['apply', '-f', fixture]);
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', `crd/${CRD}`]);
    const monitors = await waitFor('the engine\'s ServiceMonitor', async () => {
      const list = await listJson<ServiceMonitor>(ns, 'servicemonitors.monitoring.coreos.com');
      return list.length === 1 ? list : undefined;
    }, { timeoutMs: 20_000, intervalMs: 100 });
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(`CRD applied → the ServiceMonitor: ${seconds.toFixed(1)} s`);
    assert.ok(seconds < 15, `took ${seconds} s`);
    for (const c of ['engine'] as const) {
      const name = `mon-${c}`;
      const sm = monitors.find((m) => m.metadata.name === name);
      assert.ok(sm, `ServiceMonitor ${name}`);
      assert.deepEqual(sm.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.controller]), [[kindOf(c), name, true]]);
      const svc = await getJson<{ metadata: { labels: Record<string, string> }; spec: { ports: Array<{ name: string }> } }>(ns, 'service', name);
      assert.ok(svc);
      // The selector picks this Service and no other in the namespace.
      const selector = Object.entries(sm.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(',');
      const selected = await listJson<Obj>(ns, 'services', selector);
      assert.deepEqual(selected.map((s) => s.metadata.name), [name], `${name} selects its own Service`);
      assert.deepEqual(sm.spec.namespaceSelector.matchNames, [ns]);
      assert.deepEqual(sm.spec.endpoints.map((e) => [e.port, e.path]), [['metrics', '/metrics']]);
      assert.ok(svc.spec.ports.some((p) => p.name === 'metrics'), 'the Service has the port the endpoint names');
      assert.deepEqual(sm.spec.targetLabels, ['cluster.engula.io/cluster']);
      assert.equal(svc.metadata.labels['cluster.engula.io/cluster'], 'mon');
    }
    await waitFor('MonitoringAvailable True on the Cluster and its engine', async () => {
      for (const kind of ['cluster', 'engine']) {
        const o = await getJson<Obj>(ns, kind, kind === 'cluster' ? 'mon' : `mon-${kind}`);
        if (conditionOf(o, 'MonitoringAvailable')?.status !== 'True') return false;
      }
      return true;
    });
    // The original operator's sample: Ready, nothing to scrape, and the Cluster says so.
    const orig = await waitFor('Cluster orig Ready, MonitoringAvailable False', async () => {
      const c = await getJson<Obj>(ns, 'cluster', 'orig');
      return conditionOf(c, 'Ready')?.status === 'True' && conditionOf(c, 'MonitoringAvailable')?.reason === 'NoMetricsServed' ? c : undefined;
    }, { timeoutMs: 120_000, intervalMs: 250 });
    const said = conditionOf(orig, 'MonitoringAvailable');
    t.diagnostic(`orig: MonitoringAvailable=${said?.status} ${said?.reason}: ${said?.message}`);
    assert.equal(said?.status, 'False');
    assert.match(said?.message ?? '', /image serves no metrics: launch profile v0\.2-kube-dns/);
    for (const c of COMPONENTS) {
      assert.equal(conditionOf(await getJson<Obj>(ns, c, `orig-${c}`), 'MonitoringAvailable')?.reason, 'NoMetricsServed', `orig ${c}`);
      const svc = await getJson<{ spec: { ports: Array<{ name: string }> } }>(ns, 'service', `orig-${c}`);
      assert.deepEqual(svc?.spec.ports.map((p) => p.name), ['service'], `orig ${c}: no metrics port`);
    }
    assert.deepEqual((await listJson<ServiceMonitor>(ns, 'servicemonitors.monitoring.coreos.com')).map((m) => m.metadata.name), ['mon-engine'], 'none for orig');
    assert.equal(await metricSum(operator, 'controller_runtime_reconcile_errors_total'), 0, `no reconcile failed:\n${reconcileErrors(operator)}`);
  });

  it('turning monitoring off removes the ServiceMonitors, and on again brings them back', async (t) => {
    const ns = suite.ns();
    let started = Date.now();
    await kubectlOk(['-n', ns, 'patch', 'cluster', 'mon', '--type=merge', '-p', '{"spec":{"monitoring":{"enabled":false}}}']);
    await waitFor('no ServiceMonitor left', async () => (await listJson(ns, 'servicemonitors.monitoring.coreos.com')).length === 0, { timeoutMs: 30_000, intervalMs: 100 });
    t.diagnostic(`monitoring off → ServiceMonitors gone: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await waitFor('MonitoringAvailable gone from the Cluster', async () => conditionOf(await getJson<Obj>(ns, 'cluster', 'mon'), 'MonitoringAvailable') === undefined);
    started = Date.now();
    await kubectlOk(['-n', ns, 'patch', 'cluster', 'mon', '--type=merge', '-p', '{"spec":{"monitoring":{"enabled":true}}}']);
    await waitFor('the ServiceMonitor again', async () => (await listJson(ns, 'servicemonitors.monitoring.coreos.com')).length === 1, { timeoutMs: 30_000, intervalMs: 100 });
    t.diagnostic(`monitoring on → the ServiceMonitor: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('deleting the Cluster removes its ServiceMonitors (garbage collection through the children)', async (t) => {
    const ns = suite.ns();
    const started = Date.now();
    await kubectlOk(['-n', ns, 'delete', 'cluster', 'mon', '--wait=false']);
    // The garbage collector picks up a newly installed kind on its next discovery sync (30 s).
    await waitFor('no ServiceMonitor left', async () => (await listJson(ns, 'servicemonitors.monitoring.coreos.com')).length === 0, { timeoutMs: 120_000, intervalMs: 500 });
    t.diagnostic(`Cluster deleted → ServiceMonitors gone: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.equal(await metricSum(operator, 'controller_runtime_reconcile_errors_total'), 0, `no reconcile failed:\n${reconcileErrors(operator)}`);
  });

  it('every monitoring call was allowed by config/rbac, and every monitoring permission it grants was used', async (t) => {
    await operator.stop();
    const records = readRequestLog(requestLog).filter((r) => r.at === 'done');
    assert.deepEqual(records.filter((r) => r.code === 403).map((r) => `${r.method} ${r.path}`), [], 'nothing was refused');
    const notAllowed = records
      .map((r) => ({ r, call: apiCallOf(r.method, r.path, r.query ?? '') }))
      .filter(({ call }) => call !== undefined && !allows(rules, call))
      .map(({ r }) => `${r.method} ${r.path}${r.query ?? ''}`);
    assert.deepEqual(notAllowed, [], 'every call is allowed by config/rbac');
    const used = permissionsUsed(records);
    const monitoring = [...permissionsGranted(rules)].filter((p) => p.startsWith('monitoring.coreos.com/') || p.startsWith('apiextensions.k8s.io/')).sort();
    t.diagnostic(`monitoring permissions granted: ${monitoring.join(' ')}`);
    assert.ok(monitoring.length >= 6, 'config/rbac grants the monitoring permissions');
    assert.deepEqual(monitoring.filter((p) => !used.has(p)), [], 'every monitoring permission was used');
  });
});

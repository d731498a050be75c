import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import type { Cluster } from '../../../api/v1alpha1/index.ts';
import { COMPONENT_TRAITS } from '../../../controllers/desired/traits.ts';
import {
  aggregateClusterStatus, childStatusFrom, clusterMetrics, desiredChild, desiredHeadlessService, desiredServiceMonitor, desiredStatefulSet, monitoringCondition, scrapeAnnotations,
  type WorkloadInput,
} from '../../../controllers/desired/index.ts';

const NOW = '2026-01-01T00:00:00Z';

function cluster(monitoring?: Cluster['spec']['monitoring']): Cluster {
  const c = parse(readFileSync(new URL('../../../samples/cluster-full.yaml', import.meta.url), 'utf8')) as Cluster;
  c.metadata = { ...c.metadata, namespace: 'ns', uid: 'cluster-uid', generation: 2 };
  if (monitoring) c.spec.monitoring = monitoring;
  return c;
}

function storageInput(c: Cluster): WorkloadInput {
  const child = desiredChild(c, 'storage')!;
  child.metadata = { ...child.metadata, uid: 'storage-uid', generation: 1 };
  return { child, traits: COMPONENT_TRAITS.storage, clusterName: 'full', image: child.spec.image!, clusterPorts: {} };
}

/** The same, for an image the spec says serves metrics (no Engula line the operator knows does). */
function scrapedStorageInput(c: Cluster): WorkloadInput {
  const input = storageInput(c);
  input.child.spec.metricsPort = 9090;
  return input;
}

const SERVED = { served: true, profile: 'v0.2-kube-dns' } as const;

describe('monitoring builders', () => {
  it('a child takes the Cluster\'s spec.monitoring, and none when the Cluster has none', () => {
    const on = cluster({ enabled: true, scrapeAnnotations: true });
    assert.deepEqual(desiredChild(on, 'kernel')!.spec.monitoring, { enabled: true, scrapeAnnotations: true });
    const off = cluster();
    assert.equal(desiredChild(off, 'kernel')!.spec.monitoring, undefined);
  });

  it('no ServiceMonitor for an image that serves no metrics', () => {
    assert.throws(() => desiredServiceMonitor(storageInput(cluster({ enabled: true }))), /serves no metrics/);
  });

  it('the ServiceMonitor is named like the child, controlled by it, and selects exactly its Service and metrics port', () => {
    const input = scrapedStorageInput(cluster({ enabled: true }));
    input.child.spec.metricsPath = '/admin/metrics';
    const sm = desiredServiceMonitor(input);
    const svc = desiredHeadlessService(input);
    assert.equal(sm.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(sm.kind, 'ServiceMonitor');
    assert.equal(sm.metadata.name, 'full-storage');
    assert.equal(sm.metadata.namespace, 'ns');
    assert.deepEqual(sm.metadata.ownerReferences, [{ apiVersion: 'cluster.engula.io/v1alpha1', kind: 'Storage', name: 'full-storage', uid: 'storage-uid', controller: true, blockOwnerDeletion: true }]);
    const spec = sm.spec as { selector: { matchLabels: Record<string, string> }; namespaceSelector: unknown; endpoints: Array<{ port: string; path: string }>; targetLabels: string[]; jobLabel: string };
    // Every selector label is on the Service, with the same value.
    for (const [k, v] of Object.entries(spec.selector.matchLabels)) assert.equal(svc.metadata.labels?.[k], v, k);
    assert.deepEqual(spec.selector.matchLabels, { 'app.kubernetes.io/name': 'engula', 'app.kubernetes.io/instance': 'full-storage', 'app.kubernetes.io/component': 'storage' });
    assert.deepEqual(spec.namespaceSelector, { matchNames: ['ns'] });
    const ports = (svc.spec as { ports: Array<{ name: string }> }).ports.map((p) => p.name);
    assert.deepEqual(spec.endpoints.map((e) => [e.port, e.path]), [['metrics', '/admin/metrics']]);
    assert.ok(ports.includes(spec.endpoints[0]!.port), 'the endpoint names a port of the Service');
    assert.deepEqual(spec.targetLabels, ['cluster.engula.io/cluster']);
    assert.equal(svc.metadata.labels?.['cluster.engula.io/cluster'], 'full', 'the target label exists on the Service');
    assert.equal(spec.jobLabel, 'app.kubernetes.io/component');
  });

  it('scrape annotations only when asked and metrics are served, with the metrics port; podAnnotations of the same name win', () => {
    const plain = scrapedStorageInput(cluster({ enabled: true }));
    assert.deepEqual(scrapeAnnotations(plain), {});
    assert.deepEqual(scrapeAnnotations(storageInput(cluster({ scrapeAnnotations: true }))), {}, 'nothing to scrape');
    const asked = storageInput(cluster({ scrapeAnnotations: true }));
    asked.child.spec.metricsPort = 9191;
    asked.child.spec.podAnnotations = { 'prometheus.io/path': '/custom', other: 'x' };
    const template = (desiredStatefulSet(asked).spec as { template: { metadata: { annotations?: Record<string, string> } } }).template;
    assert.deepEqual(template.metadata.annotations, { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9191', 'prometheus.io/path': '/custom', other: 'x' });
    const none = storageInput(cluster());
    assert.equal((desiredStatefulSet(none).spec as { template: { metadata: { annotations?: unknown } } }).template.metadata.annotations, undefined);
  });

  it('MonitoringAvailable: absent unless asked; False when the image serves no metrics; True when served; False saying what to install when not', () => {
    assert.deepEqual(monitoringCondition(false, true, SERVED), []);
    assert.deepEqual(monitoringCondition(false, false, SERVED), []);
    const [none] = monitoringCondition(true, true, { served: false, profile: 'v0.2-kube-dns' });
    assert.deepEqual([none?.status, none?.reason], ['False', 'NoMetricsServed']);
    assert.match(none?.message ?? '', /image serves no metrics: launch profile v0\.2-kube-dns/);
    assert.deepEqual(monitoringCondition(true, true, SERVED).map((c) => [c.type, c.status, c.reason]), [['MonitoringAvailable', 'True', 'ServiceMonitorsServed']]);
    const [missing] = monitoringCondition(true, false, SERVED);
    assert.deepEqual([missing?.type, missing?.status, missing?.reason], ['MonitoringAvailable', 'False', 'ServiceMonitorKindNotServed']);
    assert.match(missing?.message ?? '', /Prometheus Operator/);
    assert.equal(monitoringCondition(true, undefined, SERVED)[0]?.status, 'Unknown');
  });

  it("the Cluster's metrics: none on the original operator's line; served once a component states a port", () => {
    const c = cluster({ enabled: true });
    assert.deepEqual(clusterMetrics(c), { served: false, profile: 'v0.2-kube-dns' });
    c.spec.engine!.metricsPort = 9100;
    assert.equal(clusterMetrics(c).served, true);
  });

  it('the condition is appended to the Cluster\'s and the child\'s conditions and keeps its transition time', () => {
    const c = cluster({ enabled: true });
    const first = aggregateClusterStatus(c, {}, NOW, monitoringCondition(true, false, SERVED));
    assert.deepEqual(first.conditions?.map((x) => x.type), ['Ready', 'Progressing', 'Degraded', 'MonitoringAvailable']);
    c.status = first;
    const again = aggregateClusterStatus(c, {}, '2026-01-01T00:09:00Z', monitoringCondition(true, false, SERVED));
    assert.equal(again.conditions?.[3]?.lastTransitionTime, NOW);
    const input = storageInput(c);
    const child = childStatusFrom(input.child, undefined, { waitingFor: [], paused: false, selector: {}, now: NOW, extraConditions: monitoringCondition(true, true, SERVED) });
    assert.equal(child.conditions?.find((x) => x.type === 'MonitoringAvailable')?.status, 'True');
    assert.equal(aggregateClusterStatus(cluster(), {}, NOW).conditions?.length, 3, 'no condition when monitoring is not asked for');
  });
});

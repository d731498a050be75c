import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSubset } from '../../../runtime/client.ts';
import { Backoff } from '../../../runtime/backoff.ts';
import { Store } from '../../../runtime/store.ts';
import { parseDuration, parseFlags } from '../../../runtime/flags.ts';
import { parseBindAddress } from '../../../runtime/health.ts';
import { labelMatcher } from '../../../runtime/labels.ts';
import { resourcePath, resource, type KubeObject } from '../../../runtime/resource.ts';

const cm = (name: string, rv: string, uid = `u-${name}`, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', uid, resourceVersion: rv, managedFields: [{ manager: 'x' }] },
  data,
});

describe('isSubset (the "nothing would change" test before a write)', () => {
  it('accepts live objects with extra, server-defaulted fields', () => {
    const desired = { spec: { replicas: 3, template: { spec: { containers: [{ name: 'a', image: 'x' }] } } } };
    const live = { spec: { replicas: 3, revisionHistoryLimit: 10, template: { spec: { containers: [{ name: 'a', image: 'x', imagePullPolicy: 'IfNotPresent' }], dnsPolicy: 'ClusterFirst' } } } };
    assert.equal(isSubset(desired, live), true);
  });
  it('notices a changed scalar, a missing key and a changed list', () => {
    assert.equal(isSubset({ spec: { replicas: 3 } }, { spec: { replicas: 2 } }), false);
    assert.equal(isSubset({ metadata: { labels: { a: 'b' } } }, { metadata: { labels: {} } }), false);
    assert.equal(isSubset({ ports: [{ name: 'p', port: 1 }] }, { ports: [{ name: 'p', port: 1 }, { name: 'q', port: 2 }] }), false);
    assert.equal(isSubset({ args: ['a', 'b'] }, { args: ['b', 'a'] }), false);
  });
  it('matches list-map elements by name or type, whatever their order', () => {
    assert.equal(isSubset({ env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }, { env: [{ name: 'B', value: '2' }, { name: 'A', value: '1' }] }), true);
    assert.equal(isSubset({ conditions: [{ type: 'Ready', status: 'True' }] }, { conditions: [{ type: 'Ready', status: 'False' }] }), false);
  });
});

describe('Store', () => {
  it('strips managedFields and freezes what it caches', () => {
    const s = new Store();
    s.upsert(cm('a', '1'));
    const got = s.get('ns/a');
    assert.equal(got?.metadata.managedFields, undefined);
    assert.throws(() => {
      (got as { metadata: { name: string } }).metadata.name = 'x';
    }, TypeError);
  });
  it('replace() yields the events a broken watch missed: adds, updates, deletes and re-creations', () => {
    const s = new Store();
    s.replace([cm('keep', '1'), cm('change', '1'), cm('gone', '1'), cm('recreated', '1', 'old-uid')]);
    const events = s.replace([cm('keep', '1'), cm('change', '2'), cm('new', '3'), cm('recreated', '4', 'new-uid')]);
    const summary = events.map((e) => `${e.type}:${e.obj.metadata.name}${e.type === 'delete' ? `:${e.obj.metadata.uid}` : ''}`).sort();
    assert.deepEqual(summary, ['add:new', 'add:recreated', 'delete:gone:u-gone', 'delete:recreated:old-uid', 'update:change']);
    assert.deepEqual(s.keys().sort(), ['ns/change', 'ns/keep', 'ns/new', 'ns/recreated']);
  });
  it('ignores an event for a version it already has', () => {
    const s = new Store();
    assert.equal(s.upsert(cm('a', '1'))?.type, 'add');
    assert.equal(s.upsert(cm('a', '1')), undefined);
    assert.equal(s.upsert(cm('a', '2'))?.type, 'update');
  });
});

describe('labels', () => {
  it('matches the API server selector syntax', () => {
    const m = labelMatcher('app=x,tier!=db,env in (a, b),!skip,owner');
    assert.equal(m({ app: 'x', env: 'a', owner: 'o' }), true);
    assert.equal(m({ app: 'x', env: 'c', owner: 'o' }), false);
    assert.equal(m({ app: 'x', env: 'a', owner: 'o', skip: '' }), false);
    assert.equal(m({ app: 'x', env: 'a', owner: 'o', tier: 'db' }), false);
    assert.equal(labelMatcher({ a: '1' })({ a: '1', b: '2' }), true);
  });
});

describe('Backoff', () => {
  it('doubles to the cap, adds bounded jitter, and resets after a healthy period', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.5, resetAfterMs: 10_000, random: () => 1 });
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((t) => b.next(t)), [150, 300, 600, 1200, 1500, 1500]);
    assert.equal(b.next(20_000), 150, 'a failure after 10 s of quiet starts over');
  });
});

describe('flags and addresses', () => {
  it('has kubebuilder defaults', () => {
    const f = parseFlags([]);
    assert.equal(f.metricsBindAddress, ':8080');
    assert.equal(f.healthProbeBindAddress, ':8081');
    assert.equal(f.webhookPort, 9443);
    assert.equal(f.leaseDurationMs, 15_000);
    assert.equal(f.renewDeadlineMs, 10_000);
    assert.equal(f.retryPeriodMs, 2_000);
    assert.deepEqual(f.namespaces, []);
  });
  it('parses flags and refuses unknown ones', () => {
    const f = parseFlags(['--leader-elect', '--namespaces=a,b', '--namespaces', 'c', '--max-concurrent-reconciles=4', '--graceful-shutdown-timeout=1m30s']);
    assert.equal(f.leaderElect, true);
    assert.deepEqual(f.namespaces, ['a', 'b', 'c']);
    assert.equal(f.maxConcurrentReconciles, 4);
    assert.equal(f.gracefulShutdownTimeoutMs, 90_000);
    assert.equal(parseFlags(['--leader-elect=false'], { leaderElect: true }).leaderElect, false, 'Go-style --flag=false');
    assert.equal(parseFlags(['--leader-elect=true']).leaderElect, true);
    assert.equal(parseFlags(['--no-leader-elect'], { leaderElect: true }).leaderElect, false);
    assert.throws(() => parseFlags(['--metrics-addr=:1']));
    assert.equal(parseFlags(['--webhook-port=0']).webhookPort, 0, '0 asks for a free port');
    assert.throws(() => parseFlags(['--webhook-port=70000']), /port from 0/);
    assert.equal(parseFlags(['--api-request-log', '/tmp/x.jsonl']).apiRequestLog, '/tmp/x.jsonl');
    assert.throws(() => parseFlags(['--max-concurrent-reconciles=0']), /positive integer/);
  });
  it('parses durations and bind addresses', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.throws(() => parseDuration('5'));
    assert.deepEqual(parseBindAddress(':8080'), { host: undefined, port: 8080 });
    assert.deepEqual(parseBindAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseBindAddress('[::1]:9'), { host: '::1', port: 9 });
    assert.equal(parseBindAddress('0'), undefined);
  });
  it('builds REST paths for core, grouped, namespaced and cluster-scoped kinds', () => {
    assert.equal(resourcePath(resource('v1', 'ConfigMap', 'configmaps'), 'ns', 'a'), '/api/v1/namespaces/ns/configmaps/a');
    assert.equal(resourcePath(resource('apps/v1', 'StatefulSet', 'statefulsets'), ''), '/apis/apps/v1/statefulsets');
    assert.equal(resourcePath(resource('cluster.engula.io/v1alpha1', 'Cluster', 'clusters'), 'x', 'c', 'status'), '/apis/cluster.engula.io/v1alpha1/namespaces/x/clusters/c/status');
    assert.equal(resourcePath(resource('v1', 'Namespace', 'namespaces', false), 'ignored', 'n'), '/api/v1/namespaces/n');
  });
});

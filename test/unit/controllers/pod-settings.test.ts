// Pod settings (issue 20): Pod Security restricted with no setting, overrides field by field, the
// Cluster's settings inherited with the component's winning, probes, spread that works.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { applyDefaults, type Cluster, type ComponentName } from '../../../api/v1alpha1/index.ts';
import { COMPONENT_TRAITS } from '../../../controllers/desired/traits.ts';
import { desiredChild, desiredHeadlessService, desiredServiceAccount, desiredStatefulSet, selectorLabels, type WorkloadInput } from '../../../controllers/desired/index.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- reading generated objects in a test

function original(): Cluster {
  const c = parse(readFileSync(new URL('../../../samples/cluster-original.yaml', import.meta.url), 'utf8')) as Cluster;
  c.metadata = { ...c.metadata, namespace: 'ns', uid: 'cluster-uid' };
  return applyDefaults('Cluster', c);
}

function inputOf(cluster: Cluster, component: ComponentName): WorkloadInput {
  const child = desiredChild(cluster, component)!;
  child.metadata = { ...child.metadata, uid: `${component}-uid` };
  return { child, traits: COMPONENT_TRAITS[component], clusterName: cluster.metadata?.name, image: child.spec.image!, clusterPorts: {} };
}

const podOf = (input: WorkloadInput): Json => (desiredStatefulSet(input).spec as Json).template.spec as Json;

describe('Pod Security restricted by default', () => {
  it('every component: non-root numeric user, fsGroup, seccomp RuntimeDefault, no escalation, no capability, read-only root', () => {
    for (const c of ['journal', 'storage', 'kernel', 'engine'] as const) {
      const pod = podOf(inputOf(original(), c));
      assert.deepEqual(pod.securityContext, { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } }, c);
      assert.deepEqual(pod.containers[0].securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, readOnlyRootFilesystem: true }, c);
    }
  });

  it("overrides replace the defaults field by field, the component's over the Cluster's (OpenShift assigns the user)", () => {
    const cluster = original();
    cluster.spec.podSecurityContext = { runAsUser: 1000680000, fsGroup: 1000680000 };
    cluster.spec.kernel!.podSecurityContext = { fsGroup: 1000680001 };
    cluster.spec.securityContext = { readOnlyRootFilesystem: false };
    const journal = podOf(inputOf(cluster, 'journal'));
    assert.equal(journal.securityContext.runAsUser, 1000680000);
    assert.equal(journal.securityContext.fsGroup, 1000680000);
    assert.equal(journal.securityContext.runAsNonRoot, true, 'a default the override does not name stays');
    assert.equal(journal.containers[0].securityContext.readOnlyRootFilesystem, false);
    assert.equal(journal.containers[0].securityContext.allowPrivilegeEscalation, false);
    const kernel = podOf(inputOf(cluster, 'kernel'));
    assert.deepEqual([kernel.securityContext.runAsUser, kernel.securityContext.fsGroup], [1000680000, 1000680001], "the kernel's own fsGroup wins, the Cluster's user stays");
  });
});

describe('the pod settings platforms set', () => {
  it('priorityClassName, grace period, minReadySeconds, labels and annotations on pods, Services and ServiceAccounts', () => {
    const cluster = original();
    Object.assign(cluster.spec, {
      priorityClassName: 'databases',
      terminationGracePeriodSeconds: 120,
      minReadySeconds: 10,
      podLabels: { team: 'data', 'app.kubernetes.io/name': 'not-ours' },
      podAnnotations: { a: 'cluster' },
      serviceLabels: { exposed: 'no' },
      serviceAnnotations: { 'service.example.com/x': 'y' },
      serviceAccountAnnotations: { 'iam.gke.io/gcp-service-account': 'engula@p.iam.gserviceaccount.com' },
    });
    cluster.spec.engine!.podAnnotations = { a: 'engine', b: 'engine' };
    const input = inputOf(cluster, 'engine');
    const sts = desiredStatefulSet(input) as Json;
    assert.equal(sts.spec.minReadySeconds, 10);
    const pod = sts.spec.template as Json;
    assert.equal(pod.spec.priorityClassName, 'databases');
    assert.equal(pod.spec.terminationGracePeriodSeconds, 120);
    assert.equal(pod.metadata.labels.team, 'data');
    assert.equal(pod.metadata.labels['app.kubernetes.io/name'], 'engula', "the operator's own labels cannot be replaced");
    assert.deepEqual(pod.metadata.annotations, { a: 'engine', b: 'engine' }, "the component's podAnnotations win key by key");
    const svc = desiredHeadlessService(input);
    assert.equal(svc.metadata.labels?.exposed, 'no');
    assert.deepEqual(svc.metadata.annotations, { 'service.example.com/x': 'y' });
    assert.deepEqual(desiredServiceAccount(input).metadata.annotations, { 'iam.gke.io/gcp-service-account': 'engula@p.iam.gserviceaccount.com' });
  });

  it('startup and liveness probes: TCP on the service port, liveness only after start; a given probe replaces the default whole', () => {
    const cluster = original();
    const container = podOf(inputOf(cluster, 'kernel')).containers[0] as Json;
    assert.deepEqual(container.startupProbe, { tcpSocket: { port: 'service' }, periodSeconds: 10, failureThreshold: 60 });
    assert.deepEqual(container.livenessProbe, { tcpSocket: { port: 'service' }, periodSeconds: 10, failureThreshold: 6 });
    cluster.spec.kernel!.startupProbe = { tcpSocket: { port: 24567 }, failureThreshold: 360 };
    assert.deepEqual((podOf(inputOf(cluster, 'kernel')).containers[0] as Json).startupProbe, { tcpSocket: { port: 24567 }, failureThreshold: 360 });
  });
});

describe('spread that works', () => {
  it('a constraint without labelSelector gets the pod labels; pods spread across nodes by default, ScheduleAnyway', () => {
    const cluster = original();
    cluster.spec.storage!.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' }];
    const selector = { matchLabels: selectorLabels('cluster-sample-storage', 'storage') };
    assert.deepEqual(podOf(inputOf(cluster, 'storage')).topologySpreadConstraints, [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: selector },
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector },
    ]);
  });

  it('turned off with spreadAcrossNodes: false; a hostname constraint of the spec replaces the default', () => {
    const cluster = original();
    cluster.spec.spreadAcrossNodes = false;
    assert.equal(podOf(inputOf(cluster, 'journal')).topologySpreadConstraints, undefined);
    const again = original();
    again.spec.journal!.topologySpreadConstraints = [{ maxSkew: 2, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { x: 'y' } } }];
    assert.deepEqual(podOf(inputOf(again, 'journal')).topologySpreadConstraints, again.spec.journal!.topologySpreadConstraints);
  });
});

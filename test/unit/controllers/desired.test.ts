import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { type ChildObject, type Cluster, type Kernel } from '../../../api/v1alpha1/index.ts';
import { isSubset, type KubeObject } from '../../../runtime/index.ts';
import { COMPONENT_TRAITS } from '../../../controllers/desired/traits.ts';
import {
  aggregateClusterStatus, childStatusFrom, desiredChild, desiredHeadlessService, desiredPodDisruptionBudget, desiredServiceAccount, desiredStatefulSet, desiredTopologyConfigMap, labelsFor, selectorLabels, topologyOf, type WorkloadInput,
} from '../../../controllers/desired/index.ts';

const NOW = '2026-01-01T00:00:00Z';
const LATER = '2026-01-01T00:05:00Z';

function fullCluster(): Cluster {
  const c = parse(readFileSync(new URL('../../../samples/cluster-full.yaml', import.meta.url), 'utf8')) as Cluster;
  c.metadata = { ...c.metadata, namespace: 'ns', uid: 'cluster-uid', generation: 3 };
  return c;
}

function get<T>(obj: unknown, path: string): T {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj) as T;
}

function kernelInput(overrides: Partial<WorkloadInput> = {}): WorkloadInput {
  const child = desiredChild(fullCluster(), 'kernel')!;
  child.metadata = { ...child.metadata, uid: 'kernel-uid', generation: 1 };
  return {
    child,
    traits: COMPONENT_TRAITS.kernel,
    clusterName: 'full',
    image: child.spec.image!,
    clusterPorts: { journal: 24570, storage: 24569, kernel: 24567, engine: 24568 },
    ...overrides,
  };
}

describe('desiredChild', () => {
  it('names the child <cluster>-<component>, is controlled by the Cluster and carries its defaults', () => {
    const cluster = fullCluster();
    const journal = desiredChild(cluster, 'journal')!;
    assert.equal(journal.kind, 'Journal');
    assert.equal(journal.metadata?.name, 'full-journal');
    assert.equal(journal.metadata?.namespace, 'ns');
    assert.deepEqual(journal.metadata?.ownerReferences, [
      { apiVersion: 'cluster.engula.io/v1alpha1', kind: 'Cluster', name: 'full', uid: 'cluster-uid', controller: true, blockOwnerDeletion: true },
    ]);
    assert.equal(journal.spec.clusterName, 'full');
    assert.deepEqual(journal.spec.image, { name: 'uhub.service.ucloud.cn/zojw/engula:0.9', pullPolicy: 'IfNotPresent' });
    assert.deepEqual(journal.spec.imagePullSecrets, [{ name: 'engula-registry' }]);
    assert.equal(journal.spec.replicas, 3);
    assert.deepEqual(journal.spec.volume, cluster.spec.journal?.volume);
  });

  it('keeps a component\'s own image and merges pull secrets without duplicates', () => {
    const cluster = fullCluster();
    cluster.spec.kernel!.imagePullSecrets = [{ name: 'kernel-only' }, { name: 'engula-registry' }];
    const kernel = desiredChild(cluster, 'kernel')!;
    assert.deepEqual(kernel.spec.image, { name: 'uhub.service.ucloud.cn/zojw/engula:0.9', pullPolicy: 'Always' });
    assert.deepEqual(kernel.spec.imagePullSecrets, [{ name: 'engula-registry' }, { name: 'kernel-only' }]);
  });

  it('gives nothing for a component missing from the spec', () => {
    const cluster = fullCluster();
    delete cluster.spec.engine;
    assert.equal(desiredChild(cluster, 'engine'), undefined);
  });
});

describe('workload builders', () => {
  it('ServiceAccount: pull secrets; no token, as no Engula line calls the Kubernetes API', () => {
    const kernel = desiredServiceAccount(kernelInput());
    assert.equal(kernel.automountServiceAccountToken, false);
    assert.deepEqual(kernel.imagePullSecrets, [{ name: 'engula-registry' }]);
  });

  it('headless Service: the service port only, as the image serves no metrics; a metrics port once the spec states one', () => {
    const input = kernelInput();
    const svc = desiredHeadlessService(input);
    assert.equal(get(svc, 'spec.clusterIP'), 'None');
    assert.equal(get(svc, 'spec.publishNotReadyAddresses'), true);
    assert.deepEqual(get(svc, 'spec.selector'), selectorLabels('full-kernel', 'kernel'));
    assert.deepEqual(get<Array<{ name: string; port: number }>>(svc, 'spec.ports').map((p) => [p.name, p.port]), [['service', 24567]]);
    assert.deepEqual(svc.metadata.ownerReferences?.[0]?.uid, 'kernel-uid');
    input.child.spec.metricsPort = 9100;
    assert.deepEqual(get<Array<{ name: string; port: number }>>(desiredHeadlessService(input), 'spec.ports').map((p) => [p.name, p.port]), [['service', 24567], ['metrics', 9100]]);
  });

  it('StatefulSet: service name, labels, image, ports, env, volumes, retention', () => {
    const input = kernelInput();
    const sts = desiredStatefulSet(input);
    assert.equal(get(sts, 'spec.serviceName'), 'full-kernel');
    assert.equal(get(sts, 'spec.replicas'), 1);
    assert.deepEqual(get(sts, 'spec.selector.matchLabels'), selectorLabels('full-kernel', 'kernel'));
    assert.deepEqual(get(sts, 'spec.persistentVolumeClaimRetentionPolicy'), { whenDeleted: 'Retain', whenScaled: 'Retain' }, 'data outlives a delete by default');
    input.child.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Delete' };
    assert.deepEqual(get(desiredStatefulSet(input), 'spec.persistentVolumeClaimRetentionPolicy'), { whenDeleted: 'Delete', whenScaled: 'Retain' });
    const labels = get<Record<string, string>>(sts, 'spec.template.metadata.labels');
    assert.deepEqual(labels, labelsFor('full-kernel', 'kernel', 'full'));
    assert.equal((sts.metadata.annotations ?? {})['cluster.engula.io/launch-profile'], 'v0.2-kube-dns');
    assert.equal(get(sts, 'spec.template.spec.serviceAccountName'), 'full-kernel');
    assert.equal(get(sts, 'spec.template.spec.automountServiceAccountToken'), false);
    const container = get<Array<Record<string, unknown>>>(sts, 'spec.template.spec.containers')[0]!;
    assert.equal(container.image, 'uhub.service.ucloud.cn/zojw/engula:0.9');
    assert.equal(container.imagePullPolicy, 'Always');
    assert.deepEqual(container.command, ['/bin/engula']);
    assert.deepEqual(container.args, ['kernel', 'run', '--journal', '0.0.0.0:9999', '--storage', '0.0.0.0:9999', '0.0.0.0:24567', '--kube', '/data/kernel']);
    assert.deepEqual(container.ports, [{ name: 'service', containerPort: 24567, protocol: 'TCP' }]);
    assert.deepEqual(container.resources, { requests: { cpu: '250m', memory: '256Mi' } });
    assert.deepEqual(container.env, [
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      { name: 'kubecluster', value: 'full' },
      { name: 'journalport', value: '24570' },
      { name: 'storageport', value: '24569' },
      { name: 'kernelport', value: '24567' },
      { name: 'RUST_BACKTRACE', value: '1' },
    ]);
    const vct = get<Array<Record<string, unknown>>>(sts, 'spec.volumeClaimTemplates');
    assert.equal(vct.length, 1);
    assert.deepEqual(get(vct[0], 'spec.resources.requests'), { storage: '1Gi' });
    assert.equal(get(sts, 'spec.template.spec.volumes'), undefined, 'the claim template is the only volume');
    assert.deepEqual(container.volumeMounts, [{ name: 'data', mountPath: '/data' }]);
  });

  it('StatefulSet: scheduling fields and pod annotations pass through; an existing claim is a volume; the spec\'s env comes last and wins', () => {
    const cluster = fullCluster();
    const journal = desiredChild(cluster, 'journal')!;
    journal.metadata!.uid = 'j';
    journal.spec.volume = { source: { claimName: 'shared' } };
    const sts = desiredStatefulSet({ ...kernelInput(), child: journal, traits: COMPONENT_TRAITS.journal });
    assert.deepEqual(get(sts, 'spec.template.spec.nodeSelector'), { 'kubernetes.io/os': 'linux' });
    assert.deepEqual(get(sts, 'spec.template.spec.tolerations'), cluster.spec.journal?.tolerations);
    assert.deepEqual(get(sts, 'spec.template.spec.affinity'), cluster.spec.journal?.affinity);
    // The sample's zone constraint has no labelSelector: it gets the component's pod labels; the default node spread follows.
    assert.deepEqual(get(sts, 'spec.template.spec.topologySpreadConstraints'), [
      { ...cluster.spec.journal?.topologySpreadConstraints?.[0], labelSelector: { matchLabels: selectorLabels('full-journal', 'journal') } },
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorLabels('full-journal', 'journal') } },
    ]);
    assert.deepEqual(get(sts, 'spec.template.metadata.annotations'), { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' });
    assert.equal(get(sts, 'spec.volumeClaimTemplates'), undefined);
    const volumes = get<Array<{ name: string; persistentVolumeClaim?: { claimName: string } }>>(sts, 'spec.template.spec.volumes');
    assert.equal(volumes.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName, 'shared');
    const env = get<Array<{ name: string; value?: string }>>(sts, 'spec.template.spec.containers.0.env');
    assert.deepEqual(env.at(-1), { name: 'RUST_BACKTRACE', value: 'full' }, "the spec's env comes last");
    assert.equal(env.filter((e) => e.name === 'RUST_BACKTRACE').length, 1, "and replaces the profile's of the same name");
  });

  it('StatefulSet: a component whose binary writes data gets an emptyDir there without a volume; the engine gets none', () => {
    const cluster = fullCluster();
    const journal = desiredChild(cluster, 'journal')!;
    journal.metadata!.uid = 'j';
    delete journal.spec.volume;
    const sts = desiredStatefulSet({ ...kernelInput(), child: journal, traits: COMPONENT_TRAITS.journal });
    assert.deepEqual(get(sts, 'spec.template.spec.volumes'), [{ name: 'data', emptyDir: {} }]);
    assert.deepEqual(get(sts, 'spec.template.spec.containers.0.volumeMounts'), [{ name: 'data', mountPath: '/data' }]);
    const engine = desiredChild(cluster, 'engine')!;
    engine.metadata!.uid = 'e';
    const e = desiredStatefulSet({ ...kernelInput(), child: engine, traits: COMPONENT_TRAITS.engine });
    assert.equal(get(e, 'spec.template.spec.volumes'), undefined);
    assert.equal(get(e, 'spec.template.spec.containers.0.volumeMounts'), undefined);
  });

  it('StatefulSet: quantities are written as the apiserver stores them, so an idle operator finds nothing to change', () => {
    const input = kernelInput();
    input.child.spec.resource = { requests: { cpu: 1 as unknown as string, memory: '1024Mi' }, limits: { cpu: '0.5' } };
    input.child.spec.volume = { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '0.5Gi' } } } };
    const sts = desiredStatefulSet(input);
    assert.deepEqual(get(sts, 'spec.template.spec.containers.0.resources'), { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '500m' } });
    assert.deepEqual(get(sts, 'spec.volumeClaimTemplates.0.spec.resources'), { requests: { storage: '512Mi' } });
  });

  it('PodDisruptionBudget: maxUnavailable 1 over the component\'s pods', () => {
    const pdb = desiredPodDisruptionBudget(kernelInput());
    assert.deepEqual(pdb.spec, { maxUnavailable: 1, selector: { matchLabels: selectorLabels('full-kernel', 'kernel') } });
  });
});

describe('topology ConfigMap', () => {
  it('lists every component\'s port and every pod\'s stable DNS name, and follows replicas', () => {
    const cluster = fullCluster();
    const t = topologyOf(cluster, 'cluster.local');
    assert.equal(t.components.journal?.port, 24570);
    assert.equal(t.components.storage?.port, 24569);
    assert.deepEqual(t.components.engine?.pods, [
      'full-engine-0.full-engine.ns.svc.cluster.local',
      'full-engine-1.full-engine.ns.svc.cluster.local',
    ]);
    cluster.spec.engine!.replicas = 3;
    const cm = desiredTopologyConfigMap(cluster, 'cluster.local');
    const data = parse((cm.data as Record<string, string>)['topology.yaml']!) as typeof t;
    assert.equal(data.components.engine?.pods.length, 3);
    assert.equal(cm.metadata.name, 'full-config');
    assert.equal(cm.metadata.ownerReferences?.[0]?.kind, 'Cluster');
  });
});

function sts(replicas: number, ready: number, updated = replicas, generation = 1, observed = 1): KubeObject {
  return { metadata: { name: 'full-kernel', generation }, spec: { replicas }, status: { observedGeneration: observed, replicas, readyReplicas: ready, updatedReplicas: updated } };
}

function kernelChild(): Kernel {
  const k = desiredChild(fullCluster(), 'kernel') as Kernel;
  k.metadata = { ...k.metadata, generation: 2 };
  return k;
}

const situation = { waitingFor: [], paused: false, selector: selectorLabels('full-kernel', 'kernel'), now: NOW };

describe('childStatusFrom', () => {
  it('waiting for dependencies: Pending, and the Ready condition says for what', () => {
    const s = childStatusFrom(kernelChild(), undefined, { ...situation, waitingFor: [{ component: 'journal', name: 'full-journal' }] });
    assert.equal(s.phase, 'Pending');
    const ready = s.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'False');
    assert.equal(ready?.reason, 'WaitingForDependencies');
    assert.match(ready?.message ?? '', /journal \(full-journal\)/);
    assert.equal(s.selector, 'app.kubernetes.io/name=engula,app.kubernetes.io/instance=full-kernel,app.kubernetes.io/component=kernel');
  });

  it('counts come from the StatefulSet; all ready is Ready', () => {
    const s = childStatusFrom(kernelChild(), sts(1, 1), situation);
    assert.equal(s.phase, 'Ready');
    assert.equal(s.observedGeneration, 2);
    assert.deepEqual([s.replicas, s.readyReplicas, s.updatedReplicas], [1, 1, 1]);
    assert.equal(s.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  });

  it('a StatefulSet behind the spec is Progressing; a settled one losing pods is Degraded', () => {
    const child = kernelChild();
    child.spec.replicas = 3;
    const scaling = childStatusFrom(child, sts(1, 1), situation);
    assert.equal(scaling.phase, 'Progressing');
    assert.equal(scaling.conditions?.find((c) => c.type === 'Progressing')?.reason, 'Scaling');
    child.status = childStatusFrom(child, sts(3, 3), situation);
    const broken = childStatusFrom(child, sts(3, 2), situation);
    assert.equal(broken.phase, 'Degraded');
    assert.equal(broken.conditions?.find((c) => c.type === 'Degraded')?.status, 'True');
  });

  it('recomputing an unchanged status gives the same object (no write); a change moves lastTransitionTime', () => {
    const child = kernelChild();
    child.status = childStatusFrom(child, sts(1, 1), situation);
    assert.deepEqual(childStatusFrom(child, sts(1, 1), { ...situation, now: LATER }), child.status);
    const after = childStatusFrom(child, sts(1, 0), { ...situation, now: LATER });
    assert.equal(after.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime, LATER);
  });

  it('paused reports Paused with real counts', () => {
    const s = childStatusFrom(kernelChild(), sts(1, 1), { ...situation, paused: true });
    assert.equal(s.phase, 'Paused');
    assert.equal(s.readyReplicas, 1);
  });
});

function readyChild(cluster: Cluster, component: 'journal' | 'storage' | 'kernel' | 'engine', ready: number | undefined): ChildObject {
  const child = desiredChild(cluster, component)!;
  child.metadata = { ...child.metadata, generation: 1 };
  const sel = selectorLabels(child.metadata.name!, component);
  const st = ready === undefined ? undefined : sts(child.spec.replicas, ready, child.spec.replicas);
  child.status = childStatusFrom(child, st, { waitingFor: ready === undefined ? [{ component: 'journal', name: 'full-journal' }] : [], paused: false, selector: sel, now: NOW });
  return child;
}

describe('aggregateClusterStatus', () => {
  it('all components ready: Ready, 4/4', () => {
    const cluster = fullCluster();
    const children = { journal: readyChild(cluster, 'journal', 3), storage: readyChild(cluster, 'storage', 3), kernel: readyChild(cluster, 'kernel', 1), engine: readyChild(cluster, 'engine', 2) };
    const s = aggregateClusterStatus(cluster, children, NOW);
    assert.equal(s.phase, 'Ready');
    assert.equal(s.readySummary, '4/4');
    assert.equal(s.observedGeneration, 3);
    assert.deepEqual(s.components?.storage, { name: 'full-storage', desired: 3, ready: 3, phase: 'Ready' });
    assert.equal(s.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.equal(s.conditions?.find((c) => c.type === 'Progressing')?.status, 'False');
  });

  it('a waiting kernel keeps the Cluster Progressing; the Cluster names the dependency that is not ready, and the kernel the wait', () => {
    const cluster = fullCluster();
    const children = { journal: readyChild(cluster, 'journal', 3), storage: readyChild(cluster, 'storage', 1), kernel: readyChild(cluster, 'kernel', undefined) };
    const s = aggregateClusterStatus(cluster, children, NOW);
    assert.equal(s.phase, 'Progressing');
    assert.equal(s.readySummary, '1/4');
    const ready = s.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.reason, 'ComponentsNotReady');
    // The storage is the one not ready; the kernel's own condition says it waits for it.
    assert.equal(ready?.message, 'Not ready: storage (Progressing); kernel (Pending); engine (Pending)');
    assert.deepEqual(s.components?.engine, { desired: 2, ready: 0, phase: 'Pending' });
  });

  it('a child that has not caught up with a new replica count is Progressing', () => {
    const cluster = fullCluster();
    const engine = readyChild(cluster, 'engine', 2);
    cluster.spec.engine!.replicas = 4;
    const s = aggregateClusterStatus(cluster, { engine }, NOW);
    assert.equal(s.components?.engine?.phase, 'Progressing');
    assert.equal(s.components?.engine?.desired, 4);
  });

  it('paused: phase Paused, Progressing False with reason Paused', () => {
    const cluster = fullCluster();
    cluster.spec.paused = true;
    const s = aggregateClusterStatus(cluster, {}, NOW);
    assert.equal(s.phase, 'Paused');
    assert.equal(s.conditions?.find((c) => c.type === 'Progressing')?.reason, 'Paused');
  });
});

describe('idempotence against a live object', () => {
  it('a desired StatefulSet is a subset of itself with server defaults added', () => {
    const desired = desiredStatefulSet(kernelInput());
    const live = structuredClone(desired) as Record<string, unknown>;
    (live.spec as Record<string, unknown>).revisionHistoryLimit = 10;
    (live.metadata as Record<string, unknown>).resourceVersion = '5';
    assert.ok(isSubset(desired, live));
  });
});

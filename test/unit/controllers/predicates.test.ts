import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterSpecChanged, dependencyReadinessChanged, ignoreStatusOnly, rollupInputChanged, statefulSetReadinessChanged } from '../../../controllers/predicates.ts';
import { engulaResources } from '../../../controllers/resources.ts';
import { ownerKeysOf, type KubeObject } from '../../../runtime/index.ts';

function sts(status: Record<string, unknown>, spec: Record<string, unknown> = { replicas: 1 }, rv = '1'): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'a', namespace: 'ns', resourceVersion: rv, generation: 1, labels: { x: 'y' } }, spec, status };
}

describe('predicates of owned and watched objects', () => {
  it('status-only updates of owned kinds wake nothing; drift of spec, labels or annotations does', () => {
    const pdb = (status: Record<string, unknown>, rv: string, labels = { x: 'y' }): KubeObject => ({ kind: 'PodDisruptionBudget', metadata: { name: 'p', resourceVersion: rv, labels }, spec: { maxUnavailable: 1 }, status });
    assert.equal(ignoreStatusOnly.update?.(pdb({ currentHealthy: 0 }, '1'), pdb({ currentHealthy: 1 }, '2')), false);
    assert.equal(ignoreStatusOnly.update?.(pdb({}, '1'), pdb({}, '2', { x: 'z' })), true);
    assert.equal(ignoreStatusOnly.update?.(pdb({}, '1'), { ...pdb({}, '2'), spec: { maxUnavailable: 2 } }), true);
    const annotated = pdb({}, '2');
    annotated.metadata.annotations = { 'operator-runtime/applied-hash': 'x' };
    assert.equal(ignoreStatusOnly.update?.(pdb({}, '1'), annotated), true);
  });

  it('a field added or removed anywhere but status, resourceVersion and managedFields is drift', () => {
    const cm = (extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject => ({ kind: 'ConfigMap', metadata: { name: 'c', resourceVersion: '1', ...meta }, data: { a: '1' }, ...extra });
    const changed = (a: KubeObject, b: KubeObject): boolean | undefined => ignoreStatusOnly.update?.(a, b);
    assert.equal(changed(cm(), cm({ binaryData: { b: 'eA==' } })), true, 'a top-level field added');
    assert.equal(changed(cm({ binaryData: { b: 'eA==' } }), cm()), true, 'a top-level field removed');
    assert.equal(changed(cm(), cm({}, { deletionTimestamp: '2026-01-01T00:00:00Z' })), true, 'deletion began');
    assert.equal(changed(cm({}, { finalizers: ['f'] }), cm()), true, 'a finalizer removed');
    assert.equal(changed(cm(), cm({ data: { a: '2' } })), true, 'data edited');
    assert.equal(changed(cm(), cm({}, { resourceVersion: '9', managedFields: [{ manager: 'kubectl' }] })), false, 'only the server-owned metadata moved');
    assert.equal(changed(cm(), cm({ status: { x: 1 } })), false, 'a status appeared');
    assert.equal(changed(cm({ data: { a: '1', b: undefined } }), cm()), false, 'an undefined field is no field, as in JSON');
  });

  it('a StatefulSet wakes its child for the counts its status and its roll are made of (availableReplicas: a roll step waits out minReadySeconds), not for other status', () => {
    const base = { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 0, availableReplicas: 0, collisionCount: 0 };
    assert.equal(statefulSetReadinessChanged.update?.(sts(base), sts({ ...base, collisionCount: 1 }, undefined, '2')), false);
    assert.equal(statefulSetReadinessChanged.update?.(sts(base), sts({ ...base, availableReplicas: 1 }, undefined, '2')), true);
    assert.equal(statefulSetReadinessChanged.update?.(sts(base), sts({ ...base, updateRevision: 'r2' }, undefined, '2')), true);
    assert.equal(statefulSetReadinessChanged.update?.(sts(base), sts({ ...base, readyReplicas: 1 }, undefined, '2')), true);
    assert.equal(statefulSetReadinessChanged.update?.(sts(base), sts({ ...base, observedGeneration: 2 }, undefined, '2')), true);
    assert.equal(statefulSetReadinessChanged.update?.(sts(base), sts(base, { replicas: 3 }, '2')), true);
  });

  it('a dependency wakes its dependents on its first ready pod or a spec change, not on every status write', () => {
    const child = (readyReplicas: number, message: string, port = 1): KubeObject => ({ kind: 'Journal', metadata: { name: 'j', resourceVersion: message }, spec: { port }, status: { readyReplicas, conditions: [{ type: 'Ready', message }] } });
    assert.equal(dependencyReadinessChanged.update?.(child(0, 'a'), child(0, 'b')), false);
    assert.equal(dependencyReadinessChanged.update?.(child(0, 'a'), child(1, 'b')), true);
    assert.equal(dependencyReadinessChanged.update?.(child(2, 'a'), child(1, 'b')), false);
    assert.equal(dependencyReadinessChanged.update?.(child(1, 'a'), child(0, 'b')), true);
    assert.equal(dependencyReadinessChanged.update?.(child(1, 'a'), child(1, 'b', 2)), true);
  });

  it('a child wakes its Cluster for what the roll-up reads, not for a step on its way or its counts of pods that exist', () => {
    const child = (phase: string, ready: number, reason: string, message: string, extra: Record<string, unknown> = {}): KubeObject => ({
      kind: 'Kernel',
      metadata: { name: 'k', generation: 1, resourceVersion: `${phase}${ready}${reason}${message}` },
      spec: { replicas: 1 },
      status: { observedGeneration: 1, phase, readyReplicas: ready, replicas: 0, conditions: [{ type: 'Ready', status: 'False', reason, message }], ...extra },
    });
    // Waiting, then its StatefulSet made: both Pending, and the Cluster repeats neither step's message.
    assert.equal(rollupInputChanged.update?.(child('Pending', 0, 'WaitingForDependencies', 'Waiting for journal'), child('Pending', 0, 'Scaling', '0/1 pods ready, 0 exist')), false);
    assert.equal(rollupInputChanged.update?.(child('Pending', 0, 'Scaling', '0/1, 0 exist'), child('Pending', 0, 'PodsStarting', '0/1, 1 exist', { replicas: 1 })), false);
    assert.equal(rollupInputChanged.update?.(child('Pending', 0, 'PodsStarting', 'a'), child('Ready', 1, 'AllPodsReady', '1/1')), true);
    assert.equal(rollupInputChanged.update?.(child('Ready', 1, 'AllPodsReady', '1/1'), child('Degraded', 0, 'PodsNotReady', 'pods that were ready are not')), true);
    // A problem's message is repeated by the Cluster, so a new one wakes it.
    assert.equal(rollupInputChanged.update?.(child('Degraded', 0, 'NoImage', 'a'), child('Degraded', 0, 'NoImage', 'b')), true);
    // Its observed generation, its spec and its metadata (drift the Cluster puts back).
    assert.equal(rollupInputChanged.update?.(child('Ready', 1, 'AllPodsReady', '1/1'), child('Ready', 1, 'AllPodsReady', '1/1', { observedGeneration: 2 })), true);
    assert.equal(rollupInputChanged.update?.(child('Ready', 1, 'AllPodsReady', '1/1'), { ...child('Ready', 1, 'AllPodsReady', '1/1'), spec: { replicas: 2 } }), true);
  });

  it('a Cluster wakes its children\'s controllers for a spec change, not for its creation', () => {
    const cluster = (generation: number, rv: string): KubeObject => ({ kind: 'Cluster', metadata: { name: 'c', generation, resourceVersion: rv }, spec: {} });
    assert.equal(clusterSpecChanged.create?.(cluster(1, '1')), false);
    assert.equal(clusterSpecChanged.update?.(cluster(1, '1'), cluster(1, '2')), false);
    assert.equal(clusterSpecChanged.update?.(cluster(1, '2'), cluster(2, '3')), true);
  });

  it('an owned object enqueues its controller owner of the owning kind only (what owns: enqueues)', () => {
    const svc: KubeObject = {
      kind: 'Service',
      metadata: {
        name: 's',
        namespace: 'ns',
        ownerReferences: [
          { apiVersion: 'cluster.engula.io/v1alpha1', kind: 'Journal', name: 'j', uid: 'u', controller: true },
          { apiVersion: 'cluster.engula.io/v1alpha1', kind: 'Kernel', name: 'k', uid: 'v', controller: false },
        ],
      },
    };
    assert.deepEqual(ownerKeysOf(svc, engulaResources.Journal), ['ns/j']);
    assert.deepEqual(ownerKeysOf(svc, engulaResources.Kernel), []);
  });
});

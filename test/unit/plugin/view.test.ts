// The status view-model from what was read: components, pods with their revisions, the roll and
// the pod it waits for, conditions, claims and Events of the Cluster's objects only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { selectorLabels } from '../../../controllers/desired/meta.ts';
import { INSTANCE_LABEL } from '../../../plugin/read-state.ts';
import { clusterListView } from '../../../plugin/view/list.ts';
import { podStatusReason, revisionState } from '../../../plugin/view/pods.ts';
import { buildStatusView } from '../../../plugin/view/status.ts';
import { readyState, stuckState } from './fixtures/state.ts';

describe('kubectl engula status: the view-model', () => {
  it('finds pods and claims by the labels the controllers put on them', () => {
    assert.equal(selectorLabels('demo-journal', 'journal')[INSTANCE_LABEL], 'demo-journal');
  });

  it('a Ready Cluster: every component whole, no roll, all pods on the update revision, its own claims and events', () => {
    const v = buildStatusView(readyState());
    assert.deepEqual(v.cluster, {
      namespace: 'apps', name: 'demo', engulaName: 'demo', image: 'engula:0.9', phase: 'Ready', readySummary: '4/4', generation: 1, observedGeneration: 1,
      paused: false, hibernate: false, createdAt: '2025-06-01T11:45:00.000Z',
    });
    assert.deepEqual(v.components.map((c) => [c.component, c.child, c.ready, c.desired, c.updated, c.phase]), [
      ['journal', 'demo-journal', 3, 3, 3, 'Ready'],
      ['storage', 'demo-storage', 1, 1, 1, 'Ready'],
      ['kernel', 'demo-kernel', 1, 1, 1, 'Ready'],
      ['engine', 'demo-engine', 2, 2, 2, 'Ready'],
    ]);
    assert.deepEqual(v.rollout, { inProgress: false, steps: [] });
    assert.deepEqual(v.pods.map((p) => p.name), ['demo-journal-0', 'demo-journal-1', 'demo-journal-2', 'demo-storage-0', 'demo-kernel-0', 'demo-engine-0', 'demo-engine-1']);
    assert.ok(v.pods.every((p) => p.revisionState === 'update' && p.ready && p.status === 'Running' && p.node?.startsWith('kwok-node-')));
    assert.deepEqual(v.claims.map((c) => [c.name, c.pod, c.status, c.capacity]), [0, 1, 2].map((i) => [`data-demo-journal-${i}`, `demo-journal-${i}`, 'Bound', '1Gi']));
    assert.deepEqual(v.events.map((e) => e.object), ['cluster/demo', 'statefulset/demo-journal'], 'oldest first; another pod\'s Event left out');
    assert.equal(v.conditions.length, 3 + 4 * 3);
    assert.ok(v.conditions.every((c) => c.expected));
  });

  it('mid-roll: the stuck component, its partition and revisions, and the pod it waits for with why', () => {
    const v = buildStatusView(stuckState());
    assert.equal(v.rollout.inProgress, true);
    assert.equal(v.rollout.steps.length, 1);
    const step = v.rollout.steps[0]!;
    assert.deepEqual([step.component, step.state, step.updated, step.replicas, step.partition, step.currentRevision, step.updateRevision], ['journal', 'Stuck', 1, 3, 2, 'demo-journal-aaa111', 'demo-journal-bbb222']);
    assert.match(step.message, /^The roll stopped: pod demo-journal-2 is Pending and unschedulable/);
    assert.deepEqual(step.waitingFor, { pod: 'demo-journal-2', status: 'Pending', reason: "PodScheduled False, Unschedulable: 0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector." });
    const journalPods = v.pods.filter((p) => p.component === 'journal').map((p) => [p.name, p.revisionState, p.ready]);
    assert.deepEqual(journalPods, [['demo-journal-0', 'current', true], ['demo-journal-1', 'current', true], ['demo-journal-2', 'update', false]]);
    const unexpected = v.conditions.filter((c) => !c.expected).map((c) => `${c.object} ${c.type} ${c.status} ${c.reason}`);
    assert.deepEqual(unexpected, [
      'cluster/demo Ready False ComponentsNotReady',
      'cluster/demo Degraded True ComponentsDegraded',
      'journal/demo-journal Ready False RolloutStuck',
      'journal/demo-journal Progressing True RollingUpdate',
      'journal/demo-journal Degraded True RolloutStuck',
    ]);
    assert.deepEqual(v.events.slice(-2).map((e) => `${e.type} ${e.reason} ${e.object}`), ['Warning FailedScheduling pod/demo-journal-2', 'Warning RolloutStuck journal/demo-journal']);
  });

  it('a rolling step waits for the highest pod at or above the partition that is missing, old or not Ready', () => {
    const s = stuckState();
    const journal = s.children.journal!;
    journal.status!.conditions = journal.status!.conditions!.filter((c) => c.type !== 'Degraded');
    s.pods = s.pods.filter((p) => p.metadata?.name !== 'demo-journal-2');
    const step = buildStatusView(s).rollout.steps[0]!;
    assert.equal(step.state, 'Rolling');
    assert.equal(step.message, 'Rolling demo-journal: waiting for pod demo-journal-2 to be Ready and the component whole');
    assert.deepEqual(step.waitingFor, { pod: 'demo-journal-2', status: 'Missing', reason: 'not there: the StatefulSet controller makes it anew' });
  });

  it('a component waiting its turn, and a change held back (UpdatePending) that is no roll', () => {
    const s = readyState();
    s.children.storage!.status!.conditions = [{ type: 'Progressing', status: 'True', reason: 'RolloutWaiting', message: 'Waiting for journal (demo-journal) to finish rolling before rolling demo-storage', lastTransitionTime: '2025-06-01T11:59:00Z' }];
    s.children.engine!.status!.conditions!.push({ type: 'UpdatePending', status: 'True', reason: 'OperatorTemplateChanged', message: 'held', lastTransitionTime: '2025-06-01T11:59:00Z' });
    const v = buildStatusView(s);
    assert.deepEqual(v.rollout.steps.map((x) => [x.component, x.state, x.waitingFor]), [['storage', 'Waiting', undefined], ['engine', 'UpdatePending', undefined]]);
    assert.equal(v.rollout.inProgress, true);
    s.children.storage!.status!.conditions = [];
    assert.equal(buildStatusView(s).rollout.inProgress, false, 'a held change alone is no roll in progress');
  });

  it("what the user may not read is said, and the rest stands", () => {
    const s = readyState();
    s.events = [];
    delete s.children.kernel;
    s.unreadChildren = ['kernel'];
    delete s.children.engine;
    s.unread = ['list events: events is forbidden', 'get kernels.cluster.engula.io: forbidden'];
    const v = buildStatusView(s);
    assert.deepEqual(v.unread, ['get kernels.cluster.engula.io: forbidden', 'list events: events is forbidden'], 'in a stable order');
    assert.deepEqual(v.components.map((c) => c.childState), ['found', 'found', 'unread', 'missing']);
    s.statefulSets = s.statefulSets.filter((x) => x.metadata?.name !== 'demo-kernel');
    const kernel = buildStatusView(s).components[2]!;
    assert.deepEqual([kernel.phase, kernel.ready, kernel.desired], ['Ready', 1, 1], "an unread child's phase and ready count come from the Cluster's summary");
  });

  it("pods' STATUS as kubectl prints it, and revisions against the StatefulSet", () => {
    const pod = (status: V1Pod['status'], deleting = false): V1Pod => ({ metadata: { name: 'p', ...(deleting ? { deletionTimestamp: new Date() } : {}) }, spec: { containers: [{ name: 'c' }] }, status });
    assert.equal(podStatusReason(pod({ phase: 'Running', containerStatuses: [{ name: 'c', ready: false, restartCount: 4, image: '', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } } }] })), 'CrashLoopBackOff');
    assert.equal(podStatusReason(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i', ready: false, restartCount: 0, image: '', imageID: '', state: { running: {} } }] })), 'Init:0/1');
    assert.equal(podStatusReason(pod({ phase: 'Running' }, true)), 'Terminating');
    assert.equal(podStatusReason(pod({ phase: 'Failed', reason: 'Evicted' })), 'Evicted');
    const sts = { status: { replicas: 1, currentRevision: 's-old', updateRevision: 's-new' } };
    assert.deepEqual(['s-new', 's-old', 's-other', undefined].map((r) => revisionState(r, sts)), ['update', 'current', 'other', 'unknown']);
  });

  it('without a name: one row per Cluster from its own status', () => {
    const a = readyState().cluster;
    const b = structuredClone(stuckState().cluster);
    b.metadata!.namespace = 'aaa';
    b.metadata!.name = 'zeta';
    const v = clusterListView([a, b]);
    assert.deepEqual(v.items.map((i) => [i.namespace, i.name, i.phase, i.readySummary, i.components.journal]), [
      ['aaa', 'zeta', 'Degraded', '3/4', { ready: 3, desired: 3, phase: 'Ready' }],
      ['apps', 'demo', 'Ready', '4/4', { ready: 3, desired: 3, phase: 'Ready' }],
    ]);
  });
});

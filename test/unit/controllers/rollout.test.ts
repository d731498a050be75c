// The roll planner (issue 21): one pod at a time from the highest ordinal by stepping the
// partition, each step once the component is whole; held while an earlier component rolls; an
// operator-side template change held back (UpdatePending) until the spec changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashOf, planRollout, SPEC_HASH_ANNOTATION, stuckReason, TEMPLATE_HASH_ANNOTATION, type LiveStatefulSet } from '../../../controllers/desired/index.ts';

const OLD = { spec: { containers: [{ image: 'a:1' }] } };
const NEW = { spec: { containers: [{ image: 'a:2' }] } };

function live(over: Partial<LiveStatefulSet['status']> = {}, partition = 0, template: unknown = OLD, specHash = 's1'): LiveStatefulSet {
  return {
    generation: 2,
    replicas: 3,
    partition,
    annotations: { [TEMPLATE_HASH_ANNOTATION]: hashOf(template), [SPEC_HASH_ANNOTATION]: specHash },
    template,
    status: { observedGeneration: 2, replicas: 3, readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3, currentRevision: 'r1', updateRevision: 'r1', ...over },
  };
}
const turn = { ok: true } as const;

describe('planRollout', () => {
  it('nothing changed: partition 0, nothing rolls', () => {
    assert.deepEqual(planRollout({ name: 'j', templateHash: hashOf(OLD), specHash: 's1', live: live(), turn, rollOperatorChanges: false }), { write: 'desired', partition: 0, state: 'Idle', message: 'Every pod runs the current template' });
  });

  it('a spec change starts at the highest ordinal', () => {
    const plan = planRollout({ name: 'j', templateHash: hashOf(NEW), specHash: 's2', live: live(), turn, rollOperatorChanges: false });
    assert.deepEqual([plan.write, plan.state, plan.write === 'desired' ? plan.partition : -1], ['desired', 'Rolling', 2]);
  });

  it('steps down only once the step is done and the component whole (available for minReadySeconds)', () => {
    const applied = (over: Partial<LiveStatefulSet['status']>, partition: number) => live({ updateRevision: 'r2', ...over }, partition, NEW, 's2');
    const step = (l: LiveStatefulSet) => planRollout({ name: 'j', templateHash: hashOf(NEW), specHash: 's2', live: l, turn, rollOperatorChanges: false });
    assert.equal((step(applied({ updatedReplicas: 0, readyReplicas: 2, availableReplicas: 2 }, 2)) as { partition: number }).partition, 2, 'the new pod is not up yet');
    assert.equal((step(applied({ updatedReplicas: 1, readyReplicas: 3, availableReplicas: 2 }, 2)) as { partition: number }).partition, 2, 'Ready but not yet available');
    assert.equal((step(applied({ updatedReplicas: 1 }, 2)) as { partition: number }).partition, 1);
    assert.equal((step(applied({ updatedReplicas: 2 }, 1)) as { partition: number }).partition, 0);
    assert.equal((step(applied({ updatedReplicas: 3, currentRevision: 'r2' }, 0)) as { partition: number; state: string }).state, 'Idle');
  });

  it('held while an earlier component rolls: the new template is written with every pod held back', () => {
    const plan = planRollout({ name: 'k', templateHash: hashOf(NEW), specHash: 's2', live: live(), turn: { ok: false, waitingFor: 'journal' }, rollOperatorChanges: false });
    assert.deepEqual([plan.state, plan.write === 'desired' ? plan.partition : -1], ['Waiting', 3]);
  });

  it('an operator-side template change (same spec) is held back: UpdatePending; rolled with --roll-operator-changes or a spec change', () => {
    assert.equal(planRollout({ name: 'j', templateHash: hashOf(NEW), specHash: 's1', live: live(), turn, rollOperatorChanges: false }).state, 'UpdatePending');
    assert.equal(planRollout({ name: 'j', templateHash: hashOf(NEW), specHash: 's1', live: live(), turn, rollOperatorChanges: true }).state, 'Rolling');
    const old = live();
    delete old.annotations[SPEC_HASH_ANNOTATION];
    delete old.annotations[TEMPLATE_HASH_ANNOTATION];
    assert.equal(planRollout({ name: 'j', templateHash: hashOf(NEW), specHash: 's1', live: old, turn, rollOperatorChanges: false }).state, 'UpdatePending', "a StatefulSet of an older operator version: held, never rolled by the upgrade");
  });
});

describe('stuckReason', () => {
  const now = new Date('2026-01-01T01:00:00Z');
  it('Pending and unschedulable; crash-looping; not Ready after the deadline; nothing while it may still come up', () => {
    const pod = (status: unknown, created = '2026-01-01T00:59:00Z') => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'j-2', creationTimestamp: created }, status });
    assert.equal(stuckReason(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] }), now)?.reason, 'Unschedulable');
    assert.equal(stuckReason(pod({ phase: 'Running', containerStatuses: [{ state: { waiting: { reason: 'CrashLoopBackOff' } } }] }), now)?.reason, 'CrashLoopBackOff');
    assert.equal(stuckReason(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] }, '2026-01-01T00:30:00Z'), now)?.reason, 'NotReady');
    assert.equal(stuckReason(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] }), now), undefined);
  });
});

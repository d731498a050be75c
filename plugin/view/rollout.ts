// The roll in progress, component by component, and what each step waits for. The operator says
// what it does through the child's conditions (reasons from controllers/desired/status.ts) and
// status.rollout; the pods say which one the step is waiting for, and why. Pure.
import type { ChildObject } from '../../api/v1alpha1/types.generated.ts';
import { REASONS } from '../../controllers/desired/status.ts';
import type { ComponentView, PodView, RollStepState, RolloutStep, RolloutView } from './types.ts';

function conditionOf(child: ChildObject | undefined, type: string): { status: string; reason?: string; message?: string } | undefined {
  return child?.status?.conditions?.find((c) => c.type === type);
}

/** What the operator says the component's roll is doing, if anything. */
function stateOf(c: ComponentView, child: ChildObject | undefined): { state: RollStepState; message: string } | undefined {
  const degraded = conditionOf(child, 'Degraded');
  const progressing = conditionOf(child, 'Progressing');
  const pending = conditionOf(child, REASONS.updatePending);
  if (degraded?.status === 'True' && degraded.reason === REASONS.rolloutStuck) return { state: 'Stuck', message: degraded.message ?? '' };
  if (progressing?.status === 'True' && progressing.reason === REASONS.rollingUpdate) return { state: 'Rolling', message: c.rollout ?? progressing.message ?? '' };
  if (progressing?.status === 'True' && progressing.reason === REASONS.rolloutWaiting) return { state: 'Waiting', message: c.rollout ?? progressing.message ?? '' };
  if (pending?.status === 'True') return { state: 'UpdatePending', message: pending.message ?? c.rollout ?? '' };
  // The StatefulSet is between revisions though no condition says so (a paused Cluster, a status
  // not written yet): a roll all the same.
  if (c.updateRevision && c.currentRevision && c.updateRevision !== c.currentRevision && c.updated < c.replicas) {
    return { state: 'Rolling', message: `${c.updated}/${c.replicas} pods run the update revision` };
  }
  return undefined;
}

/** The revision without its `<statefulset>-` prefix: the hash people compare. */
export function shortRevision(revision: string | undefined, child: string): string | undefined {
  if (revision === undefined) return undefined;
  return revision.startsWith(`${child}-`) ? revision.slice(child.length + 1) : revision;
}

/**
 * The pod a rolling step waits for: from the highest ordinal down to the partition, the first that
 * is missing, not yet on the update revision, or not Ready.
 */
function waitingFor(c: ComponentView, pods: PodView[], statefulSetReplicas: number): RolloutStep['waitingFor'] {
  for (let ordinal = statefulSetReplicas - 1; ordinal >= (c.partition ?? 0); ordinal--) {
    const name = `${c.child}-${ordinal}`;
    const pod = pods.find((p) => p.ordinal === ordinal);
    if (!pod) return { pod: name, status: 'Missing', reason: 'not there: the StatefulSet controller makes it anew' };
    if (pod.revisionState !== 'update') {
      return { pod: name, status: pod.status, reason: `runs revision ${shortRevision(pod.revision, c.child) ?? 'unknown'}, not yet the update revision ${shortRevision(c.updateRevision, c.child) ?? ''}`.trim() };
    }
    if (!pod.ready) return { pod: name, status: pod.status, ...(pod.notReadyBecause ? { reason: pod.notReadyBecause } : {}) };
  }
  return undefined;
}

export function rolloutStep(c: ComponentView, child: ChildObject | undefined, pods: PodView[], statefulSetReplicas: number | undefined): RolloutStep | undefined {
  const said = stateOf(c, child);
  if (!said) return undefined;
  const rolling = said.state === 'Rolling' || said.state === 'Stuck';
  const pod = rolling ? waitingFor(c, pods, statefulSetReplicas ?? c.replicas) : undefined;
  return {
    component: c.component,
    child: c.child,
    state: said.state,
    message: said.message,
    updated: c.updated,
    replicas: c.replicas,
    ...(c.currentRevision ? { currentRevision: c.currentRevision } : {}),
    ...(c.updateRevision ? { updateRevision: c.updateRevision } : {}),
    ...(c.partition !== undefined ? { partition: c.partition } : {}),
    ...(pod ? { waitingFor: pod } : {}),
  };
}

export function rolloutView(steps: Array<RolloutStep | undefined>): RolloutView {
  const present = steps.filter((s): s is RolloutStep => s !== undefined);
  return { inProgress: present.some((s) => s.state !== 'UpdatePending'), steps: present };
}

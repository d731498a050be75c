// How a change to a component's pod template reaches its pods: one pod at a time, highest ordinal
// first, by stepping the StatefulSet's rollingUpdate.partition, each step only once the component
// is whole again (every pod Ready, and available for minReadySeconds); a component only in its turn
// (the ones before it in the traits table's rollOrder settled); and a change that does not come
// from the spec (a new operator version) held back until the user asks. Pure: the reconciler reads
// the world, this decides, the reconciler writes.
//
// What the operator last applied lives on the StatefulSet itself (two annotations), so a new
// leader continues a roll from the partition it finds, and replaces no pod twice.
import { createHash } from 'node:crypto';
import type { ChildObject } from '../../api/v1alpha1/index.ts';
import { stableStringify, type KubeObject } from '../../runtime/index.ts';

/** The hash of the pod template the operator last applied to the StatefulSet. */
export const TEMPLATE_HASH_ANNOTATION = 'cluster.engula.io/template-hash';
/** The hash of the child's spec (all but replicas) that template was built from. */
export const SPEC_HASH_ANNOTATION = 'cluster.engula.io/spec-hash';
/** A pod of a roll step not Ready after this long stops the roll. */
const ROLL_STEP_DEADLINE_MS = 10 * 60_000;

export function hashOf(value: unknown): string {
  // An absent value hashes as the empty text: no JSON text is empty, so it differs from every value.
  return createHash('sha256').update(stableStringify(value) ?? '').digest('hex').slice(0, 16);
}

/** What of the child's spec its pod template is made of: everything but the replica count (a scale is not a roll). */
export function specHashOf(child: ChildObject): string {
  const { replicas: _replicas, hibernate: _hibernate, ...rest } = child.spec;
  return hashOf(rest);
}

export interface LiveStatefulSet {
  generation: number;
  replicas: number;
  partition: number;
  annotations: Record<string, string>;
  template: unknown;
  status: { observedGeneration: number; replicas: number; readyReplicas: number; availableReplicas: number; updatedReplicas: number; currentRevision?: string; updateRevision?: string };
}

export function liveStatefulSetOf(sts: KubeObject): LiveStatefulSet {
  const spec = (sts.spec ?? {}) as { replicas?: number; template?: unknown; updateStrategy?: { rollingUpdate?: { partition?: number } } };
  const status = (sts.status ?? {}) as Partial<LiveStatefulSet['status']>;
  return {
    generation: sts.metadata.generation ?? 0,
    replicas: spec.replicas ?? 0,
    partition: spec.updateStrategy?.rollingUpdate?.partition ?? 0,
    annotations: sts.metadata.annotations ?? {},
    template: spec.template,
    status: {
      observedGeneration: status.observedGeneration ?? 0,
      replicas: status.replicas ?? 0,
      readyReplicas: status.readyReplicas ?? 0,
      availableReplicas: status.availableReplicas ?? status.readyReplicas ?? 0,
      updatedReplicas: status.updatedReplicas ?? 0,
      ...(status.currentRevision ? { currentRevision: status.currentRevision } : {}),
      ...(status.updateRevision ? { updateRevision: status.updateRevision } : {}),
    },
  };
}

/** Every pod exists, runs the update revision and is Ready: nothing is rolling. */
export function settled(live: LiveStatefulSet): boolean {
  const s = live.status;
  return (
    s.observedGeneration >= live.generation &&
    s.replicas === live.replicas &&
    s.readyReplicas >= live.replicas &&
    s.updatedReplicas >= live.replicas &&
    (s.currentRevision === undefined || s.currentRevision === s.updateRevision)
  );
}

/** A roll under way: pods on two revisions, or a partition not yet stepped down to 0 (pods missing or not Ready alone are no roll). */
export function inRoll(live: LiveStatefulSet): boolean {
  const s = live.status;
  return live.partition > 0 || (s.currentRevision !== undefined && s.updateRevision !== undefined && s.currentRevision !== s.updateRevision);
}

/** Every pod there and available (Ready for minReadySeconds): the component is whole. */
function whole(live: LiveStatefulSet): boolean {
  const s = live.status;
  return s.observedGeneration >= live.generation && s.replicas === live.replicas && s.readyReplicas >= live.replicas && s.availableReplicas >= live.replicas;
}

export type RolloutState = 'Idle' | 'Rolling' | 'Waiting' | 'UpdatePending';

export type RolloutPlan =
  /** Apply the desired StatefulSet with this partition (and the hashes). */
  | { write: 'desired'; partition: number; state: Exclude<RolloutState, 'UpdatePending'>; message: string; step?: { pod: string } }
  /** Keep the live template: only the replica count may be written. */
  | { write: 'replicas'; state: 'UpdatePending'; message: string };

interface RolloutInput {
  name: string;
  /** hashOf the pod template the builders make now (what the pods should run). */
  templateHash: string;
  specHash: string;
  live: LiveStatefulSet | undefined;
  /** Whether every component before this one in the roll order has settled; else what it waits for. */
  turn: { ok: true } | { ok: false; waitingFor: string };
  /** --roll-operator-changes: a template change from the operator's side rolls like a spec change. */
  rollOperatorChanges: boolean;
  /**
   * Read only when the component is not whole: whether the pod of the current step is Ready, and
   * whether the pod the next step would replace is. A pod that is not Ready is down already, so
   * replacing it takes nothing down: a component that was broken before the change (pods that never
   * scheduled) is repaired pod by pod instead of waiting for a wholeness it cannot reach.
   */
  pods?: { stepReady: boolean; nextReady: boolean };
}

export function planRollout(input: RolloutInput): RolloutPlan {
  const { live } = input;
  if (!live) return { write: 'desired', partition: 0, state: 'Idle', message: 'Created' };
  const { templateHash } = input;
  const applied = live.annotations[TEMPLATE_HASH_ANNOTATION];
  const changed = applied !== templateHash;
  const specChanged = live.annotations[SPEC_HASH_ANNOTATION] !== undefined && live.annotations[SPEC_HASH_ANNOTATION] !== input.specHash;
  if (changed && !specChanged && !input.rollOperatorChanges) {
    return {
      write: 'replicas',
      state: 'UpdatePending',
      message:
        `The operator's pod template for ${input.name} changed (not the spec): no pod is replaced until the spec changes next, ` +
        'spec.restartedAt is set (a restart), or the operator runs with --roll-operator-changes',
    };
  }
  const rolling = changed || inRoll(live);
  if (!rolling) return { write: 'desired', partition: 0, state: 'Idle', message: 'Every pod runs the current template' };
  const top = Math.max(0, live.replicas - 1);
  if (!input.turn.ok) {
    // A new template is written held (no pod takes it) so a scale-up already makes new pods from it.
    return { write: 'desired', partition: changed ? live.replicas : live.partition, state: 'Waiting', message: `Waiting for ${input.turn.waitingFor} before rolling ${input.name}` };
  }
  if (changed) return { write: 'desired', partition: top, state: 'Rolling', message: `Rolling ${input.name}: replacing pod ${input.name}-${top}`, step: { pod: `${input.name}-${top}` } };
  const partition = Math.min(live.partition, live.replicas);
  const stepDone = live.status.updatedReplicas >= live.replicas - partition;
  const mayStep = whole(live) || (input.pods !== undefined && input.pods.stepReady && !input.pods.nextReady);
  if (stepDone && mayStep && partition > 0) {
    return { write: 'desired', partition: partition - 1, state: 'Rolling', message: `Rolling ${input.name}: replacing pod ${input.name}-${partition - 1}`, step: { pod: `${input.name}-${partition - 1}` } };
  }
  const pod = `${input.name}-${Math.min(partition, top)}`;
  return { write: 'desired', partition, state: 'Rolling', message: `Rolling ${input.name}: waiting for pod ${pod} to be Ready and the component whole`, step: { pod } };
}

/** Whether a pod is Ready now. */
export function podReady(pod: KubeObject | undefined): boolean {
  return ((pod?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Whether a component is whole: what a roll step waits for, unless the pods say otherwise. */
export function isWhole(live: LiveStatefulSet): boolean {
  return whole(live);
}

/** Why the pod of a roll step is stuck, or undefined while it may still come up. */
export function stuckReason(pod: KubeObject | undefined, now: Date, deadlineMs = ROLL_STEP_DEADLINE_MS): { reason: string; message: string } | undefined {
  if (!pod) return undefined;
  const status = (pod.status ?? {}) as {
    phase?: string;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    containerStatuses?: Array<{ ready?: boolean; state?: { waiting?: { reason?: string; message?: string } } }>;
  };
  const name = pod.metadata.name ?? '';
  const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled');
  if (status.phase === 'Pending' && scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return { reason: 'Unschedulable', message: `pod ${name} is Pending and unschedulable: ${scheduled.message ?? ''}`.trim() };
  }
  for (const c of status.containerStatuses ?? []) {
    const waiting = c.state?.waiting?.reason;
    if (waiting === 'CrashLoopBackOff' || waiting === 'ImagePullBackOff' || waiting === 'ErrImagePull' || waiting === 'CreateContainerConfigError') {
      return { reason: waiting, message: `pod ${name} is in ${waiting}: ${c.state?.waiting?.message ?? ''}`.trim() };
    }
  }
  const ready = status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const created = pod.metadata.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : now.getTime();
  if (!ready && now.getTime() - created > deadlineMs) {
    return { reason: 'NotReady', message: `pod ${name} is not Ready ${Math.round((now.getTime() - created) / 60_000)} minutes after it was made` };
  }
  return undefined;
}

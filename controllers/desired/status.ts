// Status as pure functions: a child's from its StatefulSet, a Cluster's from its children.
// Conditions keep their lastTransitionTime while their status holds, so recomputing an unchanged
// status gives an identical object and the reconciler writes nothing.
import { COMPONENTS, type ChildObject, type ChildStatus, type Cluster, type ClusterStatus, type ComponentName, type ComponentSummary, type Condition, type Phase } from '../../api/v1alpha1/index.ts';
import type { KubeObject } from '../../runtime/index.ts';
import type { RolloutState } from './rollout.ts';

export const REASONS = {
  waitingForDependencies: 'WaitingForDependencies',
  creating: 'Creating',
  scaling: 'Scaling',
  rollingUpdate: 'RollingUpdate',
  podsStarting: 'PodsStarting',
  podsNotReady: 'PodsNotReady',
  /** The StatefulSet controller's Event reason when the API server refuses a pod (Pod Security, ResourceQuota, LimitRange). */
  failedCreate: 'FailedCreate',
  /** A roll step's pod does not come up (Pending and unschedulable, crash-looping, not Ready after a deadline): the roll stops. */
  rolloutStuck: 'RolloutStuck',
  /** A template change from the operator's side waits for the user. */
  updatePending: 'UpdatePending',
  /** A template change waits for the components before this one to finish rolling. */
  rolloutWaiting: 'RolloutWaiting',
  hibernated: 'Hibernated',
  /** An object of a name the operator would write is somebody else's: it is left alone. */
  nameTaken: 'NameTaken',
  allPodsReady: 'AllPodsReady',
  stable: 'Stable',
  paused: 'Paused',
  asExpected: 'AsExpected',
  allComponentsReady: 'AllComponentsReady',
  componentsNotReady: 'ComponentsNotReady',
  componentsProgressing: 'ComponentsProgressing',
  componentsDegraded: 'ComponentsDegraded',
} as const;

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/** The next conditions: a condition keeps its lastTransitionTime unless its status changed. */
function mergeConditions(previous: Condition[] | undefined, next: ConditionInput[], generation: number | undefined, now: string): Condition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    return {
      type: c.type,
      status: c.status,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now,
      reason: c.reason,
      message: c.message,
    };
  });
}

export function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

interface ChildSituation {
  /** Components (with the child that runs each) this child waits for before its StatefulSet is created. */
  waitingFor: Array<{ component: ComponentName; name: string }>;
  paused: boolean;
  /** A problem the operator cannot fix by retrying (e.g. no image anywhere). */
  problem?: { reason: string; message: string };
  /** The pod selector, reported for the scale subresource. */
  selector: Record<string, string>;
  now: string;
  /** Conditions beyond Ready/Progressing/Degraded (MonitoringAvailable), appended as given. */
  extraConditions?: ConditionInput[];
  /** Why the cluster refused the StatefulSet's latest pod create (its FailedCreate Event), while pods are missing. */
  podsRefused?: string;
  /** The roll of a pod template change (statefulset-step.ts), and replicas held back from the spec's. */
  rollout?: { state: RolloutState; message: string; stuck?: { reason: string; message: string }; holding?: string };
}

interface StatefulSetLike {
  metadata: { generation?: number };
  spec?: { replicas?: number };
  status?: { observedGeneration?: number; replicas?: number; readyReplicas?: number; updatedReplicas?: number; currentRevision?: string; updateRevision?: string };
}

function asStatefulSet(obj: KubeObject): StatefulSetLike {
  return obj as StatefulSetLike;
}

function conditions(ready: [boolean, string, string], progressing: [boolean, string, string], degraded: [boolean, string, string]): ConditionInput[] {
  const c = (type: string, [on, reason, message]: [boolean, string, string]): ConditionInput => ({ type, status: on ? 'True' : 'False', reason, message });
  return [c('Ready', ready), c('Progressing', progressing), c('Degraded', degraded)];
}

export function childStatusFrom(child: ChildObject, sts: KubeObject | undefined, situation: ChildSituation): ChildStatus {
  const hibernating = child.spec.hibernate === true;
  const desired = hibernating ? 0 : child.spec.replicas;
  const s = sts ? asStatefulSet(sts) : undefined;
  const replicas = s?.status?.replicas ?? 0;
  const ready = s?.status?.readyReplicas ?? 0;
  const updated = s?.status?.updatedReplicas ?? 0;
  let phase: Phase;
  let conds: ConditionInput[];
  const fine: [boolean, string, string] = [false, REASONS.asExpected, 'No problem seen'];
  if (situation.problem) {
    const { reason, message } = situation.problem;
    phase = 'Degraded';
    conds = conditions([false, reason, message], [false, reason, message], [true, reason, message]);
  } else if (!s) {
    if (situation.waitingFor.length > 0) {
      const list = situation.waitingFor.map((w) => `${w.component} (${w.name})`).join(', ');
      const message = `Waiting for a ready pod of ${list} before creating the StatefulSet`;
      conds = conditions([false, REASONS.waitingForDependencies, message], [true, REASONS.waitingForDependencies, message], fine);
    } else {
      const message = 'The StatefulSet is being created';
      conds = conditions([false, REASONS.creating, message], [true, REASONS.creating, message], fine);
    }
    phase = 'Pending';
  } else {
    const current = (s.status?.observedGeneration ?? 0) >= (s.metadata.generation ?? 0) && s.spec?.replicas === desired;
    const counts = `${ready}/${desired} pods ready`;
    const rollout = situation.rollout;
    if (hibernating && current && replicas === 0) {
      phase = 'Hibernated';
      const message = 'spec.hibernate is true: no pods, every claim kept';
      conds = conditions([false, REASONS.hibernated, message], [false, REASONS.hibernated, message], fine);
    } else if (rollout?.stuck) {
      // The roll stopped on one pod; nothing else of this component rolls until the spec is fixed or reverted.
      phase = 'Degraded';
      const message = `The roll stopped: ${rollout.stuck.message}; fix or revert the change and it continues from there`;
      conds = conditions([false, REASONS.rolloutStuck, `${counts}; ${message}`], [true, REASONS.rollingUpdate, rollout.message], [true, REASONS.rolloutStuck, message]);
    } else if (rollout?.holding && (s.status?.observedGeneration ?? 0) >= (s.metadata.generation ?? 0)) {
      phase = 'Progressing';
      const message = `${counts}, ${replicas} exist; ${rollout.holding}`;
      conds = conditions([false, REASONS.scaling, message], [true, REASONS.scaling, message], fine);
    } else if (current && replicas === desired && updated >= desired && ready >= desired) {
      phase = 'Ready';
      conds = conditions([true, REASONS.allPodsReady, counts], [false, REASONS.stable, 'The StatefulSet matches the spec'], fine);
    } else if (rollout?.state === 'Waiting' || rollout?.state === 'Rolling') {
      phase = ready === 0 && desired > 0 ? 'Pending' : 'Progressing';
      const message = `${counts}, ${updated} updated; ${rollout.message}`;
      const reason = rollout.state === 'Waiting' ? REASONS.rolloutWaiting : REASONS.rollingUpdate;
      conds = conditions([false, reason, message], [true, reason, message], fine);
    } else {
      const previously = child.status?.phase;
      const settled = current && replicas === desired && updated >= desired;
      if (situation.podsRefused !== undefined && replicas < desired) {
        // A bare 0/N says nothing; the cluster's refusal says what to fix.
        phase = 'Degraded';
        const message = `${counts}: the cluster refuses the pods: ${situation.podsRefused}`;
        conds = conditions([false, REASONS.failedCreate, message], [true, REASONS.scaling, message], [true, REASONS.failedCreate, message]);
      } else if (settled && (previously === 'Ready' || previously === 'Degraded')) {
        // Nothing is being changed, yet pods that were ready are not: something broke.
        phase = 'Degraded';
        const message = `${counts}; pods that were ready are not`;
        conds = conditions([false, REASONS.podsNotReady, message], [false, REASONS.stable, 'The StatefulSet matches the spec'], [true, REASONS.podsNotReady, message]);
      } else {
        const reason = !current || replicas !== desired ? REASONS.scaling : updated < desired ? REASONS.rollingUpdate : REASONS.podsStarting;
        const message = `${counts}, ${updated} updated, ${replicas} exist`;
        phase = ready === 0 && desired > 0 ? 'Pending' : 'Progressing';
        conds = conditions([false, reason, message], [true, reason, message], fine);
      }
    }
  }
  if (situation.paused) phase = 'Paused';
  return {
    ...(child.metadata?.generation !== undefined ? { observedGeneration: child.metadata.generation } : {}),
    replicas,
    readyReplicas: ready,
    updatedReplicas: updated,
    ...(s?.status?.currentRevision ? { currentRevision: s.status.currentRevision } : {}),
    ...(s?.status?.updateRevision ? { updateRevision: s.status.updateRevision } : {}),
    ...(situation.rollout && situation.rollout.state !== 'Idle' ? { rollout: situation.rollout.message } : {}),
    selector: selectorString(situation.selector),
    phase,
    conditions: mergeConditions(child.status?.conditions, [...conds, ...updatePendingCondition(situation), ...(situation.extraConditions ?? [])], child.metadata?.generation, situation.now),
  };
}

/** UpdatePending, present only while the operator holds back a template change of its own. */
function updatePendingCondition(situation: ChildSituation): ConditionInput[] {
  if (situation.rollout?.state !== 'UpdatePending') return [];
  return [{ type: REASONS.updatePending, status: 'True', reason: 'OperatorTemplateChanged', message: situation.rollout.message }];
}

/** The summary of one component: the child's own phase, unless the child has not caught up with the Cluster yet. */
export function componentSummary(cluster: Cluster, component: ComponentName, child: ChildObject | undefined): ComponentSummary | undefined {
  const spec = cluster.spec[component];
  if (!spec) return undefined;
  if (!child) return { desired: spec.replicas, ready: 0, phase: 'Pending' };
  const caughtUp = child.spec.replicas === spec.replicas && child.status?.observedGeneration === child.metadata?.generation;
  const childPhase = child.status?.phase ?? 'Pending';
  return {
    ...(child.metadata?.name ? { name: child.metadata.name } : {}),
    desired: spec.replicas,
    ready: child.status?.readyReplicas ?? 0,
    // A child that has not written a status yet is Pending as it will say, not Progressing for a moment.
    phase: caughtUp || childPhase === 'Degraded' ? childPhase : child.status === undefined ? 'Pending' : 'Progressing',
  };
}

/** Steps every child passes through on its way (waiting for its dependencies, creating its
 * StatefulSet, starting pods, scaling, rolling): the Cluster names the child's phase only, and the
 * reason and counts stay on the child, so each step does not rewrite the Cluster's status as well.
 * A waiting child needs no more: under a Cluster it waits only for siblings, and the Cluster's
 * message names those that are not ready. */
const STEPS: ReadonlySet<string> = new Set([REASONS.waitingForDependencies, REASONS.creating, REASONS.scaling, REASONS.rollingUpdate, REASONS.podsStarting]);

/** What the Cluster repeats of a child that is not ready: its message, unless it is only on its way. */
function notReadyMessageOf(child: ChildObject | undefined): string | undefined {
  const ready = child?.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.reason !== undefined && STEPS.has(ready.reason) ? undefined : ready?.message;
}

/** Everything the Cluster's roll-up reads of a child's status (componentSummary and the message it
 * repeats): a status write that changes none of it cannot change the Cluster's status. */
export function rollupInputOf(child: ChildObject): unknown[] {
  const s = child.status;
  return [s === undefined, s?.observedGeneration, s?.phase, s?.readyReplicas, notReadyMessageOf(child), s?.conditions?.some((c) => c.type === REASONS.updatePending) === true];
}

/** `extraConditions` (MonitoringAvailable) are appended to Ready/Progressing/Degraded as given. */
export function aggregateClusterStatus(cluster: Cluster, children: Partial<Record<ComponentName, ChildObject>>, now: string, extraConditions: ConditionInput[] = []): ClusterStatus {
  const components: NonNullable<ClusterStatus['components']> = {};
  const present: ComponentName[] = [];
  for (const c of COMPONENTS) {
    const summary = componentSummary(cluster, c, children[c]);
    if (!summary) continue;
    components[c] = summary;
    present.push(c);
  }
  const phaseOf = (c: ComponentName): Phase => components[c]?.phase ?? 'Pending';
  // A paused child reports Paused whatever its pods do; readiness is read from its counts then.
  const isReady = (c: ComponentName): boolean => phaseOf(c) === 'Ready' || (phaseOf(c) === 'Paused' && (components[c]?.ready ?? 0) >= (components[c]?.desired ?? 0));
  const ready = present.filter(isReady);
  const degraded = present.filter((c) => phaseOf(c) === 'Degraded');
  const notReady = present.filter((c) => !isReady(c));
  const describe = (list: ComponentName[]): string =>
    list.map((c) => {
      const message = notReadyMessageOf(children[c]);
      return `${c} (${phaseOf(c)}${message ? `: ${message}` : ''})`;
    }).join('; ');
  const allReady = notReady.length === 0;
  const paused = cluster.spec.paused === true;
  const hibernated = present.length > 0 && present.every((c) => phaseOf(c) === 'Hibernated');
  let phase: Phase;
  if (paused) phase = 'Paused';
  else if (hibernated) phase = 'Hibernated';
  else if (degraded.length > 0) phase = 'Degraded';
  else if (allReady) phase = 'Ready';
  else if (present.every((c) => phaseOf(c) === 'Pending')) phase = 'Pending';
  else phase = 'Progressing';
  const conds: ConditionInput[] = [
    hibernated
      ? { type: 'Ready', status: 'False', reason: REASONS.hibernated, message: 'spec.hibernate is true: every component has no pods, every claim is kept' }
      : allReady
        ? { type: 'Ready', status: 'True', reason: REASONS.allComponentsReady, message: `${ready.length}/${present.length} components ready` }
        : { type: 'Ready', status: 'False', reason: REASONS.componentsNotReady, message: `Not ready: ${describe(notReady)}` },
    paused
      ? { type: 'Progressing', status: 'False', reason: REASONS.paused, message: 'spec.paused is true: the operator changes nothing for this cluster' }
      : notReady.length > degraded.length
        ? { type: 'Progressing', status: 'True', reason: REASONS.componentsProgressing, message: `In progress: ${describe(notReady.filter((c) => !degraded.includes(c)))}` }
        : { type: 'Progressing', status: 'False', reason: REASONS.stable, message: 'Every component matches the spec' },
    degraded.length > 0
      ? { type: 'Degraded', status: 'True', reason: REASONS.componentsDegraded, message: `Degraded: ${describe(degraded)}` }
      : { type: 'Degraded', status: 'False', reason: REASONS.asExpected, message: 'No component is degraded' },
    ...clusterUpdatePending(present, children),
  ];
  return {
    ...(cluster.metadata?.generation !== undefined ? { observedGeneration: cluster.metadata.generation } : {}),
    phase,
    readySummary: `${ready.length}/${present.length}`,
    components,
    conditions: mergeConditions(cluster.status?.conditions, [...conds, ...extraConditions], cluster.metadata?.generation, now),
  };
}

/** UpdatePending on the Cluster while any component holds back a template change of the operator's. */
function clusterUpdatePending(present: ComponentName[], children: Partial<Record<ComponentName, ChildObject>>): ConditionInput[] {
  const pending = present.filter((c) => children[c]?.status?.conditions?.some((x) => x.type === REASONS.updatePending && x.status === 'True'));
  if (pending.length === 0) return [];
  return [
    {
      type: REASONS.updatePending,
      status: 'True',
      reason: 'OperatorTemplateChanged',
      message: `The operator's pod template changed for ${pending.join(', ')} (not the spec): no pod is replaced until the spec changes next or spec.restartedAt is set`,
    },
  ];
}

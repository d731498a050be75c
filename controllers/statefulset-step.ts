// The StatefulSet of one child, one safe step at a time: the roll of a new pod template (ordered
// across the Cluster's components, partition-stepped within one), the replica count (journal and
// storage shrink one pod at a time; hibernation empties the components in reverse dependency order
// and waking refills them in bootstrap order), and a stuck step stopped and named. It reads the
// caches and, only while a roll step waits, the pod of that step; it decides with the pure planner
// in desired/rollout.ts and writes the StatefulSet.
import { COMPONENTS, STATEFUL_COMPONENTS, type ChildObject, type Cluster, type ComponentName } from '../api/v1alpha1/index.ts';
import { coreResources, type KubeObject, type ReconcileContext } from '../runtime/index.ts';
import { COMPONENT_TRAITS, ROLL_ORDER, type ComponentTraits } from './desired/traits.ts';
import type { FleetRoll } from './fleet-roll.ts';
import {
  childName, desiredChild, desiredStatefulSet, hashOf, inRoll, isWhole, liveStatefulSetOf, planRollout, podReady, settled, SPEC_HASH_ANNOTATION, specHashOf, stuckReason, TEMPLATE_HASH_ANNOTATION,
  type LiveStatefulSet, type RolloutPlan, type WorkloadInput,
} from './desired/index.ts';

export interface StepOptions {
  /** --roll-operator-changes: a template change from the operator's side rolls without being asked, Clusters one after another. */
  fleetRoll: FleetRoll | undefined;
  now: Date;
}

export interface StepResult {
  sts: KubeObject | undefined;
  created: boolean;
  plan: RolloutPlan;
  /** The pod a roll step waits on, when it is stuck: why. */
  stuck?: { reason: string; message: string };
  /** Replicas held back from the spec's count (a shrink in steps, hibernation, waking in order): why. */
  holding?: string;
  /** Under --roll-operator-changes: how long until this Cluster's turn in the fleet roll may come. */
  fleetWaitMs?: number;
}

function isStateful(component: ComponentName): boolean {
  return (STATEFUL_COMPONENTS as readonly ComponentName[]).includes(component);
}

/** The siblings under the same Cluster, by component, with their live StatefulSets. */
function siblingsOf(owner: Cluster, namespace: string, ctx: ReconcileContext): Promise<Array<{ component: ComponentName; child: ChildObject | undefined; live: LiveStatefulSet | undefined }>> {
  return Promise.all(
    COMPONENTS.filter((c) => owner.spec[c] !== undefined).map(async (component) => {
      const name = childName(owner.metadata?.name ?? '', component);
      const sts = await ctx.cache.get(coreResources.statefulSets, namespace, name);
      return { component, child: desiredChild(owner, component), live: sts ? liveStatefulSetOf(sts) : undefined };
    }),
  );
}

/** Whether a sibling is rolling, or about to (its Cluster asks for a template it does not run yet). */
function siblingRolling(sibling: { component: ComponentName; child: ChildObject | undefined; live: LiveStatefulSet | undefined }, owner: Cluster, clusterPorts: WorkloadInput['clusterPorts']): boolean {
  const { child, live } = sibling;
  if (!child || !live) return false;
  if (!settled(live)) return true;
  const image = child.spec.image ?? owner.spec.image;
  const desired = desiredStatefulSet({ child: { ...child, metadata: { ...child.metadata, uid: 'sibling' } }, traits: COMPONENT_TRAITS[sibling.component], clusterName: owner.metadata?.name, image, clusterPorts });
  const changed = live.annotations[TEMPLATE_HASH_ANNOTATION] !== hashOf((desired.spec as { template: unknown }).template);
  const specChanged = live.annotations[SPEC_HASH_ANNOTATION] !== undefined && live.annotations[SPEC_HASH_ANNOTATION] !== specHashOf(child);
  return changed && specChanged;
}

/**
 * How many pods the StatefulSet should have now. Journal and storage shrink one pod at a time, each
 * step once the rest are Ready; hibernation waits for the components after this one (in the roll
 * order) to be empty; waking waits for the dependencies to have a ready pod again.
 */
function replicasNow(traits: ComponentTraits, child: ChildObject, live: LiveStatefulSet | undefined, siblings: Array<{ component: ComponentName; live: LiveStatefulSet | undefined }>, waitingFor: string[]): { replicas: number; holding?: string } {
  const target = child.spec.hibernate === true ? 0 : child.spec.replicas;
  if (!live) return { replicas: target };
  if (child.spec.hibernate === true) {
    const later = siblings.filter((s) => ROLL_ORDER.indexOf(s.component) > ROLL_ORDER.indexOf(traits.component) && (s.live?.status.replicas ?? 0) > 0);
    if (later.length > 0) return { replicas: live.replicas, holding: `hibernating: waiting for ${later.map((s) => s.component).join(', ')} to have no pods` };
    return { replicas: 0 };
  }
  if (live.replicas === 0 && target > 0 && waitingFor.length > 0) return { replicas: 0, holding: `waking: waiting for a ready pod of ${waitingFor.join(', ')}` };
  if (target < live.replicas && isStateful(traits.component)) {
    // Pods hold data: one at a time, and only while the rest are whole.
    const whole = live.status.replicas === live.replicas && live.status.readyReplicas >= live.replicas;
    if (!whole) return { replicas: live.replicas, holding: `shrinking one pod at a time: waiting for ${live.replicas - live.status.readyReplicas} pod(s) to be Ready` };
    return { replicas: live.replicas - 1, ...(live.replicas - 1 > target ? { holding: `shrinking one pod at a time to ${target}` } : {}) };
  }
  return { replicas: target };
}

export async function stepStatefulSet(input: WorkloadInput, owner: Cluster | undefined, stsNow: KubeObject | undefined, waitingFor: string[], ctx: ReconcileContext, opts: StepOptions): Promise<StepResult> {
  const { child, traits } = input;
  const name = child.metadata?.name ?? '';
  const namespace = child.metadata?.namespace ?? '';
  const live = stsNow ? liveStatefulSetOf(stsNow) : undefined;
  const desired = desiredStatefulSet(input);
  const spec = desired.spec as { replicas: number; template: unknown; updateStrategy: Record<string, unknown> };
  const specHash = specHashOf(child);
  // The siblings matter only to a component with a roll to take (its turn) or hibernating (the
  // order of emptying): most reconciles, a Cluster's start among them, have neither.
  // Hashed once: the plan, the turn and the annotation written all use it.
  const templateHash = hashOf(spec.template);
  const rollToTake = live !== undefined && (live.annotations[TEMPLATE_HASH_ANNOTATION] !== templateHash || inRoll(live));
  const siblings = owner && (rollToTake || child.spec.hibernate === true) ? await siblingsOf(owner, namespace, ctx) : [];
  const before = owner && rollToTake ? siblings.filter((s) => ROLL_ORDER.indexOf(s.component) < ROLL_ORDER.indexOf(traits.component)) : [];
  const blocking = before.find((s) => siblingRolling(s, owner!, input.clusterPorts));
  // Not whole during a roll: the pods of this step and the next say whether stepping is safe.
  let pods: { stepReady: boolean; nextReady: boolean } | undefined;
  // Pods read this reconcile, by name: the stuck check below reads the step's pod from here when it was read already.
  const podsRead = new Map<string, KubeObject | undefined>();
  if (live) {
    const partition = Math.min(live.partition, live.replicas);
    const stepping = inRoll(live) && partition > 0 && live.status.updatedReplicas >= live.replicas - partition;
    if (stepping && !isWhole(live)) {
      const [stepPod, nextPod] = await Promise.all([
        ctx.client.get(coreResources.pods, namespace, `${name}-${partition}`, ctx.signal),
        ctx.client.get(coreResources.pods, namespace, `${name}-${partition - 1}`, ctx.signal),
      ]);
      podsRead.set(`${name}-${partition}`, stepPod);
      pods = { stepReady: podReady(stepPod), nextReady: podReady(nextPod) };
    }
  }
  const rolloutInput = {
    name,
    templateHash,
    specHash,
    live,
    turn: blocking ? { ok: false as const, waitingFor: `${blocking.component} (${childName(owner?.metadata?.name ?? '', blocking.component)}) to finish rolling` } : { ok: true as const },
    rollOperatorChanges: false,
    ...(pods ? { pods } : {}),
  };
  let plan = planRollout(rolloutInput);
  let fleetWaitMs: number | undefined;
  if (plan.state === 'UpdatePending' && opts.fleetRoll) {
    const admitted = opts.fleetRoll.admit(`${namespace}/${owner?.metadata?.name ?? name}`);
    if (admitted.ok) plan = planRollout({ ...rolloutInput, rollOperatorChanges: true });
    else fleetWaitMs = admitted.retryAfterMs;
  }
  const { replicas, holding } = replicasNow(traits, child, live, siblings, waitingFor);
  if (plan.write === 'replicas') {
    // The operator's own template change waits: only a scale goes through, on the template the pods
    // run. A StatefulSet an older operator made has no spec hash: it gets the spec's now, so that the
    // next spec change (or a restart) is seen as one and rolls.
    const unmarked = live?.annotations[SPEC_HASH_ANNOTATION] === undefined;
    if (live && (live.replicas !== replicas || unmarked)) {
      const result = await ctx.client.update(coreResources.statefulSets, namespace, name, (draft) => {
        (draft.spec as { replicas: number }).replicas = replicas;
        draft.metadata.annotations = { ...draft.metadata.annotations, [SPEC_HASH_ANNOTATION]: draft.metadata.annotations?.[SPEC_HASH_ANNOTATION] ?? specHash };
      }, ctx.signal);
      return { sts: result.obj ?? stsNow, created: false, plan, ...(holding ? { holding } : {}), ...(fleetWaitMs !== undefined ? { fleetWaitMs } : {}) };
    }
    return { sts: stsNow, created: false, plan, ...(holding ? { holding } : {}), ...(fleetWaitMs !== undefined ? { fleetWaitMs } : {}) };
  }
  spec.replicas = replicas;
  spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: plan.partition } };
  desired.metadata.annotations = { ...desired.metadata.annotations, [TEMPLATE_HASH_ANNOTATION]: templateHash, [SPEC_HASH_ANNOTATION]: specHash };
  const result = await ctx.client.apply(coreResources.statefulSets, desired, ctx.signal);
  const created = live === undefined && result.changed;
  let stuck: StepResult['stuck'];
  if (plan.state === 'Rolling' && plan.step && result.obj && !isWhole(liveStatefulSetOf(result.obj))) {
    // Only while a step waits: the pod it waits on says why (Pending, crash-looping, not Ready).
    const pod = podsRead.has(plan.step.pod) ? podsRead.get(plan.step.pod) : await ctx.client.get(coreResources.pods, namespace, plan.step.pod, ctx.signal);
    stuck = stuckReason(pod, opts.now);
  }
  return { sts: result.obj, created, plan, ...(stuck ? { stuck } : {}), ...(holding ? { holding } : {}) };
}

// One reconciler for Journal, Storage, Kernel and Engine, configured by the component's traits.
// A child object becomes ServiceAccount, headless Service, PodDisruptionBudget and StatefulSet
// (no Role: no Engula line calls the Kubernetes API, launch-profiles.ts). Its StatefulSet is created only
// once every component it depends on has a ready pod; until then the child says so in its Ready
// condition (reason WaitingForDependencies). Reads come from the cache, writes are skipped when
// the live object already matches, and a paused owner Cluster stops every write but the status.
import { COMPONENT_KINDS, COMPONENTS, type ChildObject, type Cluster, type ComponentName, type ImageSpec } from '../api/v1alpha1/index.ts';
import {
  coreResources, generationChanged, type ControllerSpec, type InformerFactory, type KubeObject, NotControlledError, type ReconcileContext, type Reconciler, type Request, type ResourceRef, type Result,
} from '../runtime/index.ts';
import { COMPONENT_TRAITS, portOf, ROLL_ORDER, type ComponentTraits } from './desired/traits.ts';
import { clusterSpecChanged, dependencyReadinessChanged, ignoreStatusOnly, siblingEmptied, siblingTurnChanged, statefulSetReadinessChanged } from './predicates.ts';
import {
  CLUSTER_LABEL, childName, childStatusFrom, desiredHeadlessService, desiredPodDisruptionBudget, desiredServiceAccount, desiredServiceMonitor, metricsOf,
  inRoll, liveStatefulSetOf, MONITORING_CONDITION, monitoringCondition, monitoringEnabled, owningClusterName, profileOf, REASONS, selectorLabels, settled, type ConditionInput, type WorkloadInput,
} from './desired/index.ts';
import { childOwnedResources, engulaResources, serviceMonitors } from './resources.ts';
import type { FleetRoll } from './fleet-roll.ts';
import { stepStatefulSet, type StepOptions, type StepResult } from './statefulset-step.ts';

interface ComponentControllerOptions {
  component: ComponentName;
  /** Used by event mapping, which must answer synchronously from the caches. */
  informers: InformerFactory;
  /** Whether ServiceMonitors are served; without it none are made (as if never served). */
  serviceMonitors?: ServedKind;
  /** --roll-operator-changes: a pod template change from the operator's side rolls without being asked, Clusters one after another. */
  fleetRoll?: FleetRoll;
  now?: () => Date;
}

/** What the reconcilers need of runtime's KindAvailability. */
export interface ServedKind {
  /** True or false once known; undefined while discovery fails. */
  whenKnown(signal?: AbortSignal): Promise<boolean | undefined>;
}

interface Dependencies {
  waitingFor: Array<{ component: ComponentName; name: string }>;
  /** The configured port of each dependency found. */
  ports: Partial<Record<ComponentName, number>>;
}

function childRef(component: ComponentName): ResourceRef {
  return engulaResources[COMPONENT_KINDS[component]];
}

/**
 * Where each dependency is and whether it has a ready pod. Under a Cluster, the Cluster's spec says
 * which components exist (a component it lists but whose child is not there yet is waited for).
 * A standalone child depends on the siblings that share its clusterName, when there are any.
 */
async function dependenciesOf(child: ChildObject, traits: ComponentTraits, owner: Cluster | undefined, clusterName: string | undefined, ctx: ReconcileContext): Promise<Dependencies> {
  const namespace = child.metadata?.namespace ?? '';
  const out: Dependencies = { waitingFor: [], ports: {} };
  for (const dep of traits.dependsOn) {
    let siblings: ChildObject[];
    if (owner) {
      const spec = owner.spec[dep];
      if (!spec) continue;
      const name = childName(owner.metadata?.name ?? '', dep);
      out.ports[dep] = portOf(dep, spec);
      const sibling = (await ctx.cache.get(childRef(dep), namespace, name)) as ChildObject | undefined;
      siblings = sibling ? [sibling] : [];
      if (!siblings.some(hasReadyPod)) out.waitingFor.push({ component: dep, name });
      continue;
    }
    if (!clusterName) continue;
    siblings = ((await ctx.cache.list(childRef(dep), namespace)) as ChildObject[]).filter((s) => s.spec.clusterName === clusterName && s.metadata?.deletionTimestamp === undefined);
    // The sibling named <clusterName>-<component> first: the one the fork's kernel dials (it finds
    // peers as <kubecluster>-journal). Then code-point order, as Go sorts names: the same first
    // sibling on every replica, whatever its locale.
    const conventional = childName(clusterName, dep);
    siblings.sort((a, b) => Number(b.metadata?.name === conventional) - Number(a.metadata?.name === conventional) || compareNames(a.metadata?.name ?? '', b.metadata?.name ?? ''));
    const first = siblings[0];
    if (!first) continue;
    out.ports[dep] = portOf(dep, first.spec);
    if (!siblings.some(hasReadyPod)) out.waitingFor.push({ component: dep, name: first.metadata?.name ?? '' });
  }
  return out;
}

/** MonitoringAvailable True in the status this operator wrote: it made the child's ServiceMonitor. */
function madeServiceMonitor(child: ChildObject): boolean {
  return child.status?.conditions?.some((c) => c.type === MONITORING_CONDITION && c.status === 'True') === true;
}

function previousMonitoringCondition(child: ChildObject): ConditionInput[] {
  return (child.status?.conditions ?? []).filter((c) => c.type === MONITORING_CONDITION).map(({ type, status, reason, message }) => ({ type, status, reason, message }));
}

/** Monitoring turned off: the ServiceMonitor goes, if it is still the one this child controls. */
async function deleteServiceMonitor(child: ChildObject, ctx: ReconcileContext): Promise<void> {
  const namespace = child.metadata?.namespace ?? '';
  const name = child.metadata?.name ?? '';
  const live = await ctx.client.get(serviceMonitors, namespace, name, ctx.signal);
  const uid = child.metadata?.uid;
  if (!live || live.metadata.deletionTimestamp || !live.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === uid)) return;
  if (await ctx.client.delete(serviceMonitors, namespace, name, { ...(live.metadata.uid ? { uid: live.metadata.uid } : {}), signal: ctx.signal })) {
    ctx.log.info({ servicemonitor: name }, 'deleted ServiceMonitor: monitoring is off');
  }
}

/**
 * The ports the cluster's components are configured with, for the launch's variables: every
 * component of the owner Cluster's spec; for a standalone child, its dependencies found.
 */
function portsOf(owner: Cluster | undefined, deps: Dependencies): Partial<Record<ComponentName, number>> {
  if (!owner) return deps.ports;
  return Object.fromEntries(COMPONENTS.flatMap((c) => (owner.spec[c] ? [[c, portOf(c, owner.spec[c])]] : [])));
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hasReadyPod(child: ChildObject): boolean {
  return (child.status?.readyReplicas ?? 0) > 0;
}

function componentReconciler(opts: ComponentControllerOptions): Reconciler {
  const traits = COMPONENT_TRAITS[opts.component];
  const ref = childRef(opts.component);
  const now = opts.now ?? (() => new Date());
  return async (req: Request, ctx: ReconcileContext): Promise<Result | void> => {
    const child = (await ctx.cache.get(ref, req.namespace, req.name)) as ChildObject | undefined;
    // Deletion is the garbage collector's job: everything below carries an owner reference.
    if (!child || child.metadata?.deletionTimestamp) return;
    const ownerName = owningClusterName(child);
    const owner = ownerName ? ((await ctx.cache.get(engulaResources.Cluster, req.namespace, ownerName)) as Cluster | undefined) : undefined;
    const clusterName = child.spec.clusterName ?? ownerName;
    const paused = owner?.spec.paused === true;
    const image: ImageSpec | undefined = child.spec.image ?? owner?.spec.image;
    const deps = await dependenciesOf(child, traits, owner, clusterName, ctx);
    let sts = await ctx.cache.get(coreResources.statefulSets, req.namespace, req.name);
    const problem = image ? undefined : { reason: 'NoImage', message: 'spec.image is not set and no owner Cluster gives one' };

    const monitoringRequested = monitoringEnabled(child);
    const served = opts.serviceMonitors ? await opts.serviceMonitors.whenKnown(ctx.signal) : false;
    // Unknown (discovery failing): neither make nor remove anything until it answers.
    // Paused: the condition stays as it was, like everything else the operator would change.
    // Scraped only where the image serves metrics (the spec's metricsPort, or the launch profile's).
    const metricsServed = metricsOf({ child, traits }) !== undefined;
    const monitoring: ConditionInput[] = paused
      ? previousMonitoringCondition(child)
      : monitoringCondition(monitoringRequested, served, { served: metricsServed, profile: profileOf(child) });

    // An object of one of our names that is somebody else's: never written, and said so.
    let inTheWay: NotControlledError | undefined;
    let step: StepResult | undefined;
    if (!paused && image) {
      try {
        step = await writeOwned({ child, traits, clusterName, image, clusterPorts: portsOf(owner, deps) }, owner, sts, deps, { requested: monitoringRequested, served, metricsServed }, ctx, {
          fleetRoll: opts.fleetRoll,
          now: now(),
        });
        // A StatefulSet just made has no status yet. Its own events (its creation, then its
        // controller's first status a moment later) wake this child again within the coalescing
        // delay, and the status written then supersedes any written now, so none is.
        if (step?.created) return;
        if (step) sts = step.sts;
        if (step?.stuck) ctx.recorder.event(child, 'Warning', REASONS.rolloutStuck, `The roll of ${req.name} stopped: ${step.stuck.message}`);
      } catch (err) {
        if (!(err instanceof NotControlledError)) throw err;
        inTheWay = err;
        ctx.recorder.event(child, 'Warning', REASONS.nameTaken, nameTakenMessage(err));
      }
    }

    const podsRefused = !paused && sts ? await podRefusal(sts, child.spec.replicas, now(), ctx) : undefined;
    if (podsRefused !== undefined) ctx.recorder.event(child, 'Warning', REASONS.failedCreate, `StatefulSet ${req.name}: ${podsRefused}`);
    const blocked = problem ?? (inTheWay ? { reason: REASONS.nameTaken, message: nameTakenMessage(inTheWay) } : undefined);
    const status = childStatusFrom(child, sts, {
      ...(podsRefused !== undefined ? { podsRefused } : {}),
      waitingFor: deps.waitingFor,
      paused,
      ...(blocked ? { problem: blocked } : {}),
      ...(step ? { rollout: { state: step.plan.state, message: step.plan.message, ...(step.stuck ? { stuck: step.stuck } : {}), ...(step.holding ? { holding: step.holding } : {}) } } : {}),
      selector: selectorLabels(req.name, traits.component),
      now: now().toISOString().replace(/\.\d+Z$/, 'Z'),
      extraConditions: monitoring,
    });
    await ctx.client.patchStatus(ref, child, status, ctx.signal);
    // A refused create changes nothing the StatefulSet's status shows: come back to see whether the
    // refusal still holds (the StatefulSet controller retries the create meanwhile).
    if (inTheWay) return { requeueAfterMs: NAME_TAKEN_RECHECK_MS };
    if (podsRefused !== undefined) return { requeueAfterMs: REFUSAL_RECHECK_MS };
    if (step?.fleetWaitMs !== undefined) return { requeueAfterMs: step.fleetWaitMs };
    // A step waiting on a pod that does not come up changes nothing the watches see: look again.
    if (step?.plan.state === 'Rolling' && sts && !settled(liveStatefulSetOf(sts))) return { requeueAfterMs: ROLL_RECHECK_MS };
  };
}

/** Everything the child owns, written unless it already holds; the StatefulSet, one safe step at a time, once its dependencies are ready. */
async function writeOwned(
  input: WorkloadInput,
  owner: Cluster | undefined,
  live: KubeObject | undefined,
  deps: Dependencies,
  monitoring: { requested: boolean; served: boolean | undefined; metricsServed: boolean },
  ctx: ReconcileContext,
  step: StepOptions,
): Promise<StepResult | undefined> {
  const { child } = input;
  if (monitoring.served === true && monitoring.requested && monitoring.metricsServed) await ctx.client.apply(serviceMonitors, desiredServiceMonitor(input), ctx.signal);
  else if (monitoring.served === true && madeServiceMonitor(child)) await deleteServiceMonitor(child, ctx);
  const owned: Array<[ResourceRef, KubeObject]> = [
    [coreResources.serviceAccounts, desiredServiceAccount(input)],
    [coreResources.services, desiredHeadlessService(input)],
    [coreResources.podDisruptionBudgets, desiredPodDisruptionBudget(input)],
  ];
  // Independent of each other: written at once.
  await Promise.all(owned.map(([r, obj]) => ctx.client.apply(r, obj, ctx.signal)));
  // Once created, the StatefulSet is kept in step even if a dependency later loses its pods:
  // the order only matters for the first start (and for waking from hibernation).
  if (!live && deps.waitingFor.length > 0) return undefined;
  const result = await stepStatefulSet(input, owner, live, deps.waitingFor.map((w) => w.component), ctx, step);
  if (result.sts !== live && !result.created && live) {
    ctx.log.info({ statefulset: child.metadata?.name, rollout: result.plan.state, message: result.plan.message }, 'applied StatefulSet');
  }
  return result;
}

/** What a child or a Cluster says of an object in the way. */
function nameTakenMessage(err: NotControlledError): string {
  return `${err.message}: the operator does not take over what it did not make; rename or delete it, and this resumes by itself`;
}

/** How long an owner with an object in the way waits before it looks again (the caches do not see objects that are not ours go). */
export const NAME_TAKEN_RECHECK_MS = 30_000;

/** How often a roll step that waits on a pod looks at it again (to stop the roll once it is stuck). */
const ROLL_RECHECK_MS = 15_000;

/** How long a child whose pods the cluster refuses waits before it looks again. */
const REFUSAL_RECHECK_MS = 15_000;
/** A FailedCreate Event older than this is not taken for the reason pods are missing now. */
const REFUSAL_WINDOW_MS = 10 * 60_000;

/**
 * Why the cluster refuses the StatefulSet's pods (Pod Security, ResourceQuota, LimitRange), while
 * fewer exist than asked for: the StatefulSet controller says so only in a FailedCreate Event on
 * the StatefulSet. Read from the cache of such Events (setup.ts restricts it to them), so a
 * scale-up costs no request; a new one wakes the child (the watch in componentController).
 */
async function podRefusal(sts: KubeObject, desired: number, now: Date, ctx: ReconcileContext): Promise<string | undefined> {
  const status = sts.status as { replicas?: number } | undefined;
  const uid = sts.metadata.uid;
  if ((status?.replicas ?? 0) >= desired || !uid) return undefined;
  const events = (await ctx.cache.list(coreResources.events, sts.metadata.namespace ?? '')) as RefusalEvent[];
  const at = (e: RefusalEvent): number => new Date(e.lastTimestamp ?? e.eventTime ?? 0).getTime();
  const latest = events.filter((e) => e.involvedObject?.uid === uid && e.reason === 'FailedCreate').sort((a, b) => at(b) - at(a))[0];
  if (!latest || now.getTime() - at(latest) > REFUSAL_WINDOW_MS) return undefined;
  return latest.message ?? 'a pod create failed';
}

/** What podRefusal reads of a core/v1 Event. */
interface RefusalEvent extends KubeObject {
  involvedObject?: { kind?: string; name?: string; uid?: string };
  reason?: string;
  message?: string;
  lastTimestamp?: string;
  eventTime?: string;
}

/** The Events the cache holds (setup.ts): a StatefulSet's refused pod creates, of any StatefulSet. */
export const REFUSAL_EVENTS_SELECTOR = 'involvedObject.kind=StatefulSet,reason=FailedCreate';

/** The child of this component whose StatefulSet an Event is about (its StatefulSet has the child's name). */
function refusedChildKeys(informers: InformerFactory, component: ComponentName, obj: KubeObject): Request[] {
  const about = (obj as RefusalEvent).involvedObject;
  const namespace = obj.metadata.namespace ?? '';
  if (about?.kind !== 'StatefulSet' || !about.name) return [];
  const sts = informers.peek(coreResources.statefulSets, namespace, about.name).obj;
  if (sts?.metadata.uid !== about.uid || sts?.metadata.labels?.['app.kubernetes.io/component'] !== component) return [];
  return [{ namespace, name: about.name }];
}

/** Children of `component` that a change of `obj` (a dependency, or the owner Cluster) may unblock or reconfigure. */
function dependentsKeys(informers: InformerFactory, component: ComponentName, obj: KubeObject): Request[] {
  const namespace = obj.metadata.namespace ?? '';
  const ownerName = owningClusterName(obj as ChildObject);
  if (ownerName) return [{ namespace, name: childName(ownerName, component) }];
  const clusterName = (obj as ChildObject).spec?.clusterName;
  if (!clusterName) return [];
  return informers
    .informersFor(childRef(component))
    .flatMap((i) => i.store.list(namespace))
    .filter((o) => (o as ChildObject).spec?.clusterName === clusterName)
    .map((o) => ({ namespace, name: o.metadata.name ?? '' }));
}

/**
 * The child of `component` under the same Cluster as the StatefulSet `obj`, when `obj`'s component
 * comes `where` it in the roll order and the child can use the news: for a component before it,
 * only while the child's own StatefulSet is in a roll (or held, waiting its turn); for one after it,
 * only while the child hibernates.
 */
function siblingKeys(informers: InformerFactory, component: ComponentName, obj: KubeObject, where: 'before' | 'after'): Request[] {
  const cluster = obj.metadata.labels?.[CLUSTER_LABEL];
  const of = obj.metadata.labels?.['app.kubernetes.io/component'] as ComponentName | undefined;
  if (!cluster || !of || of === component || obj.metadata.name !== childName(cluster, of)) return [];
  const before = ROLL_ORDER.indexOf(of) < ROLL_ORDER.indexOf(component);
  if (before !== (where === 'before')) return [];
  const namespace = obj.metadata.namespace ?? '';
  const name = childName(cluster, component);
  if (where === 'before') {
    const own = informers.peek(coreResources.statefulSets, namespace, name).obj;
    if (!own || !inRoll(liveStatefulSetOf(own))) return [];
  } else {
    const child = informers.peek(childRef(component), namespace, name).obj as ChildObject | undefined;
    if (child?.spec?.hibernate !== true) return [];
  }
  return [{ namespace, name }];
}

/** How long a StatefulSet's (or a dependency's) change waits before the child's reconcile, to take the next steps along. */
const STATEFULSET_COALESCE_MS = 500;

export function componentController(opts: ComponentControllerOptions): ControllerSpec {
  const kind = COMPONENT_KINDS[opts.component];
  const dependencies = COMPONENT_TRAITS[opts.component].dependsOn;
  return {
    name: kind.toLowerCase(),
    for: engulaResources[kind],
    // Our own status writes bump no generation, so they do not come back as work.
    predicates: [generationChanged],
    // Owned objects: drift of any of them; of a StatefulSet also the counts status is made of.
    owns: childOwnedResources.map((r) => (r.plural === coreResources.statefulSets.plural
      // A StatefulSet's counts move in steps a moment apart (observed, pod created, pod ready):
      // waiting half a second lets one status write carry several of them.
      ? { resource: r, predicates: [statefulSetReadinessChanged], coalesceMs: STATEFULSET_COALESCE_MS }
      // The rest only for drift: the echo of the operator's own write of one is not drift.
      : { resource: r, predicates: [ignoreStatusOnly], ignoreOwnWrites: true })),
    watches: [
      // A roll beginning or ending in a component before this one decides this one's turn: only
      // while this one has a roll to take (held at its partition), not on every Cluster's start.
      { resource: coreResources.statefulSets, predicates: [siblingTurnChanged], map: (obj: KubeObject) => siblingKeys(opts.informers, opts.component, obj, 'before'), coalesceMs: STATEFULSET_COALESCE_MS },
      // A component after this one emptying decides hibernation's next step: only while this one hibernates.
      { resource: coreResources.statefulSets, predicates: [siblingEmptied], map: (obj: KubeObject) => siblingKeys(opts.informers, opts.component, obj, 'after'), coalesceMs: STATEFULSET_COALESCE_MS },
      // The cluster refusing this child's pods (a FailedCreate Event on its StatefulSet), or refusing them again.
      { resource: coreResources.events, map: (obj: KubeObject) => refusedChildKeys(opts.informers, opts.component, obj) },
      // A dependency's first ready pod, or its port, decides this child's StatefulSet.
      // Coalesced like the StatefulSet: journal and storage coming up together wake the kernel once.
      ...dependencies.map((dep) => ({ resource: childRef(dep), predicates: [dependencyReadinessChanged], map: (obj: KubeObject) => dependentsKeys(opts.informers, opts.component, obj), coalesceMs: STATEFULSET_COALESCE_MS })),
      {
        // Pausing or resuming a Cluster changes what its children may write.
        resource: engulaResources.Cluster,
        predicates: [clusterSpecChanged],
        map: (obj: KubeObject): Request[] => {
          const cluster = obj as Cluster;
          if (!cluster.spec?.[opts.component] || !obj.metadata.name) return [];
          return [{ namespace: obj.metadata.namespace ?? '', name: childName(obj.metadata.name, opts.component) }];
        },
      },
    ],
    reconcile: componentReconciler(opts),
  };
}


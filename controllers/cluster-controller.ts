// A Cluster fans out to one child object per component in its spec, named <cluster>-<component>
// and controlled by the Cluster, plus the <cluster>-config topology ConfigMap; the child of a
// component removed from the spec is deleted (the garbage collector takes what it owns). The
// Cluster's status is rolled up from its children. A paused Cluster gets its status written and
// nothing else.
import { COMPONENT_KINDS, COMPONENTS, type ChildObject, type Cluster, type ComponentName } from '../api/v1alpha1/index.ts';
import {
  coreResources, generationChanged, NotControlledError, type ControllerSpec, type ReconcileContext, type Reconciler, type Request, type Result,
} from '../runtime/index.ts';
import { NAME_TAKEN_RECHECK_MS, type ServedKind } from './component-controller.ts';
import { aggregateClusterStatus, childName, clusterMetrics, desiredChild, desiredTopologyConfigMap, monitoringCondition, REASONS, type ConditionInput } from './desired/index.ts';
import { rollupInputChanged } from './predicates.ts';
import { engulaResources } from './resources.ts';

/** How long a child's change waits before its Cluster's roll-up, to take its siblings' along. */
const ROLLUP_COALESCE_MS = 1_000;

interface ClusterControllerOptions {
  clusterDomain: string;
  /** Whether ServiceMonitors are served, for the Cluster's MonitoringAvailable condition. */
  serviceMonitors?: ServedKind;
  now?: () => Date;
}

function controlledBy(obj: { metadata?: { ownerReferences?: Array<{ uid: string; controller?: boolean }> } }, uid: string | undefined): boolean {
  return uid !== undefined && (obj.metadata?.ownerReferences ?? []).some((r) => r.controller === true && r.uid === uid);
}

function clusterReconciler(opts: ClusterControllerOptions): Reconciler {
  const now = opts.now ?? (() => new Date());
  return async (req: Request, ctx: ReconcileContext): Promise<Result | void> => {
    const cluster = (await ctx.cache.get(engulaResources.Cluster, req.namespace, req.name)) as Cluster | undefined;
    if (!cluster || cluster.metadata?.deletionTimestamp) return;
    const uid = cluster.metadata?.uid;
    const paused = cluster.spec.paused === true;
    const children: Partial<Record<ComponentName, ChildObject>> = {};
    const created: string[] = [];
    const updated: string[] = [];
    // Objects of our names that are somebody else's: left alone, and said so until they go.
    const inTheWay: string[] = [];

    // The children and the ConfigMap do not depend on each other: written at once, so a Cluster's
    // first reconcile costs one round trip through admission rather than five.
    const reconcileChild = async (component: ComponentName): Promise<void> => {
      const ref = engulaResources[COMPONENT_KINDS[component]];
      const name = childName(req.name, component);
      const live = (await ctx.cache.get(ref, req.namespace, name)) as ChildObject | undefined;
      const desired = desiredChild(cluster, component);
      if (live && !controlledBy(live, uid)) {
        // Someone else's object under our name: taking it over could wreck a standalone component.
        if (desired && !paused) inTheWay.push(`${COMPONENT_KINDS[component]} ${name} exists and is not controlled by this Cluster`);
        return;
      }
      if (paused) {
        if (live) children[component] = live;
        return;
      }
      if (desired) {
        const result = await ctx.client.apply(ref, desired, ctx.signal);
        if (result.changed) (live ? updated : created).push(`${desired.kind} ${name}`);
        children[component] = result.obj as ChildObject | undefined;
      } else if (live && live.metadata?.deletionTimestamp === undefined) {
        // A component removed from a protected Cluster: its child carries the Cluster's protection,
        // which the API server's policy enforces even on the operator; the Cluster no longer wants
        // the component, so its protection goes first.
        if (live.spec.deletionProtection === true) {
          await ctx.client.update(ref, req.namespace, name, (draft) => {
            (draft.spec as { deletionProtection?: boolean }).deletionProtection = false;
          }, ctx.signal);
        }
        // Background propagation: the child goes at once, the garbage collector follows with
        // what it owns (PersistentVolumeClaims stay, by the StatefulSet's Retain policy).
        if (await ctx.client.delete(ref, req.namespace, name, { propagationPolicy: 'Background', ...(live.metadata?.uid ? { uid: live.metadata.uid } : {}), signal: ctx.signal })) {
          ctx.recorder.event(cluster, 'Normal', 'Deleted', `Deleted ${live.kind} ${name}: ${component} is no longer in the spec`);
        }
      }
    };
    const writeTopology = async (): Promise<void> => {
      try {
        await ctx.client.apply(coreResources.configMaps, desiredTopologyConfigMap(cluster, opts.clusterDomain), ctx.signal);
      } catch (err) {
        if (!(err instanceof NotControlledError)) throw err;
        inTheWay.push(err.message);
      }
    };
    await Promise.all([...COMPONENTS.map(reconcileChild), ...(paused ? [] : [writeTopology()])]);
    const nameTaken = nameTakenCondition(inTheWay);
    for (const c of nameTaken) ctx.recorder.event(cluster, 'Warning', REASONS.nameTaken, c.message);
    // One Event per reconcile for what it created, one for what it changed (in COMPONENTS order).
    const inOrder = (names: string[]): string[] => COMPONENTS.map((c) => names.find((n) => n.endsWith(` ${childName(req.name, c)}`))).filter((n) => n !== undefined);
    if (created.length > 0) ctx.recorder.event(cluster, 'Normal', 'Created', `Created ${inOrder(created).join(', ')}`);
    if (updated.length > 0) ctx.recorder.event(cluster, 'Normal', 'Updated', `Updated ${inOrder(updated).join(', ')}`);
    // Children just made have no status yet; their creation wakes this Cluster again within the
    // roll-up delay, and the status written then (with theirs) supersedes any written now.
    if (created.length > 0 && inTheWay.length === 0) return;

    const requested = cluster.spec.monitoring?.enabled === true;
    const served = requested && opts.serviceMonitors ? await opts.serviceMonitors.whenKnown(ctx.signal) : false;
    const status = aggregateClusterStatus(cluster, children, now().toISOString().replace(/\.\d+Z$/, 'Z'), [...monitoringCondition(requested, served, clusterMetrics(cluster)), ...nameTaken]);
    await ctx.client.patchStatus(engulaResources.Cluster, cluster, status, ctx.signal);
    // The caches hold only what is ours: the object in the way going is seen by looking again.
    if (inTheWay.length > 0) return { requeueAfterMs: NAME_TAKEN_RECHECK_MS };
  };
}

/** NameTaken, present only while an object of one of the Cluster's names is somebody else's. */
function nameTakenCondition(inTheWay: string[]): ConditionInput[] {
  if (inTheWay.length === 0) return [];
  return [{ type: REASONS.nameTaken, status: 'True', reason: REASONS.nameTaken, message: `${inTheWay.join('; ')}: the operator does not take over what it did not make; rename or delete it, and this resumes by itself` }];
}

export function clusterController(opts: ClusterControllerOptions): ControllerSpec {
  return {
    name: 'cluster',
    for: engulaResources.Cluster,
    predicates: [generationChanged],
    owns: [
      // A ConfigMap changed by hand is put back at once; the echo of the operator's own write is not
      // a change.
      { resource: coreResources.configMaps, ignoreOwnWrites: true },
      // Children's status changes roll up, and a child changed by hand is put back: a second after
      // the first change, so journal and storage (or a scale's several steps) coming up together
      // rewrite the Cluster's status once. A new child's first event is what the creating
      // reconcile waits on, so echoes are not dropped here.
      ...COMPONENTS.map((c) => ({ resource: engulaResources[COMPONENT_KINDS[c]], predicates: [rollupInputChanged], coalesceMs: ROLLUP_COALESCE_MS })),
    ],
    reconcile: clusterReconciler(opts),
  };
}

// `kubectl engula status CLUSTER` as data: from what read-state.ts read to the view-model that
// every output format prints. Pure: the same state gives the same view.
import type { V1StatefulSet } from '@kubernetes/client-node';
import { COMPONENT_KINDS, type ComponentName } from '../../api/v1alpha1/kinds.ts';
import { ROLL_ORDER } from '../../controllers/components.ts';
import { childName } from '../../controllers/desired/meta.ts';
import { INSTANCE_LABEL, componentsOf, type ClusterState } from '../read-state.ts';
import { claimViews } from './claims.ts';
import { conditionViews } from './conditions.ts';
import { eventViews, objectRef } from './events.ts';
import { ordinalOf, podView } from './pods.ts';
import { rolloutStep, rolloutView } from './rollout.ts';
import { isoOf } from './time.ts';
import type { ClusterHeader, ComponentView, PodView, StatusView } from './types.ts';

/** Events listed at most: the newest, enough to see a roll's last steps. */
const EVENT_LIMIT = 20;

function header(state: ClusterState): ClusterHeader {
  const { cluster } = state;
  const m = cluster.metadata ?? {};
  const created = isoOf(m.creationTimestamp);
  const deleting = isoOf(m.deletionTimestamp);
  return {
    namespace: m.namespace ?? '',
    name: m.name ?? '',
    engulaName: cluster.spec.name,
    ...(cluster.spec.image?.name ? { image: cluster.spec.image.name } : {}),
    ...(cluster.spec.launchProfile ? { launchProfile: cluster.spec.launchProfile } : {}),
    ...(cluster.status?.phase ? { phase: cluster.status.phase } : {}),
    ...(cluster.status?.readySummary ? { readySummary: cluster.status.readySummary } : {}),
    ...(m.generation !== undefined ? { generation: m.generation } : {}),
    ...(cluster.status?.observedGeneration !== undefined ? { observedGeneration: cluster.status.observedGeneration } : {}),
    paused: cluster.spec.paused === true,
    hibernate: cluster.spec.hibernate === true,
    ...(cluster.spec.restartedAt ? { restartedAt: cluster.spec.restartedAt } : {}),
    ...(created ? { createdAt: created } : {}),
    ...(deleting ? { deletingSince: deleting } : {}),
  };
}

function componentView(state: ClusterState, component: ComponentName, sts: V1StatefulSet | undefined): ComponentView {
  const name = state.cluster.metadata?.name ?? '';
  const child = state.children[component];
  const cs = child?.status;
  const ss = sts?.status;
  // The Cluster's own summary of the component stands in for what could not be read.
  const summary = state.cluster.status?.components?.[component];
  const phase = cs?.phase ?? summary?.phase;
  const currentRevision = ss?.currentRevision ?? cs?.currentRevision;
  const updateRevision = ss?.updateRevision ?? cs?.updateRevision;
  const partition = sts?.spec?.updateStrategy?.rollingUpdate?.partition;
  return {
    component,
    kind: COMPONENT_KINDS[component],
    child: childName(name, component),
    childState: child !== undefined ? 'found' : state.unreadChildren.includes(component) ? 'unread' : 'missing',
    desired: state.cluster.spec[component]?.replicas ?? 0,
    // The StatefulSet's counts are the freshest; the child's status repeats them a moment later.
    replicas: ss?.replicas ?? cs?.replicas ?? 0,
    ready: ss?.readyReplicas ?? cs?.readyReplicas ?? summary?.ready ?? 0,
    updated: ss?.updatedReplicas ?? cs?.updatedReplicas ?? 0,
    ...(phase ? { phase } : {}),
    ...(currentRevision ? { currentRevision } : {}),
    ...(updateRevision ? { updateRevision } : {}),
    ...(partition !== undefined ? { partition } : {}),
    ...(cs?.rollout ? { rollout: cs.rollout } : {}),
  };
}

function byRollOrder(a: PodView, b: PodView): number {
  const ca = a.component ? ROLL_ORDER.indexOf(a.component) : ROLL_ORDER.length;
  const cb = b.component ? ROLL_ORDER.indexOf(b.component) : ROLL_ORDER.length;
  return ca - cb || (a.ordinal ?? 0) - (b.ordinal ?? 0) || a.name.localeCompare(b.name);
}

export function buildStatusView(state: ClusterState): StatusView {
  const { cluster } = state;
  const name = cluster.metadata?.name ?? '';
  const present = new Set(componentsOf(cluster));
  const components = ROLL_ORDER.filter((c) => present.has(c));
  const children = new Map(components.map((c) => [childName(name, c), c] as const));
  const stsOf = (child: string): V1StatefulSet | undefined => state.statefulSets.find((s) => s.metadata?.name === child);

  const views = components.map((c) => componentView(state, c, stsOf(childName(name, c))));
  const pods = state.pods
    .map((p) => {
      const child = p.metadata?.labels?.[INSTANCE_LABEL];
      const component = child === undefined ? undefined : children.get(child);
      return podView(p, component && child ? { component, child } : undefined, child === undefined ? undefined : stsOf(child));
    })
    .sort(byRollOrder);
  const steps = views.map((v) =>
    rolloutStep(v, state.children[v.component], pods.filter((p) => p.component === v.component), stsOf(v.child)?.spec?.replicas),
  );

  const conditions = [
    ...conditionViews(objectRef('Cluster', name), cluster.status?.conditions),
    ...views.flatMap((v) => conditionViews(objectRef(v.kind, v.child), state.children[v.component]?.status?.conditions)),
  ];

  const sources = new Map<string, ComponentName>();
  for (const c of components) {
    const claim = cluster.spec[c]?.volume?.source?.claimName;
    if (claim) sources.set(claim, c);
  }
  const claims = claimViews(state.claims, { instanceLabel: INSTANCE_LABEL, children, sources }, ROLL_ORDER);

  const claimNames = new Set(claims.map((c) => c.name));
  const belongs = (kind: string, object: string): boolean => {
    switch (kind) {
      case 'Cluster':
        return object === name;
      case 'StatefulSet':
        return children.has(object);
      case 'Pod':
        // Any pod of the children's StatefulSets, also one that is gone (scaled away, or replaced).
        return [...children.keys()].some((child) => ordinalOf(object, child) !== undefined);
      case 'PersistentVolumeClaim':
        return claimNames.has(object);
      default:
        return views.some((v) => v.kind === kind && v.child === object);
    }
  };
  const { events, older } = eventViews(state.events, belongs, EVENT_LIMIT);

  // Sorted: the reads run side by side and finish in any order.
  const unread = [...state.unread].sort();
  return { cluster: header(state), components: views, rollout: rolloutView(steps), pods, conditions, claims, events, olderEvents: older, unread };
}

// The view-model of `kubectl engula status`: what the text renderer prints and what -o json/yaml
// prints as is. Plain data (timestamps, not ages), so it is stable for scripts and the same for
// every output format.
import type { ChildKindName, ComponentName } from '../../api/v1alpha1/kinds.ts';

export interface StatusView {
  cluster: ClusterHeader;
  components: ComponentView[];
  rollout: RolloutView;
  pods: PodView[];
  conditions: ConditionView[];
  claims: ClaimView[];
  events: EventView[];
  /** Events of these objects beyond the most recent ones listed. */
  olderEvents: number;
  /** What could not be read (RBAC): the rest of the view holds without it. */
  unread: string[];
}

export interface ClusterHeader {
  namespace: string;
  name: string;
  /** spec.name: the Engula cluster's own name. */
  engulaName: string;
  image?: string;
  launchProfile?: string;
  /** Undefined until the operator wrote a status. */
  phase?: string;
  /** "3/4": ready components over components. */
  readySummary?: string;
  generation?: number;
  observedGeneration?: number;
  paused: boolean;
  hibernate: boolean;
  restartedAt?: string;
  createdAt?: string;
  deletingSince?: string;
}

export interface ComponentView {
  component: ComponentName;
  kind: ChildKindName;
  /** The child object's name (also its StatefulSet's, Service's and pods' prefix). */
  child: string;
  /** The child object: there, not made yet (the operator has not caught up), or not readable by this user. */
  childState: 'found' | 'missing' | 'unread';
  /** spec.<component>.replicas of the Cluster. */
  desired: number;
  /** Pods that exist, are Ready, and run the update revision (the StatefulSet's counts). */
  replicas: number;
  ready: number;
  updated: number;
  phase?: string;
  currentRevision?: string;
  updateRevision?: string;
  /** The StatefulSet's rollingUpdate.partition: pods at or above it take the update revision. */
  partition?: number;
  /** The child's status.rollout: what its roll does or waits for. */
  rollout?: string;
}

/** How a pod's controller-revision-hash compares with its StatefulSet's revisions. */
export type RevisionState = 'update' | 'current' | 'other' | 'unknown';

export interface PodView {
  name: string;
  component?: ComponentName;
  ordinal?: number;
  /** The controller-revision-hash label: `<statefulset>-<hash>`. */
  revision?: string;
  /** 'update': the revision a roll brings pods to (which is also the current one when no roll runs). */
  revisionState: RevisionState;
  phase?: string;
  /** kubectl's STATUS column: Running, Pending, CrashLoopBackOff, Terminating... */
  status: string;
  ready: boolean;
  readyContainers: number;
  containers: number;
  restarts: number;
  node?: string;
  createdAt?: string;
  /** Why it is not Ready: the first failing condition or waiting container, with its message. */
  notReadyBecause?: string;
}

export type RollStepState = 'Rolling' | 'Stuck' | 'Waiting' | 'UpdatePending';

export interface RolloutStep {
  component: ComponentName;
  child: string;
  state: RollStepState;
  /** The operator's words: the child's status.rollout, or the condition that says it. */
  message: string;
  updated: number;
  replicas: number;
  currentRevision?: string;
  updateRevision?: string;
  partition?: number;
  /** The pod this step waits for: the highest one at or above the partition not yet updated and Ready. */
  waitingFor?: { pod: string; status: string; reason?: string };
}

export interface RolloutView {
  /** Whether any component is rolling, stuck or waiting its turn (a held UpdatePending change alone is no roll). */
  inProgress: boolean;
  steps: RolloutStep[];
}

export interface ConditionView {
  /** `cluster/NAME` or `journal/NAME-journal`, as kubectl names objects. */
  object: string;
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  /** True when it says what a settled component says (Ready True, Progressing False, Degraded False). */
  expected: boolean;
}

export interface ClaimView {
  name: string;
  component?: ComponentName;
  /** The pod that mounts it, for a claim made from the StatefulSet's volume claim template. */
  pod?: string;
  status?: string;
  capacity?: string;
  requested?: string;
  accessModes: string[];
  storageClass?: string;
  volume?: string;
  createdAt?: string;
}

export interface EventView {
  /** `pod/NAME`, `statefulset/NAME`, `journal/NAME`, `cluster/NAME`. */
  object: string;
  type?: string;
  reason?: string;
  message?: string;
  count: number;
  lastSeen?: string;
}

/** One row of `kubectl engula status` without a name. */
export interface ClusterSummary {
  namespace: string;
  name: string;
  phase?: string;
  readySummary?: string;
  components: Partial<Record<ComponentName, { ready: number; desired: number; phase?: string }>>;
  paused: boolean;
  hibernate: boolean;
  createdAt?: string;
}

export interface ClusterListView {
  items: ClusterSummary[];
}

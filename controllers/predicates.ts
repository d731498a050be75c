// Which events of owned and watched objects can change what a reconcile does. Everything else
// (a PDB's status counting healthy pods, a StatefulSet's collisionCount, a dependency's status
// message) is dropped before it becomes work. A resync of a primary object always passes
// (runtime/handlers.ts enqueueObject).
import type { ChildObject } from '../api/v1alpha1/index.ts';
import { liveStatefulSetOf, rollupInputOf, settled, TEMPLATE_HASH_ANNOTATION } from './desired/index.ts';
import { jsonEqual as deepEqual, jsonEqualExcept, type KubeObject, type Predicate } from '../runtime/index.ts';

/** What the server changes on its own: status (metadata is compared apart), and in metadata the
 * version and the record of field ownership. */
const SKIPPED = new Set(['status', 'metadata']);
const SKIPPED_IN_METADATA = new Set(['resourceVersion', 'managedFields']);

/** Anything but status changed: someone edited what the operator owns (drift), or deleted it. */
function specOrMetadataChanged(old: KubeObject, obj: KubeObject): boolean {
  // Compared in place: this runs on every watch event of every owned kind, and copying each side
  // without those fields was most of its cost.
  const same =
    jsonEqualExcept(old, obj, SKIPPED) &&
    jsonEqualExcept(old.metadata, obj.metadata, SKIPPED_IN_METADATA);
  return !same;
}

/** Owned kinds whose status the operator never reads (ServiceAccounts, Services, PDBs, Roles...). */
export const ignoreStatusOnly: Predicate = { update: specOrMetadataChanged };

interface StatefulSetStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
}

/** The counts a child's status and a roll step are decided by (availableReplicas: a step waits out minReadySeconds). */
function rolloutInputChanged(old: KubeObject, obj: KubeObject): boolean {
  const a = (old.status ?? {}) as StatefulSetStatus;
  const b = (obj.status ?? {}) as StatefulSetStatus;
  return (
    a.observedGeneration !== b.observedGeneration || a.replicas !== b.replicas || a.readyReplicas !== b.readyReplicas || a.availableReplicas !== b.availableReplicas ||
    a.updatedReplicas !== b.updatedReplicas || a.currentRevision !== b.currentRevision || a.updateRevision !== b.updateRevision
  );
}

/** A StatefulSet: drift, or a change of the counts the child's status and its roll are computed from. */
export const statefulSetReadinessChanged: Predicate = {
  update: (old, obj) => specOrMetadataChanged(old, obj) || rolloutInputChanged(old, obj),
};

/**
 * A sibling's StatefulSet, seen by the components after it in the roll order: a roll began or
 * ended there (the next component's turn). Not every count it passes through: only the turns.
 */
export const siblingTurnChanged: Predicate = {
  create: () => false,
  update: (old, obj) => {
    const a = liveStatefulSetOf(old);
    const b = liveStatefulSetOf(obj);
    return a.annotations[TEMPLATE_HASH_ANNOTATION] !== b.annotations[TEMPLATE_HASH_ANNOTATION] || a.status.updateRevision !== b.status.updateRevision || settled(a) !== settled(b);
  },
};

/** A sibling's StatefulSet, seen by the components before it in the roll order: it emptied or refilled (hibernation's next step). */
export const siblingEmptied: Predicate = {
  create: () => false,
  update: (old, obj) => ((old.status as { replicas?: number } | undefined)?.replicas ?? 0) === 0 !== (((obj.status as { replicas?: number } | undefined)?.replicas ?? 0) === 0),
};

function hasReadyPod(obj: KubeObject): boolean {
  return ((obj as ChildObject).status?.readyReplicas ?? 0) > 0;
}

/** A dependency: its spec (port, clusterName) or metadata changed, or it got or lost its first ready pod. */
export const dependencyReadinessChanged: Predicate = {
  update: (old, obj) => specOrMetadataChanged(old, obj) || hasReadyPod(old) !== hasReadyPod(obj),
};

/** A child, seen by its Cluster: drift of the child, or a change to what the Cluster's status is
 * made of (its phase, ready pods, observed generation, the message the Cluster repeats). */
export const rollupInputChanged: Predicate = {
  update: (old, obj) => specOrMetadataChanged(old, obj) || !deepEqual(rollupInputOf(old as ChildObject), rollupInputOf(obj as ChildObject)),
};

/** A Cluster, seen by a component's controller: a change of its spec (pausing, resuming). Not its
 * creation: its children do not exist yet, and each one's own creation starts its reconcile. */
export const clusterSpecChanged: Predicate = {
  create: () => false,
  update: (old, obj) => old.metadata.generation === undefined || old.metadata.generation !== obj.metadata.generation,
};

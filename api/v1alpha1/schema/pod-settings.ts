// The pod settings platform engineers set: on a Cluster (every component inherits them) and on a
// component (its own win: objects field by field, maps key by key, the rest whole). One list, so
// the Cluster, the component and the inheritance in controllers/desired/child.ts cannot drift.
import { podSecurityContext, probe, securityContext } from './core.ts';
import { bool, int32, int64, str, stringMap, type Schema } from './schema.ts';

export const podSettings: Readonly<Record<string, Schema>> = {
  podSecurityContext,
  securityContext,
  priorityClassName: str('The PriorityClass of the pods.', { maxLength: 253 }),
  serviceAccountAnnotations: stringMap("Annotations on the component's ServiceAccount, e.g. for workload identity."),
  podLabels: stringMap(
    'Extra labels on every pod. The operator\'s own labels (app.kubernetes.io/*, cluster.engula.io/cluster) cannot be replaced.',
  ),
  serviceLabels: stringMap("Extra labels on the component's headless Service. The operator's own labels cannot be replaced."),
  serviceAnnotations: stringMap("Annotations on the component's headless Service."),
  terminationGracePeriodSeconds: int64('Seconds the pods get to stop. Default 60, as the original engula-operator gives.', { minimum: 0 }),
  startupProbe: probe(
    'when the container counts as started. Default: TCP on the service port every 10 s, up to 60 failures (10 minutes), ' +
      'since an Engula v0.2 binary opens its port only once its peers answered.',
  ),
  livenessProbe: probe('when the container is restarted. Default: TCP on the service port every 10 s, restarted after 6 failures; it starts once the startup probe passed.'),
  minReadySeconds: int32('Seconds a new pod must be Ready before it counts as available. Default 0.', { minimum: 0 }),
  restartedAt: str(
    'Set it to a new value (a timestamp, as `kubectl rollout restart` writes one) to replace every pod, in the roll order, one ' +
      'at a time: a restart. It also applies a pod template change the operator holds back (the UpdatePending condition).',
    { maxLength: 64 },
  ),
  spreadAcrossNodes: bool(
    "Spread the component's pods across nodes (a topology spread constraint on kubernetes.io/hostname, ScheduleAnyway, " +
      'so a one-node cluster still runs them). Default true; false turns it off.',
  ),
};

/** Settings whose value is an object merged field by field (maps key by key); the rest are replaced whole. */
/** Hibernation: on a Cluster, given to every component; on a standalone child, its own. */
export const hibernate = bool(
  'Scales every component to zero pods, in reverse dependency order (engine, kernel, storage, journal), keeping every ' +
    'PersistentVolumeClaim (unless persistentVolumeClaimRetentionPolicy.whenScaled is Delete); false wakes them in bootstrap order (journal and storage, then kernel, then engine). The ' +
    'replicas in the spec stay as they are. Status says Hibernated.',
);

export const MERGED_POD_SETTINGS = ['podSecurityContext', 'securityContext', 'serviceAccountAnnotations', 'podLabels', 'serviceLabels', 'serviceAnnotations'] as const;

/** Every setting a Cluster gives its components (podAnnotations too: the component's own win key by key). */
export const INHERITED_POD_SETTINGS = ['podAnnotations', ...Object.keys(podSettings)] as const;

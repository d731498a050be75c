// core/v1 and meta/v1 types that a component spec embeds, as structural schemas. The shapes follow
// the Kubernetes API; the descriptions are shortened from its own documentation. Limits (maxItems,
// maxLength) are there because the CEL cost estimator needs bounds to accept rules that compare
// whole volumes.
import { external, int32, int64, list, named, obj, opaque, str, stringMap, type Schema } from './schema.ts';

export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

function quantityMap(description: string): Schema {
  return {
    type: 'object',
    description,
    maxProperties: 16,
    additionalProperties: {
      'x-kubernetes-int-or-string': true,
      pattern: QUANTITY_PATTERN,
      maxLength: 64,
    },
  };
}

const localObjectReference = external(
  'V1LocalObjectReference',
  obj(
    'A reference to an object in the same namespace.',
    { name: str('Name of the referent, for example the Secret that holds registry credentials.', { maxLength: 253 }) },
    { required: ['name'], 'x-kubernetes-map-type': 'atomic' },
  ),
);

export const imagePullSecrets = (scope: string): Schema =>
  list(
    `Secrets with registry credentials used to pull images, set on ${scope} ServiceAccount. ` +
      'Each names a kubernetes.io/dockerconfigjson Secret in the same namespace.',
    localObjectReference,
    { maxItems: 16 },
  );

export const resourceRequirements = external(
  'V1ResourceRequirements',
  obj('Compute resources (core/v1 ResourceRequirements) for the component container.', {
    limits: quantityMap('The most compute resources the container may use, e.g. {cpu: "2", memory: 4Gi}.'),
    requests: quantityMap(
      'The compute resources the scheduler reserves for the container, e.g. {cpu: 500m, memory: 1Gi}. ' +
        'Defaults to limits when only limits are given.',
    ),
    claims: list(
      'Names of resource claims of the pod (DynamicResourceAllocation) that the container uses.',
      obj('A resource claim of the pod the container uses.', {
        name: str('Name of an entry in the pod\'s spec.resourceClaims.', { maxLength: 253 }),
        request: str('Which request of the claim to use; empty means all of them.', { maxLength: 253 }),
      }, { required: ['name'] }),
      { maxItems: 16, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
    ),
  }),
);

const labelSelectorRequirement = obj(
  'A label selector requirement: a key, an operator and values.',
  {
    key: str('The label key the selector applies to.', { maxLength: 317 }),
    operator: str('How the key relates to the values: In, NotIn, Exists or DoesNotExist.', {
      enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'],
    }),
    values: list('The values for In and NotIn; empty for Exists and DoesNotExist.', { type: 'string', maxLength: 63 }, { maxItems: 32 }),
  },
  { required: ['key', 'operator'] },
);

export const labelSelector = (description: string): Schema =>
  obj(
    description,
    {
      matchLabels: stringMap('Labels that must all match (ANDed with matchExpressions).', { maxProperties: 32 }),
      matchExpressions: list('Label selector requirements, ANDed.', labelSelectorRequirement, { maxItems: 16 }),
    },
    { 'x-kubernetes-map-type': 'atomic' },
  );

export const persistentVolumeClaimSpec = external(
  'V1PersistentVolumeClaimSpec',
  obj(
    'A claim template (core/v1 PersistentVolumeClaimSpec): every pod gets its own PersistentVolumeClaim made from it ' +
      '(a StatefulSet volumeClaimTemplate). The claims are kept when the component shrinks or is deleted.',
    {
      accessModes: list(
        'How the volume may be mounted: ReadWriteOnce, ReadOnlyMany, ReadWriteMany or ReadWriteOncePod. Usually [ReadWriteOnce].',
        { type: 'string', enum: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] },
        { maxItems: 4 },
      ),
      storageClassName: str(
        'Name of the StorageClass that provisions the volumes; omit to use the cluster default StorageClass.',
        { maxLength: 253 },
      ),
      resources: obj('The size of each volume.', {
        requests: quantityMap('The minimum size, e.g. {storage: 10Gi}.'),
        limits: quantityMap('The maximum size, where the storage provider supports it.'),
      }),
      volumeMode: str('Filesystem (the default) or Block.', { enum: ['Filesystem', 'Block'] }),
      volumeName: str('Binds to this existing PersistentVolume instead of provisioning one.', { maxLength: 253 }),
      volumeAttributesClassName: str('Name of the VolumeAttributesClass, where the cluster supports it.', { maxLength: 253 }),
      selector: labelSelector('Selects the PersistentVolumes that may be bound.'),
      dataSource: obj(
        'Populates new volumes from a VolumeSnapshot or another PersistentVolumeClaim.',
        {
          apiGroup: str('API group of the source; empty for the core group.', { maxLength: 253 }),
          kind: str('Kind of the source, e.g. VolumeSnapshot.', { maxLength: 63 }),
          name: str('Name of the source.', { maxLength: 253 }),
        },
        { required: ['kind', 'name'], 'x-kubernetes-map-type': 'atomic' },
      ),
      dataSourceRef: obj(
        'Populates new volumes from any populator object (takes precedence over dataSource where supported).',
        {
          apiGroup: str('API group of the source; empty for the core group.', { maxLength: 253 }),
          kind: str('Kind of the source.', { maxLength: 63 }),
          name: str('Name of the source.', { maxLength: 253 }),
          namespace: str('Namespace of the source, when cross-namespace data sources are enabled.', { maxLength: 63 }),
        },
        { required: ['kind', 'name'] },
      ),
    },
  ),
);

export const persistentVolumeClaimVolumeSource = external(
  'V1PersistentVolumeClaimVolumeSource',
  obj(
    'An existing PersistentVolumeClaim (core/v1 PersistentVolumeClaimVolumeSource) in the same namespace, mounted by every pod. ' +
      'Only sensible with one replica or a ReadWriteMany claim.',
    {
      claimName: str('Name of the PersistentVolumeClaim.', { maxLength: 253 }),
      readOnly: { type: 'boolean', description: 'Mount the volume read-only.' },
    },
    { required: ['claimName'] },
  ),
);

export const toleration = external(
  'V1Toleration',
  obj('A core/v1 Toleration: lets pods run on nodes with a matching taint.', {
    key: str('The taint key; empty with operator Exists matches every taint.'),
    operator: str('Exists or Equal (default Equal); newer clusters also accept Lt and Gt.'),
    value: str('The taint value for operator Equal.'),
    effect: str('NoSchedule, PreferNoSchedule or NoExecute; empty matches every effect.'),
    tolerationSeconds: int64('For NoExecute: how long the pod stays bound after the taint appears; unset means forever.'),
  }),
);

export const topologySpreadConstraint = external(
  'V1TopologySpreadConstraint',
  obj(
    'A core/v1 TopologySpreadConstraint: how the component\'s pods spread across zones, nodes or other topology domains.',
    {
      maxSkew: int32('The largest allowed difference in matching pods between two domains.', { minimum: 1 }),
      topologyKey: str('The node label that defines a domain, e.g. topology.kubernetes.io/zone.'),
      whenUnsatisfiable: str('DoNotSchedule or ScheduleAnyway.', { enum: ['DoNotSchedule', 'ScheduleAnyway'] }),
      labelSelector: labelSelector(
        "Which pods count; when omitted the operator uses the component's own pod labels.",
      ),
      matchLabelKeys: list("Pod label keys whose values (taken from the pod) are added to the selector.", { type: 'string' }, {
        'x-kubernetes-list-type': 'atomic',
      }),
      minDomains: int32('The least number of eligible domains (with whenUnsatisfiable DoNotSchedule).', { minimum: 1 }),
      nodeAffinityPolicy: str('Honor or Ignore: whether nodeAffinity/nodeSelector limit the domains.', { enum: ['Honor', 'Ignore'] }),
      nodeTaintsPolicy: str('Honor or Ignore: whether node taints limit the domains.', { enum: ['Honor', 'Ignore'] }),
    },
    { required: ['maxSkew', 'topologyKey', 'whenUnsatisfiable'] },
  ),
);

export const affinity = external(
  'V1Affinity',
  obj('A core/v1 Affinity, copied as is into the pod template.', {
    nodeAffinity: opaque('A core/v1 NodeAffinity: the nodes the pods may or prefer to run on.'),
    podAffinity: opaque('A core/v1 PodAffinity: pods the component\'s pods should run near.'),
    podAntiAffinity: opaque(
      "A core/v1 PodAntiAffinity: pods the component's pods should keep away from, e.g. each other across nodes.",
    ),
  }),
);

export const envVar = external(
  'V1EnvVar',
  obj(
    'A core/v1 EnvVar for the component container.',
    {
      name: str('Name of the environment variable.', { minLength: 1 }),
      value: str('The value; $(VAR) references to earlier variables are expanded.'),
      valueFrom: opaque(
        'A core/v1 EnvVarSource: takes the value from a ConfigMap or Secret key, a pod field or a resource field.',
      ),
    },
    { required: ['name'] },
  ),
);

/** The metav1.Condition shape, with the validation the Kubernetes API gives it. */
export const condition = named(
  'Condition',
  obj(
    'A metav1.Condition: one aspect of the object\'s state (Ready, Progressing, Degraded or MonitoringAvailable), when it last changed and why.',
    {
      type: str('Ready, Progressing, Degraded or MonitoringAvailable (present only while spec.monitoring.enabled is true).', {
        maxLength: 316,
        pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
      }),
      status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
      observedGeneration: int64('The .metadata.generation the condition was computed from.', { minimum: 0 }),
      lastTransitionTime: str('When the status last changed.', { format: 'date-time' }),
      reason: str('A CamelCase reason for the last transition, for programs.', {
        minLength: 1,
        maxLength: 1024,
        pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
      }),
      message: str('What happened, for people.', { maxLength: 32768 }),
    },
    { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
  ),
);

export const conditions = list('The latest observations of the object\'s state.', condition, {
  maxItems: 16,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
});

const seccompProfile = obj('A core/v1 SeccompProfile.', {
  type: str('RuntimeDefault, Localhost or Unconfined.', { enum: ['RuntimeDefault', 'Localhost', 'Unconfined'] }),
  localhostProfile: str('With type Localhost: the profile file, relative to the kubelet\'s seccomp folder.'),
}, { required: ['type'] });

export const podSecurityContext = external(
  'V1PodSecurityContext',
  obj(
    'A core/v1 PodSecurityContext. Set fields replace the operator\'s defaults field by field (a component\'s replace the ' +
      "Cluster's); the defaults pass Pod Security restricted: runAsNonRoot with user and group 65532, fsGroup 65532 so the " +
      'data volume is writable, seccomp RuntimeDefault.',
    {
      runAsUser: int64('The user the containers run as.', { minimum: 0 }),
      runAsGroup: int64('The primary group the containers run as.', { minimum: 0 }),
      runAsNonRoot: { type: 'boolean', description: 'Refuse to start a container that would run as root.' },
      fsGroup: int64('The group that owns the volumes, so the containers can write them.', { minimum: 0 }),
      fsGroupChangePolicy: str('OnRootMismatch or Always: when the kubelet changes the volume\'s ownership.', { enum: ['OnRootMismatch', 'Always'] }),
      supplementalGroups: list('Further groups of the containers\' processes.', int64('A group id.', { minimum: 0 }), { 'x-kubernetes-list-type': 'atomic' }),
      seccompProfile,
      seLinuxOptions: opaque('A core/v1 SELinuxOptions, copied as is.'),
      sysctls: list('core/v1 Sysctls for the pod.', opaque('A core/v1 Sysctl {name, value}.'), { 'x-kubernetes-list-type': 'atomic' }),
    },
  ),
);

export const securityContext = external(
  'V1SecurityContext',
  obj(
    'A core/v1 SecurityContext of the Engula container. Set fields replace the operator\'s defaults field by field (a ' +
      "component's replace the Cluster's); the defaults pass Pod Security restricted: allowPrivilegeEscalation false, every " +
      'capability dropped, runAsNonRoot, a read-only root file system (the binary writes only to its data volume).',
    {
      runAsUser: int64('The user the container runs as; overrides the pod\'s.', { minimum: 0 }),
      runAsGroup: int64('The primary group the container runs as; overrides the pod\'s.', { minimum: 0 }),
      runAsNonRoot: { type: 'boolean', description: 'Refuse to start the container as root.' },
      allowPrivilegeEscalation: { type: 'boolean', description: 'Whether a process may gain more privileges than its parent.' },
      readOnlyRootFilesystem: { type: 'boolean', description: 'Mount the image\'s file system read-only.' },
      privileged: { type: 'boolean', description: 'Run privileged (refused by Pod Security baseline and restricted).' },
      capabilities: obj('Linux capabilities added and dropped.', {
        add: list('Capabilities added.', { type: 'string' }, { 'x-kubernetes-list-type': 'atomic' }),
        drop: list('Capabilities dropped.', { type: 'string' }, { 'x-kubernetes-list-type': 'atomic' }),
      }),
      seccompProfile,
      seLinuxOptions: opaque('A core/v1 SELinuxOptions, copied as is.'),
      procMount: str('Default or Unmasked.'),
    },
  ),
);

export const probe = (what: string): Schema =>
  external(
    'V1Probe',
    obj(`A core/v1 Probe: ${what} Given, it replaces the operator's default whole.`, {
      tcpSocket: opaque('A core/v1 TCPSocketAction {port, host}.'),
      httpGet: opaque('A core/v1 HTTPGetAction, for a build that serves HTTP.'),
      grpc: opaque('A core/v1 GRPCAction, for a build that serves the gRPC health service.'),
      exec: opaque('A core/v1 ExecAction.'),
      initialDelaySeconds: int32('Seconds after the container starts before the first probe.', { minimum: 0 }),
      periodSeconds: int32('Seconds between probes.', { minimum: 1 }),
      timeoutSeconds: int32('Seconds after which a probe times out.', { minimum: 1 }),
      successThreshold: int32('Successes in a row that count as success (1 for liveness and startup).', { minimum: 1 }),
      failureThreshold: int32('Failures in a row that count as failure.', { minimum: 1 }),
      terminationGracePeriodSeconds: int64('For a failed liveness or startup probe: the grace period of the kill.', { minimum: 1 }),
    }),
  );

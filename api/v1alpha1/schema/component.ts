// The component spec: what a Cluster says about one of journal/storage/kernel/engine, and (plus
// clusterName) the spec of the child object that runs it.
import { KINDS, LAUNCH_PROFILE_COMPONENTS, LAUNCH_PROFILES, MIN_REPLICAS, COMPONENT_KINDS, type ComponentName, type LaunchProfileName } from '../kinds.ts';
import {
  affinity, envVar, imagePullSecrets, persistentVolumeClaimSpec, persistentVolumeClaimVolumeSource, resourceRequirements,
  topologySpreadConstraint, toleration,
} from './core.ts';
import { monitoringSpec } from './monitoring.ts';
import { hibernate, podSettings } from './pod-settings.ts';
import { bool, celRule, int32, list, named, obj, str, stringMap, type CelRule, type Schema } from './schema.ts';
import { deepEqual, has, isObject } from './values.ts';

export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;

export const imageSpec = (description: string): Schema =>
  named(
    'ImageSpec',
    obj(
      description,
      {
        name: str('The container image, with a tag or digest, e.g. uhub.service.ucloud.cn/zojw/engula:0.9.', { minLength: 1 }),
        pullPolicy: str('When the kubelet pulls the image: Always, IfNotPresent or Never. Default IfNotPresent.', {
          enum: PULL_POLICIES,
          default: 'IfNotPresent',
        }),
      },
      { required: ['name'] },
    ),
    'A container image and when to pull it.',
  );

const volumeSpec = named(
  'VolumeSpec',
  obj(
    'The data volume mounted into every pod of the component. Set spec (a new claim per pod) or source ' +
      '(one existing claim), not both. It cannot be changed once the component exists, because a ' +
      "StatefulSet's volume claim templates are immutable.",
    { spec: persistentVolumeClaimSpec, source: persistentVolumeClaimVolumeSource },
    {
      'x-kubernetes-validations': [
        celRule(
          {
            rule: '!(has(self.spec) && has(self.source))',
            message: 'set volume.spec (a new claim per pod) or volume.source (an existing claim), not both',
          },
          (self) => !(has(self, 'spec') && has(self, 'source')),
        ),
      ],
    },
  ),
);

const RETENTION = ['Retain', 'Delete'] as const;

const claimRetentionPolicy = named(
  'ClaimRetentionPolicy',
  obj(
    "What happens to the PersistentVolumeClaims made from volume.spec when the component is deleted (also with its Cluster) " +
      'or scaled down: the StatefulSet field of the same name. Default Retain for both, so data outlives a delete or a ' +
      'scale-down until a person removes the claims. It may be changed at any time.',
    {
      whenDeleted: str('Retain (default): the claims stay when the component is deleted. Delete: they are deleted with it.', {
        enum: RETENTION,
        default: 'Retain',
      }),
      whenScaled: str(
        'Retain (default): the claims of pods removed by a scale-down stay, and a later scale-up reuses them. Delete: they are deleted.',
        { enum: RETENTION, default: 'Retain' },
      ),
    },
  ),
  'The persistentVolumeClaimRetentionPolicy of a component.',
);

const PORT_DESCRIPTION =
  'Default: journal 24570, storage 24569, kernel 24567, engine 24568.';

const portRange = { minimum: 1, maximum: 65535 };

function componentProperties(component: ComponentName): Record<string, Schema> {
  const min = MIN_REPLICAS[component];
  return {
    replicas: int32(
      'Number of pods. Minimum 0, and 1 for the kernel. Shrinking journal or storage on a Cluster needs spec.allowScaleDown.',
      { minimum: min },
    ),
    image: imageSpec("The component's image; overrides the Cluster's spec.image. A child object without one takes the Cluster's."),
    port: int32(`The port the component serves Engula traffic on. ${PORT_DESCRIPTION}`, {
      ...portRange,
      default: KINDS[COMPONENT_KINDS[component]].defaultPort,
    }),
    metricsPort: int32(
      'The port on which your image serves Prometheus metrics, if it does: setting it says so. No Engula line the ' +
        'operator knows serves metrics (docs/engula-versions.md), so there is no default, no metrics port is opened ' +
        'and no ServiceMonitor is made without it. Must differ from port.',
      portRange,
    ),
    metricsPath: str('The HTTP path of the metrics on metricsPort. Default /metrics.', { pattern: '^/', maxLength: 256 }),
    command: list(
      "Replaces the launch profile's command (the binary, /bin/engula): for an Engula build the operator does not know. " +
        'Passed to the container as given; $(VAR) references are expanded by the kubelet.',
      str('One argument.'),
      { 'x-kubernetes-list-type': 'atomic', minItems: 1 },
    ),
    args: list(
      "Replaces the launch profile's arguments (e.g. `journal run 0.0.0.0:24570 --file /data`): for an Engula build the " +
        'operator does not know. Passed to the container as given.',
      str('One argument.'),
      { 'x-kubernetes-list-type': 'atomic' },
    ),
    resource: resourceRequirements,
    volume: volumeSpec,
    persistentVolumeClaimRetentionPolicy: claimRetentionPolicy,
    imagePullSecrets: imagePullSecrets("the component's"),
    nodeSelector: stringMap('Node labels a node must have to run the pods.'),
    tolerations: list('Taints the pods tolerate.', toleration, { 'x-kubernetes-list-type': 'atomic' }),
    affinity,
    topologySpreadConstraints: list('How the pods spread across topology domains such as zones.', topologySpreadConstraint, {
      'x-kubernetes-list-type': 'atomic',
    }),
    podAnnotations: stringMap('Annotations put on every pod, e.g. for a service mesh or a backup tool.'),
    ...podSettings,
    env: list('Extra environment variables for the component container, after the ones the operator sets.', envVar, {
      'x-kubernetes-list-type': 'atomic',
    }),
  };
}

/** The profiles that have no binary for `component`. */
function profilesWithout(component: ComponentName): LaunchProfileName[] {
  return LAUNCH_PROFILES.filter((p) => !LAUNCH_PROFILE_COMPONENTS[p].includes(component));
}

/**
 * A component the chosen Engula line has no binary for is refused, not left to crash, unless
 * command says what to run. `at` is where the component's spec sits in the object the rule is on:
 * `self` on a child, `self.<component>` on a Cluster; launchProfile is a sibling of it there.
 */
export function launchRule(component: ComponentName, at: 'self' | `self.${ComponentName}`): CelRule | undefined {
  const missing = profilesWithout(component);
  if (missing.length === 0) return undefined;
  const quoted = missing.map((p) => `'${p}'`).join(', ');
  const field = at === 'self' ? 'spec' : `spec.${component}`;
  return celRule(
    {
      rule: `${at === 'self' ? '' : `!has(${at}) || `}has(${at}.command) || !has(self.launchProfile) || !(self.launchProfile in [${quoted}])`,
      message:
        `launchProfile ${missing.join(' or ')} has no ${component} binary (${missing.map((p) => `${p} runs ${LAUNCH_PROFILE_COMPONENTS[p].join(' and ')}`).join('; ')}): ` +
        `remove ${field}, choose launchProfile v0.2-kube-dns, or set ${field}.command (and args) for a build that has one`,
      fieldPath: '.launchProfile',
      reason: 'FieldValueInvalid',
    },
    (self) => {
      if (!isObject(self)) return true;
      const spec = at === 'self' ? self : self[component];
      if (!isObject(spec) || spec.command !== undefined) return true;
      return typeof self.launchProfile !== 'string' || !(missing as string[]).includes(self.launchProfile);
    },
  );
}

export const launchProfile = str(
  'The Engula line the pods run, which decides their command line, environment and data path ' +
    '(docs/engula-versions.md): v0.2-kube-dns (default), the kube-dns fork of Engula v0.2 that the original ' +
    'engula-operator deploys (image uhub.service.ucloud.cn/zojw/engula:0.9), all four components; v0.2.0, upstream ' +
    'Engula v0.2.0, journal and storage only. Changing it restarts the pods. For another build, set command and args per component.',
  { enum: LAUNCH_PROFILES, default: LAUNCH_PROFILES[0] },
);

/**
 * spec.deletionProtection, on a Cluster and on a child. The API server enforces it, not the operator: the
 * ValidatingAdmissionPolicy engula-deletion-protection (config/policy) refuses the DELETE, so it holds while
 * the operator is down.
 */
export function deletionProtection(on: 'Cluster' | 'child'): Schema {
  return bool(
    on === 'Cluster'
      ? 'Refuses the deletion of this Cluster (kubectl delete) while true: set it to false first. Given to every ' +
          'component (Journal, Storage, Kernel, Engine), so they cannot be deleted by hand either; once the Cluster is ' +
          'deleted, the garbage collector still deletes them. Enforced by the API server (ValidatingAdmissionPolicy ' +
          'engula-deletion-protection), so it holds while the operator is down.'
      : 'Refuses the deletion of this object (kubectl delete) while true: set it to false first. A component that ' +
          'belongs to a Cluster gets it from the Cluster (spec.deletionProtection there), and the garbage collector ' +
          'still deletes it once that Cluster is deleted. Enforced by the API server (ValidatingAdmissionPolicy ' +
          'engula-deletion-protection), so it holds while the operator is down.',
    { default: false },
  );
}

const componentRules = [
  celRule(
    {
      rule: '!has(self.metricsPort) || !has(self.port) || self.metricsPort != self.port',
      message: 'metricsPort must differ from port',
      fieldPath: '.metricsPort',
    },
    (self) => !isObject(self) || self.metricsPort === undefined || self.port === undefined || self.metricsPort !== self.port,
  ),
  celRule(
    {
      rule: 'has(self.volume) == has(oldSelf.volume) && (!has(self.volume) || self.volume == oldSelf.volume)',
      message:
        "volume cannot be added, changed or removed once the component exists (a StatefulSet's volume claim templates " +
        'are immutable); delete and recreate the component instead (its PersistentVolumeClaims are kept)',
      fieldPath: '.volume',
      reason: 'FieldValueForbidden',
    },
    (self, oldSelf) =>
      isObject(self) && isObject(oldSelf) && has(self, 'volume') === has(oldSelf, 'volume') && deepEqual(self.volume, oldSelf.volume),
  ),
];

/** A component inside a Cluster's spec. */
export function componentSpec(component: ComponentName): Schema {
  return named(
    'ComponentSpec',
    obj(`The ${component} component. Omit it to run no ${component}.`, componentProperties(component), {
      required: ['replicas'],
      'x-kubernetes-validations': componentRules,
    }),
    'One component (journal, storage, kernel or engine) inside a Cluster spec.',
  );
}

/** The spec of a child object: a component spec plus the Cluster it belongs to. */
export function childSpec(component: ComponentName): Schema {
  return named(
    'ChildSpec',
    obj(
      `The desired state of an Engula ${component}. When it belongs to a Cluster, the Cluster writes this spec.`,
      {
        clusterName: str(
          'The Engula cluster this component belongs to: the Cluster object that owns it, or for a standalone ' +
            'object the cluster name its pods join. Can be set once and never changed.',
          { maxLength: 63 },
        ),
        launchProfile,
        hibernate,
        monitoring: monitoringSpec,
        deletionProtection: deletionProtection('child'),
        ...componentProperties(component),
      },
      {
        required: ['replicas'],
        'x-kubernetes-validations': [
          ...componentRules,
          ...[launchRule(component, 'self') ?? []].flat(),
          celRule(
            {
              rule: '!has(oldSelf.clusterName) || (has(self.clusterName) && self.clusterName == oldSelf.clusterName)',
              message: 'clusterName cannot change once set: create a new object for another cluster',
              fieldPath: '.clusterName',
              reason: 'FieldValueForbidden',
            },
            (self, oldSelf) =>
              !has(oldSelf, 'clusterName') || (isObject(self) && isObject(oldSelf) && self.clusterName === oldSelf.clusterName),
          ),
        ],
      },
    ),
    'The spec of a Journal, Storage, Kernel or Engine: a component spec plus the cluster it belongs to.',
  );
}

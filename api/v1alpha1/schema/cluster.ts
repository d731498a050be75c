// The Cluster spec: one Engula cluster, written by a person, from which the children are made.
import { COMPONENTS, STATEFUL_COMPONENTS, type ComponentName } from '../kinds.ts';
import { componentSpec, deletionProtection, imageSpec, launchProfile, launchRule } from './component.ts';
import { imagePullSecrets } from './core.ts';
import { monitoringSpec } from './monitoring.ts';
import { hibernate, podSettings } from './pod-settings.ts';
import { bool, celRule, named, obj, str, stringMap, type CelRule } from './schema.ts';
import { has, isObject } from './values.ts';

function replicasOf(spec: unknown, component: ComponentName): unknown {
  return isObject(spec) && isObject(spec[component]) ? spec[component].replicas : undefined;
}

function scaleDownRule(component: ComponentName): CelRule {
  return celRule(
    {
      rule:
        `self.allowScaleDown || !has(oldSelf.${component}) || ` +
        `(has(self.${component}) && self.${component}.replicas >= oldSelf.${component}.replicas)`,
      message:
        `${component} cannot shrink or be removed while spec.allowScaleDown is false, because its pods hold data; ` +
        'set spec.allowScaleDown: true in the same change to allow it (PersistentVolumeClaims are kept)',
      fieldPath: `.${component}.replicas`,
      reason: 'FieldValueForbidden',
    },
    (self, oldSelf) => {
      if (isObject(self) && self.allowScaleDown === true) return true;
      if (!has(oldSelf, component)) return true;
      const now = replicasOf(self, component);
      const before = replicasOf(oldSelf, component);
      // Without numbers on both sides the structural schema already reports the field.
      if (!has(self, component)) return false;
      return typeof now !== 'number' || typeof before !== 'number' || now >= before;
    },
  );
}

export const clusterSpec = named(
  'ClusterSpec',
  obj(
    'The desired state of an Engula cluster. The operator creates one child object per component given here, ' +
      'named <metadata.name>-<component>.',
    {
      name: str("The Engula cluster's own name, given to its components. Cannot change.", {
        minLength: 1,
        maxLength: 63,
        'x-kubernetes-validations': [
          celRule(
            { rule: 'self == oldSelf', message: 'name cannot change: create a new Cluster to rename', reason: 'FieldValueForbidden' },
            (self, oldSelf) => self === oldSelf,
          ),
        ],
      }),
      image: imageSpec('The image every component runs unless its own spec gives one.'),
      launchProfile,
      imagePullSecrets: imagePullSecrets("every component's"),
      paused: bool(
        'Stops the operator from changing anything for this cluster and its components; status is still reported. ' +
          'Set it back to false to resume.',
        { default: false },
      ),
      allowScaleDown: bool(
        'Allows lowering the replicas of journal or storage, or removing them from the spec. Their pods hold data, so ' +
          'this is refused unless set to true (in the same change or before). Claims of removed pods are kept. ' +
          'Kernel and engine can always shrink.',
        { default: false },
      ),
      deletionProtection: deletionProtection('Cluster'),
      monitoring: monitoringSpec,
      podAnnotations: stringMap("Annotations on every component's pods; a component's own podAnnotations win key by key."),
      ...podSettings,
      hibernate,
      ...Object.fromEntries(COMPONENTS.map((c) => [c, componentSpec(c)])),
    },
    {
      required: ['name', 'image'],
      'x-kubernetes-validations': [
        ...STATEFUL_COMPONENTS.map(scaleDownRule),
        ...COMPONENTS.flatMap((c) => launchRule(c, `self.${c}`) ?? []),
      ],
    },
  ),
);

// The kinds the plugin reads and writes, addressed as the REST API addresses them. The Engula kinds
// come from the API's own table (api/v1alpha1/kinds.ts), so a renamed plural cannot drift here.
import { API_VERSION, COMPONENT_KINDS, GROUP, KINDS, VERSION, type ComponentName } from '../api/v1alpha1/kinds.ts';
import { coreResources, resource, type ResourceRef } from '../runtime/resource.ts';

export const CLUSTERS: ResourceRef = resource(API_VERSION, KINDS.Cluster.kind, KINDS.Cluster.plural);

/** The child kind (Journal, Storage, Kernel, Engine) that runs each component. */
export function childResource(component: ComponentName): ResourceRef {
  const kind = KINDS[COMPONENT_KINDS[component]];
  return resource(API_VERSION, kind.kind, kind.plural);
}

export const STATEFUL_SETS = coreResources.statefulSets;
export const PODS = coreResources.pods;
export const EVENTS = coreResources.events;
export const CLAIMS: ResourceRef = resource('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims');

/** Discovery of the API group: 404 when no CRD of the group is installed. */
export const GROUP_VERSION_PATH = `/apis/${GROUP}/${VERSION}`;

/** How kubectl names a resource in its messages: `clusters.cluster.engula.io`, `pods`. */
export function qualifiedName(ref: ResourceRef): string {
  return ref.group === '' ? ref.plural : `${ref.plural}.${ref.group}`;
}

/** How kubectl names one object in its action lines: `cluster.cluster.engula.io/demo`. */
export function objectName(ref: ResourceRef, name: string): string {
  const singular = ref.kind.toLowerCase();
  return `${ref.group === '' ? singular : `${singular}.${ref.group}`}/${name}`;
}

// How the runtime names a kind (group, version, plural) and the minimal shape of any object.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  /** RFC 3339 text, as the API server sends it; a Date in objects built with client-node's types,
   * which declare one (the Engula kinds' generated types share this metadata). */
  creationTimestamp?: string | Date;
  deletionTimestamp?: string | Date;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

/** Any Kubernetes object: the runtime only relies on metadata. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface ObjectList {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: KubeObject[];
}

/** A kind addressed the way the REST API addresses it, so core kinds and CRDs are served alike. */
export interface ResourceRef {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Lower-case plural, as in the URL: 'statefulsets', 'configmaps', 'clusters'. */
  plural: string;
  kind: string;
  namespaced: boolean;
}

export function resource(apiVersion: string, kind: string, plural: string, namespaced = true): ResourceRef {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return { group, version, plural, kind, namespaced };
}

export function apiVersionOf(ref: ResourceRef): string {
  return ref.group === '' ? ref.version : `${ref.group}/${ref.version}`;
}

/** 'configmaps' or 'statefulsets.apps': the name used in logs, metrics and cache keys. */
export function resourceName(ref: ResourceRef): string {
  return ref.group === '' ? ref.plural : `${ref.plural}.${ref.group}`;
}

/** Same kind (group and kind; the version is a representation, not an identity). */
export function sameKind(ref: ResourceRef, apiVersion: string | undefined, kind: string | undefined): boolean {
  if (kind !== ref.kind || apiVersion === undefined) return false;
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  return group === ref.group;
}

/**
 * The URL path of a collection or of one object. `namespace` '' (or a cluster-scoped kind) gives
 * the all-namespaces collection; `subresource` is 'status', 'scale'...
 */
export function resourcePath(ref: ResourceRef, namespace = '', name?: string, subresource?: string): string {
  const base = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  const ns = ref.namespaced && namespace !== '' ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  let path = `${base}${ns}/${ref.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

/** The cache and work-queue key: 'namespace/name', or 'name' for cluster-scoped objects. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function keyOf(obj: KubeObject): string {
  return objectKey(obj.metadata.namespace, obj.metadata.name ?? '');
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Well-known kinds, so callers do not spell plurals by hand. */
export const coreResources = {
  configMaps: resource('v1', 'ConfigMap', 'configmaps'),
  secrets: resource('v1', 'Secret', 'secrets'),
  services: resource('v1', 'Service', 'services'),
  serviceAccounts: resource('v1', 'ServiceAccount', 'serviceaccounts'),
  pods: resource('v1', 'Pod', 'pods'),
  events: resource('v1', 'Event', 'events'),
  namespaces: resource('v1', 'Namespace', 'namespaces', false),
  statefulSets: resource('apps/v1', 'StatefulSet', 'statefulsets'),
  podDisruptionBudgets: resource('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
  roles: resource('rbac.authorization.k8s.io/v1', 'Role', 'roles'),
  roleBindings: resource('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings'),
  leases: resource('coordination.k8s.io/v1', 'Lease', 'leases'),
} as const;

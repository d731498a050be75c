// Names, labels and owner references shared by every desired object.
import { API_VERSION, type ChildObject, type Cluster, type ComponentName } from '../../api/v1alpha1/index.ts';
import type { OwnerReference } from '../../runtime/index.ts';

export const MANAGED_BY = 'engula-operator';
/** Which Cluster (by metadata.name) an object belongs to; absent on standalone objects without clusterName. */
export const CLUSTER_LABEL = 'cluster.engula.io/cluster';

export function childName(clusterName: string, component: ComponentName): string {
  return `${clusterName}-${component}`;
}

export function topologyConfigMapName(clusterName: string): string {
  return `${clusterName}-config`;
}

/** The labels a StatefulSet selects its pods by. They are immutable once the StatefulSet exists,
 * so nothing that can change (such as the Cluster name of a standalone child) goes in them. */
export function selectorLabels(instance: string, component: LabeledComponent): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'engula',
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/component': component,
  };
}

/** What `app.kubernetes.io/component` names: one of the four, or the Cluster's topology ConfigMap. */
export type LabeledComponent = ComponentName | 'topology';

/** The recommended app.kubernetes.io labels of every object the operator makes, plus the Cluster it belongs to. */
export function labelsFor(instance: string, component: LabeledComponent, clusterName?: string): Record<string, string> {
  return {
    ...selectorLabels(instance, component),
    'app.kubernetes.io/part-of': 'engula',
    'app.kubernetes.io/managed-by': MANAGED_BY,
    ...(clusterName ? { [CLUSTER_LABEL]: clusterName } : {}),
  };
}

/** A controller owner reference: the owner's deletion cascades, and the owner is enqueued on changes. */
export function controllerRef(owner: { apiVersion?: string; kind?: string; metadata?: { name?: string; uid?: string } }): OwnerReference {
  const name = owner.metadata?.name;
  const uid = owner.metadata?.uid;
  if (!name || !uid || !owner.kind) throw new Error('an owner needs kind, metadata.name and metadata.uid');
  return { apiVersion: owner.apiVersion ?? API_VERSION, kind: owner.kind, name, uid, controller: true, blockOwnerDeletion: true };
}

export function nameOf(obj: ChildObject | Cluster): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error(`${obj.kind} has no metadata.name`);
  return name;
}

export function namespaceOf(obj: ChildObject | Cluster): string {
  return obj.metadata?.namespace ?? 'default';
}

/** The Cluster that controls a child, by its owner reference. */
export function owningClusterName(child: ChildObject): string | undefined {
  return child.metadata?.ownerReferences?.find((r) => r.controller === true && r.kind === 'Cluster' && r.apiVersion === API_VERSION)?.name;
}

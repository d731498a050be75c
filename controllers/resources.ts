// The kinds the controllers read and write, addressed as the runtime addresses them.
import { API_VERSION, KINDS, type KindName } from '../api/v1alpha1/index.ts';
import { coreResources, resource, type ResourceRef } from '../runtime/index.ts';
import { MANAGED_BY } from './desired/meta.ts';

export const engulaResources: Readonly<Record<KindName, ResourceRef>> = {
  Cluster: resource(API_VERSION, 'Cluster', KINDS.Cluster.plural),
  Journal: resource(API_VERSION, 'Journal', KINDS.Journal.plural),
  Storage: resource(API_VERSION, 'Storage', KINDS.Storage.plural),
  Kernel: resource(API_VERSION, 'Kernel', KINDS.Kernel.plural),
  Engine: resource(API_VERSION, 'Engine', KINDS.Engine.plural),
};

/** The Prometheus Operator's kind: served only where it is installed, so it is not in childOwnedResources
 * (no informer for it) and is written only while runtime's KindAvailability says it is served. */
export const serviceMonitors: ResourceRef = resource('monitoring.coreos.com/v1', 'ServiceMonitor', 'servicemonitors');

/** Everything a child object owns, in the order it is written (the ServiceAccount before the pods that use it). */
export const childOwnedResources: readonly ResourceRef[] = [
  coreResources.serviceAccounts,
  coreResources.services,
  coreResources.podDisruptionBudgets,
  coreResources.statefulSets,
];

/** Every kind the operator writes for a Cluster or a child: the children's plus the Cluster's topology ConfigMap. */
export const ownedResources: readonly ResourceRef[] = [...childOwnedResources, coreResources.configMaps];

/**
 * What the caches of owned kinds are restricted to. Every object the builders in desired/ make
 * carries this label, so the operator caches its own ConfigMaps, Services... and not every team's.
 */
export const MANAGED_BY_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;

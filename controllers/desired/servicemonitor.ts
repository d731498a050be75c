// Prometheus monitoring of a child: its ServiceMonitor (monitoring.coreos.com/v1, the Prometheus
// Operator's kind), the prometheus.io pod annotations, and the MonitoringAvailable condition that
// says whether what spec.monitoring asks for can be done.
import { COMPONENTS, type ChildObject, type Cluster, type LaunchProfileName } from '../../api/v1alpha1/index.ts';
import { COMPONENT_TRAITS } from './traits.ts';
import { DEFAULT_LAUNCH_PROFILE } from '../launch-profiles.ts';
import { desiredChild } from './child.ts';
import type { KubeObject } from '../../runtime/index.ts';
import { CLUSTER_LABEL, controllerRef, labelsFor, nameOf, namespaceOf, selectorLabels } from './meta.ts';
import type { ConditionInput } from './status.ts';
import { METRICS_PORT_NAME, metricsOf, type WorkloadInput } from './workload.ts';

const SERVICE_MONITOR_API_VERSION = 'monitoring.coreos.com/v1';
export const MONITORING_CONDITION = 'MonitoringAvailable';

export function monitoringEnabled(child: ChildObject): boolean {
  return child.spec.monitoring?.enabled === true;
}

/**
 * One ServiceMonitor per child, named and labelled like it and controlled by it (so deleting the
 * child or its Cluster removes it). It selects the child's headless Service by the labels a
 * StatefulSet selects by (they name this child alone) and scrapes the port named "metrics" on every
 * pod behind it; the Service's Cluster label becomes a label of every series.
 */
export function desiredServiceMonitor(input: WorkloadInput): KubeObject {
  const metrics = metricsOf(input);
  if (!metrics) throw new Error(`${nameOf(input.child)} serves no metrics: no ServiceMonitor can scrape it`);
  const name = nameOf(input.child);
  const namespace = namespaceOf(input.child);
  return {
    apiVersion: SERVICE_MONITOR_API_VERSION,
    kind: 'ServiceMonitor',
    metadata: {
      name,
      namespace,
      labels: labelsFor(name, input.traits.component, input.clusterName),
      ownerReferences: [controllerRef(input.child)],
    },
    spec: {
      // The job label of every series: journal, storage, kernel or engine.
      jobLabel: 'app.kubernetes.io/component',
      selector: { matchLabels: selectorLabels(name, input.traits.component) },
      namespaceSelector: { matchNames: [namespace] },
      endpoints: [{ port: METRICS_PORT_NAME, path: metrics.path, scheme: 'http' }],
      targetLabels: [CLUSTER_LABEL],
    },
  };
}

/**
 * MonitoringAvailable, present only while monitoring is asked for: False when the image serves no
 * metrics (nothing to scrape), else True when the ServiceMonitor kind is served, False (with what to
 * install) when it is not. `served` undefined: not known yet.
 */
export function monitoringCondition(requested: boolean, served: boolean | undefined, metrics: { served: boolean; profile: LaunchProfileName }): ConditionInput[] {
  if (!requested) return [];
  if (!metrics.served) {
    return [
      {
        type: MONITORING_CONDITION,
        status: 'False',
        reason: 'NoMetricsServed',
        message:
          `spec.monitoring.enabled is true but the image serves no metrics: launch profile ${metrics.profile} (Engula v0.2) ` +
          'serves none, so no ServiceMonitor is made; if your build serves Prometheus metrics, set metricsPort (and metricsPath)',
      },
    ];
  }
  if (served === true) {
    return [{ type: MONITORING_CONDITION, status: 'True', reason: 'ServiceMonitorsServed', message: `ServiceMonitors (${SERVICE_MONITOR_API_VERSION}) are made for every component` }];
  }
  return [
    {
      type: MONITORING_CONDITION,
      status: served === undefined ? 'Unknown' : 'False',
      reason: served === undefined ? 'Unknown' : 'ServiceMonitorKindNotServed',
      message:
        served === undefined
          ? 'Not yet known whether the API server serves ServiceMonitors'
          : `spec.monitoring.enabled is true but the API server does not serve ServiceMonitor (${SERVICE_MONITOR_API_VERSION}): ` +
            'install the Prometheus Operator (or its CRDs); the ServiceMonitors are made as soon as it is there',
    },
  ];
}

/** Whether any component of the Cluster serves metrics (its spec's metricsPort, or its launch profile's), for the Cluster's condition. */
export function clusterMetrics(cluster: Cluster): { served: boolean; profile: LaunchProfileName } {
  const served = COMPONENTS.some((c) => {
    const child = desiredChild(cluster, c);
    return child !== undefined && metricsOf({ child, traits: COMPONENT_TRAITS[c] }) !== undefined;
  });
  return { served, profile: cluster.spec.launchProfile ?? DEFAULT_LAUNCH_PROFILE };
}

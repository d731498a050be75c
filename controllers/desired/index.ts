// Pure builders of desired objects and status: no I/O, unit-tested with plain objects.
export { desiredChild, mergePullSecrets, ownedChildSpec } from './child.ts';
export { CLUSTER_LABEL, childName, controllerRef, kernelStatusConfigMapName, labelsFor, MANAGED_BY, owningClusterName, selectorLabels, topologyConfigMapName } from './meta.ts';
export { aggregateClusterStatus, childStatusFrom, componentSummary, mergeConditions, REASONS, rollupInputOf, selectorString, type ChildSituation, type ConditionInput } from './status.ts';
export { desiredServiceMonitor, MONITORING_CONDITION, monitoringCondition, monitoringEnabled, SERVICE_MONITOR_API_VERSION } from './servicemonitor.ts';
export { desiredTopologyConfigMap, topologyOf, type Topology } from './topology.ts';
export {
  componentArgs, componentEnv, DATA_PATH, desiredHeadlessService, desiredKernelRole, desiredKernelRoleBinding, desiredKernelStatusConfigMap, desiredPodDisruptionBudget,
  desiredServiceAccount, desiredStatefulSet, METRICS_PATH, METRICS_PORT_NAME, metricsPortOf, portOf, scrapeAnnotations, serviceHost, TOPOLOGY_DIR, TOPOLOGY_FILE, type PeerAddress, type WorkloadInput,
} from './workload.ts';

// Pure builders of desired objects and status: no I/O, unit-tested with plain objects.
export { desiredChild, mergePullSecrets, ownedChildSpec } from './child.ts';
export { CLUSTER_LABEL, childName, controllerRef, labelsFor, MANAGED_BY, owningClusterName, selectorLabels, topologyConfigMapName } from './meta.ts';
export { aggregateClusterStatus, childStatusFrom, componentSummary, mergeConditions, REASONS, rollupInputOf, selectorString, type ChildSituation, type ConditionInput } from './status.ts';
export { clusterMetrics, desiredServiceMonitor, MONITORING_CONDITION, monitoringCondition, monitoringEnabled, SERVICE_MONITOR_API_VERSION } from './servicemonitor.ts';
export { desiredTopologyConfigMap, TOPOLOGY_FILE, topologyOf, type Topology } from './topology.ts';
export {
  componentCommand, componentEnv, DATA_VOLUME, DEFAULT_METRICS_PATH, desiredHeadlessService, desiredPodDisruptionBudget, desiredServiceAccount, desiredStatefulSet,
  launchFor, METRICS_PORT_NAME, metricsOf, portOf, profileOf, scrapeAnnotations, serviceHost, type WorkloadInput,
} from './workload.ts';
export {
  hashOf, inRoll, isWhole, liveStatefulSetOf, planRollout, podReady, ROLL_STEP_DEADLINE_MS, settled, SPEC_HASH_ANNOTATION, specHashOf, stuckReason, TEMPLATE_HASH_ANNOTATION,
  type LiveStatefulSet, type RolloutPlan, type RolloutState,
} from './rollout.ts';

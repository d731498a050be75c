// Pure builders of desired objects and status: no I/O, unit-tested with plain objects.
export { desiredChild, mergePullSecrets, ownedChildSpec } from './child.ts';
export { CLUSTER_LABEL, childName, controllerRef, labelsFor, MANAGED_BY, owningClusterName, selectorLabels, topologyConfigMapName } from './meta.ts';
export { aggregateClusterStatus, childStatusFrom, componentSummary, REASONS, rollupInputOf, selectorString, type ConditionInput } from './status.ts';
export { clusterMetrics, desiredServiceMonitor, MONITORING_CONDITION, monitoringCondition, monitoringEnabled } from './servicemonitor.ts';
export { desiredTopologyConfigMap, topologyOf } from './topology.ts';
export {
  desiredHeadlessService, desiredPodDisruptionBudget, desiredServiceAccount, desiredStatefulSet,
  METRICS_PORT_NAME, metricsOf, profileOf, scrapeAnnotations, serviceHost, type WorkloadInput,
} from './workload.ts';
export {
  hashOf, inRoll, isWhole, liveStatefulSetOf, planRollout, podReady, settled, SPEC_HASH_ANNOTATION, specHashOf, stuckReason, TEMPLATE_HASH_ANNOTATION,
  type LiveStatefulSet, type RolloutPlan, type RolloutState,
} from './rollout.ts';

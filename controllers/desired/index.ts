// Pure builders of desired objects and status: no I/O, unit-tested with plain objects.
export { desiredChild, mergePullSecrets, ownedChildSpec } from './child.ts';
export { CLUSTER_LABEL, childName, controllerRef, kernelStatusConfigMapName, labelsFor, MANAGED_BY, owningClusterName, selectorLabels, topologyConfigMapName } from './meta.ts';
export { aggregateClusterStatus, childStatusFrom, componentSummary, mergeConditions, REASONS, selectorString, type ChildSituation } from './status.ts';
export { desiredTopologyConfigMap, topologyOf, type Topology } from './topology.ts';
export {
  componentArgs, componentEnv, DATA_PATH, desiredHeadlessService, desiredKernelRole, desiredKernelRoleBinding, desiredKernelStatusConfigMap, desiredPodDisruptionBudget,
  desiredServiceAccount, desiredStatefulSet, metricsPortOf, portOf, serviceHost, TOPOLOGY_DIR, TOPOLOGY_FILE, type PeerAddress, type WorkloadInput,
} from './workload.ts';

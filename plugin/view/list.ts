// `kubectl engula status` without a name: one row per Cluster, from the Clusters' own status (the
// operator rolls each component up into it), so a list costs one request. Pure.
import { COMPONENTS } from '../../api/v1alpha1/kinds.ts';
import type { Cluster } from '../../api/v1alpha1/types.generated.ts';
import { isoOf } from './time.ts';
import type { ClusterListView, ClusterSummary } from './types.ts';

export function clusterSummary(cluster: Cluster): ClusterSummary {
  const m = cluster.metadata ?? {};
  const components: ClusterSummary['components'] = {};
  for (const c of COMPONENTS) {
    const spec = cluster.spec[c];
    if (!spec) continue;
    const s = cluster.status?.components?.[c];
    components[c] = { ready: s?.ready ?? 0, desired: spec.replicas, ...(s?.phase ? { phase: s.phase } : {}) };
  }
  const created = isoOf(m.creationTimestamp);
  return {
    namespace: m.namespace ?? '',
    name: m.name ?? '',
    ...(cluster.status?.phase ? { phase: cluster.status.phase } : {}),
    ...(cluster.status?.readySummary ? { readySummary: cluster.status.readySummary } : {}),
    components,
    paused: cluster.spec.paused === true,
    hibernate: cluster.spec.hibernate === true,
    ...(created ? { createdAt: created } : {}),
  };
}

export function clusterListView(clusters: readonly Cluster[]): ClusterListView {
  const items = clusters.map(clusterSummary).sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  return { items };
}

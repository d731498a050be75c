// The `<cluster>-config` ConfigMap: where every component listens and the stable DNS name of every
// pod, for clients and tools (no Engula binary reads it: the pods find each other through the
// names and variables their launch profile gives them). It follows the Cluster's spec (the
// replicas asked for), not the pods that happen to exist: a pod's name is known before it starts.
import { LRUCache } from 'lru-cache';
import { stringify } from 'yaml';
import { COMPONENTS, type Cluster } from '../../api/v1alpha1/index.ts';
import type { KubeObject } from '../../runtime/index.ts';
import { portOf } from './traits.ts';
import { childName, controllerRef, labelsFor, nameOf, namespaceOf, topologyConfigMapName } from './meta.ts';
import { serviceHost } from './workload.ts';

/** The key of the topology in the ConfigMap. */
const TOPOLOGY_FILE = 'topology.yaml';

interface ComponentTopology {
  service: string;
  port: number;
  /** Only where the spec says the image serves metrics. */
  metricsPort?: number;
  replicas: number;
  pods: string[];
}

interface Topology {
  cluster: string;
  namespace: string;
  components: Record<string, ComponentTopology>;
}

export function topologyOf(cluster: Cluster, clusterDomain: string): Topology {
  const namespace = namespaceOf(cluster);
  const components: Record<string, ComponentTopology> = {};
  for (const c of COMPONENTS) {
    const spec = cluster.spec[c];
    if (!spec) continue;
    const name = childName(nameOf(cluster), c);
    const host = serviceHost(name, namespace, clusterDomain);
    components[c] = {
      service: host,
      port: portOf(c, spec),
      ...(spec.metricsPort !== undefined ? { metricsPort: spec.metricsPort } : {}),
      replicas: spec.replicas,
      // A StatefulSet pod's stable name: <sts>-<ordinal>.<headless service>.
      pods: Array.from({ length: spec.replicas }, (_, i) => `${name}-${i}.${host}`),
    };
  }
  return { cluster: cluster.spec.name, namespace, components };
}

/** The YAML of recent topologies: yaml's stringify builds a document tree (most of a Cluster
 * reconcile's CPU), while a Cluster's topology changes only with its spec. Keyed by the JSON. */
const topologyYaml = new LRUCache<string, string>({ max: 256 });

function topologyFile(topology: Topology): string {
  const key = JSON.stringify(topology);
  let text = topologyYaml.get(key);
  if (text === undefined) {
    text = stringify(topology);
    topologyYaml.set(key, text);
  }
  return text;
}

export function desiredTopologyConfigMap(cluster: Cluster, clusterDomain: string): KubeObject {
  const name = nameOf(cluster);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: topologyConfigMapName(name),
      namespace: namespaceOf(cluster),
      labels: labelsFor(name, 'topology', name),
      ownerReferences: [controllerRef(cluster)],
    },
    data: { [TOPOLOGY_FILE]: topologyFile(topologyOf(cluster, clusterDomain)) },
  };
}

// The child object (Journal, Storage, Kernel or Engine) a Cluster runs each component through.
import type { V1LocalObjectReference } from '@kubernetes/client-node';
import { API_VERSION, COMPONENT_KINDS, type ChildObject, type Cluster, type ComponentName, type ImageSpec } from '../../api/v1alpha1/index.ts';
import { CLUSTER_LABEL, childName, controllerRef, MANAGED_BY, nameOf, namespaceOf } from './meta.ts';

/** Secrets from both lists, each once, the Cluster's first. */
export function mergePullSecrets(...lists: Array<V1LocalObjectReference[] | undefined>): V1LocalObjectReference[] | undefined {
  const seen = new Set<string>();
  const out: V1LocalObjectReference[] = [];
  for (const s of lists.flat()) {
    if (!s?.name || seen.has(s.name)) continue;
    seen.add(s.name);
    out.push({ name: s.name });
  }
  return out.length > 0 ? out : undefined;
}

function imageFor(cluster: Cluster, own: ImageSpec | undefined): ImageSpec {
  const base = own ?? cluster.spec.image;
  return { name: base.name, pullPolicy: base.pullPolicy ?? cluster.spec.image.pullPolicy ?? 'IfNotPresent' };
}

/**
 * The child for `component`, or undefined when the Cluster's spec has no such component. Its spec is
 * the component's spec made self-contained: the Cluster's image and pull secrets filled in, and
 * clusterName naming the Cluster object.
 */
export function desiredChild(cluster: Cluster, component: ComponentName): ChildObject | undefined {
  const spec = cluster.spec[component];
  if (spec === undefined) return undefined;
  const clusterName = nameOf(cluster);
  const pullSecrets = mergePullSecrets(cluster.spec.imagePullSecrets, spec.imagePullSecrets);
  const { imagePullSecrets: _drop, ...rest } = spec;
  return {
    apiVersion: API_VERSION,
    kind: COMPONENT_KINDS[component],
    metadata: {
      name: childName(clusterName, component),
      namespace: namespaceOf(cluster),
      labels: {
        'app.kubernetes.io/name': 'engula',
        'app.kubernetes.io/instance': clusterName,
        'app.kubernetes.io/component': component,
        'app.kubernetes.io/part-of': 'engula',
        'app.kubernetes.io/managed-by': MANAGED_BY,
        [CLUSTER_LABEL]: clusterName,
      },
      ownerReferences: [controllerRef(cluster)],
    },
    spec: {
      ...structuredClone(rest),
      clusterName,
      image: imageFor(cluster, spec.image),
      ...(pullSecrets ? { imagePullSecrets: pullSecrets } : {}),
    },
  };
}

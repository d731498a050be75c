// The child object (Journal, Storage, Kernel or Engine) a Cluster runs each component through, and
// what the Cluster owns in it. The admission webhook (and the scaling API) judge a write to a child
// by ownedChildSpec, the same function desiredChild builds the child from, so what the controller
// writes and what admission lets through cannot drift apart.
import type { V1LocalObjectReference } from '@kubernetes/client-node';
import {
  API_VERSION, applyDefaults, COMPONENT_KINDS, INHERITED_POD_SETTINGS, MERGED_POD_SETTINGS, type ChildObject, type ChildSpec, type Cluster, type ComponentName, type ImageSpec,
} from '../../api/v1alpha1/index.ts';
import { childName, controllerRef, labelsFor, nameOf, namespaceOf } from './meta.ts';

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

/** The component's image, else the Cluster's; a pull policy left out is inherited, then defaulted. */
function imageFor(cluster: Cluster, own: ImageSpec | undefined): ImageSpec | undefined {
  const base = own ?? cluster.spec.image;
  if (base === undefined) return undefined;
  return { name: base.name, pullPolicy: base.pullPolicy ?? cluster.spec.image?.pullPolicy ?? 'IfNotPresent' };
}

/**
 * The pod settings a Cluster gives a component, with the component's own: objects and maps merged
 * (the component's fields and keys win), anything else the component's when it has one.
 */
function inheritedPodSettings(cluster: Cluster, component: ComponentName): Record<string, unknown> {
  const own = (cluster.spec[component] ?? {}) as Record<string, unknown>;
  const shared = cluster.spec as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of INHERITED_POD_SETTINGS) {
    const mine = own[key];
    const theirs = shared[key];
    if (theirs === undefined) continue;
    const merged = (MERGED_POD_SETTINGS as readonly string[]).includes(key) || key === 'podAnnotations';
    out[key] = structuredClone(merged && mine !== undefined ? { ...(theirs as object), ...(mine as object) } : (mine ?? theirs));
  }
  return out;
}

/**
 * The spec a Cluster gives its child for `component`, or undefined when the Cluster's spec has no
 * such component: the component's spec made self-contained (the Cluster's image and pull secrets
 * filled in, clusterName naming the Cluster object), with the schema defaults filled in as the
 * apiserver and the mutating webhook fill them on the way in. Every field it sets is owned by the
 * Cluster; so a stored child the controller wrote holds exactly these values.
 */
export function ownedChildSpec(cluster: Cluster, component: ComponentName): ChildSpec | undefined {
  const spec = cluster.spec[component];
  if (spec === undefined) return undefined;
  const { imagePullSecrets: _merged, image: _inherited, ...rest } = spec;
  const image = imageFor(cluster, spec.image);
  const pullSecrets = mergePullSecrets(cluster.spec.imagePullSecrets, spec.imagePullSecrets);
  const child = {
    spec: {
      ...structuredClone(rest),
      ...inheritedPodSettings(cluster, component),
      clusterName: nameOf(cluster),
      // The Cluster's Engula line, monitoring switch and deletion protection hold for every component.
      // A child keeps the protection after its Cluster is deleted, so the deletion-protection policy lets
      // the garbage collector delete a child a Cluster controls (config/policy).
      ...(cluster.spec.launchProfile ? { launchProfile: cluster.spec.launchProfile } : {}),
      ...(cluster.spec.hibernate !== undefined ? { hibernate: cluster.spec.hibernate } : {}),
      ...(cluster.spec.monitoring ? { monitoring: structuredClone(cluster.spec.monitoring) } : {}),
      ...(cluster.spec.deletionProtection !== undefined ? { deletionProtection: cluster.spec.deletionProtection } : {}),
      ...(image ? { image } : {}),
      ...(pullSecrets ? { imagePullSecrets: pullSecrets } : {}),
    },
  };
  return applyDefaults(COMPONENT_KINDS[component], child).spec;
}

/** The child for `component`, or undefined when the Cluster's spec has no such component. */
export function desiredChild(cluster: Cluster, component: ComponentName): ChildObject | undefined {
  const spec = ownedChildSpec(cluster, component);
  if (spec === undefined) return undefined;
  const clusterName = nameOf(cluster);
  return {
    apiVersion: API_VERSION,
    kind: COMPONENT_KINDS[component],
    metadata: {
      name: childName(clusterName, component),
      namespace: namespaceOf(cluster),
      labels: labelsFor(clusterName, component, clusterName),
      ownerReferences: [controllerRef(cluster)],
    },
    spec,
  };
}

// The admission rules that a schema cannot express: they need the old object, a flag of the
// operator, or another object (the Cluster that owns a child). Pure functions of their inputs, so
// each is unit-tested with plain objects; the handler fetches the Cluster and passes it in.
import { isDeepStrictEqual } from 'node:util';
import {
  API_VERSION, COMPONENTS, KINDS, MIN_REPLICAS, STATEFUL_COMPONENTS, type ChildKindName, type ComponentName, type KindName,
} from '../../api/v1alpha1/kinds.ts';
import type { Cluster } from '../../api/v1alpha1/index.ts';
import { ownedChildSpec } from '../../controllers/desired/child.ts';
import { isRecord } from '../../runtime/index.ts';
import { mayHoldSecrets, type FieldRefusal } from './review.ts';

export type JsonObject = Record<string, unknown>;

function field(obj: unknown, ...path: string[]): unknown {
  let v = obj;
  for (const p of path) {
    if (!isRecord(v)) return undefined;
    v = v[p];
  }
  return v;
}

const STATEFUL: readonly ComponentName[] = STATEFUL_COMPONENTS;

export interface RuleOptions {
  /** The operator's --max-replicas. */
  maxReplicas: number;
}

export function replicasRule(path: string, value: unknown, component: ComponentName, opts: RuleOptions): FieldRefusal[] {
  const min = MIN_REPLICAS[component];
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= opts.maxReplicas) return [];
  const why =
    min > 0
      ? `must be an integer from ${min} to ${opts.maxReplicas}: the ${component} needs at least ${min} replica to coordinate the cluster`
      : `must be an integer from 0 to ${opts.maxReplicas}`;
  const limit = typeof value === 'number' && value > opts.maxReplicas ? ` (the operator's --max-replicas is ${opts.maxReplicas})` : '';
  return [{ field: path, value, rule: why + limit, kind: 'invalid' }];
}

function volumeRule(path: string, oldVolume: unknown, newVolume: unknown): FieldRefusal[] {
  if (isDeepStrictEqual(oldVolume, newVolume)) return [];
  return [
    {
      field: path,
      value: newVolume ?? null,
      rule:
        "cannot be added, changed or removed once the component exists, because a StatefulSet's volume claim " +
        `templates are immutable; put back the previous value (${JSON.stringify(oldVolume ?? null)}), or delete and ` +
        'recreate the component to use another volume (its PersistentVolumeClaims are kept)',
      kind: 'forbidden',
    },
  ];
}

function scaleDownRefusal(path: string, component: ComponentName, from: number, to: number | undefined, cluster: string, namespace: string): FieldRefusal {
  const what = to === undefined ? `removing the ${component} (${from} replicas)` : `scaling the ${component} down from ${from} to ${to}`;
  return {
    field: path,
    value: to ?? null,
    rule:
      `${what} removes members that hold data, so it needs spec.allowScaleDown: true on Cluster ${cluster}; ` +
      `allow it first with: kubectl patch cluster ${cluster} -n ${namespace} --type merge -p '{"spec":{"allowScaleDown":true}}'`,
    kind: 'forbidden',
  };
}

/** Rules for a Cluster on CREATE (oldCluster undefined) or UPDATE. */
export function clusterRules(cluster: JsonObject, oldCluster: JsonObject | undefined, opts: RuleOptions): FieldRefusal[] {
  const out: FieldRefusal[] = [];
  const spec = field(cluster, 'spec');
  const oldSpec = field(oldCluster, 'spec');
  const name = String(field(cluster, 'metadata', 'name') ?? '');
  const namespace = String(field(cluster, 'metadata', 'namespace') ?? '');
  const allowScaleDown = field(spec, 'allowScaleDown') === true;
  for (const c of COMPONENTS) {
    const comp = field(spec, c);
    const oldComp = field(oldSpec, c);
    if (comp !== undefined) out.push(...replicasRule(`spec.${c}.replicas`, field(comp, 'replicas'), c, opts));
    if (oldComp === undefined || oldCluster === undefined) continue;
    if (comp !== undefined) out.push(...volumeRule(`spec.${c}.volume`, field(oldComp, 'volume'), field(comp, 'volume')));
    if (STATEFUL.includes(c) && !allowScaleDown) {
      const from = field(oldComp, 'replicas');
      const to = field(comp, 'replicas');
      if (typeof from !== 'number') continue;
      if (comp === undefined && from > 0) out.push(scaleDownRefusal(`spec.${c}`, c, from, undefined, name, namespace));
      else if (typeof to === 'number' && to < from) out.push(scaleDownRefusal(`spec.${c}.replicas`, c, from, to, name, namespace));
    }
  }
  return out;
}

/** The controlling ownerReference to a Cluster, if the child has one. */
export function controllingCluster(child: unknown): { name: string; uid: string } | undefined {
  const refs = field(child, 'metadata', 'ownerReferences');
  if (!Array.isArray(refs)) return undefined;
  for (const ref of refs) {
    if (isRecord(ref) && ref.controller === true && ref.kind === KINDS.Cluster.kind && ref.apiVersion === API_VERSION && typeof ref.name === 'string') {
      return { name: ref.name, uid: typeof ref.uid === 'string' ? ref.uid : '' };
    }
  }
  return undefined;
}

/**
 * An update may not take a child from the Cluster that controls it (`controller`: the Cluster the
 * stored child's controller reference names, which exists with that uid). Without the reference the
 * Cluster's rules (owned fields, the scale-down guard) no longer apply to the child, and the Cluster,
 * which never writes an object it does not control, reports NameTaken for ever. The garbage
 * collector drops the reference itself when the Cluster is deleted with --cascade=orphan, so a
 * Cluster on its way out lets go.
 */
export function controllerReferenceRule(kind: ChildKindName, child: JsonObject, controller: JsonObject): FieldRefusal[] {
  if (field(controller, 'metadata', 'deletionTimestamp') !== undefined) return [];
  const clusterName = String(field(controller, 'metadata', 'name') ?? '');
  const ref = controllingCluster(child);
  if (ref !== undefined && ref.name === clusterName && ref.uid === field(controller, 'metadata', 'uid')) return [];
  const childName = String(field(child, 'metadata', 'name') ?? '');
  const namespace = String(field(child, 'metadata', 'namespace') ?? field(controller, 'metadata', 'namespace') ?? '');
  const change =
    ref === undefined
      ? 'removes that controller reference'
      : `replaces that controller reference with one to ${ref.name === clusterName ? `uid ${JSON.stringify(ref.uid)}` : `Cluster ${ref.name}`}`;
  return [
    {
      field: 'metadata.ownerReferences',
      value: field(child, 'metadata', 'ownerReferences') ?? null,
      rule:
        `${kind} ${childName} is controlled by Cluster ${clusterName}, and this update ${change}; ` +
        `the reference stays while the Cluster exists. Keep metadata.ownerReferences as stored (kubectl get -o yaml keeps them for kubectl replace) ` +
        `and make changes on the Cluster instead: kubectl edit cluster ${clusterName} -n ${namespace}; to detach the Cluster's children, ` +
        `delete the Cluster without them: kubectl delete cluster ${clusterName} -n ${namespace} --cascade=orphan`,
      kind: 'forbidden',
    },
  ];
}

/**
 * What the Cluster owns in its child for `component`: every field of the spec the ClusterController
 * writes (ownedChildSpec, the builder it writes with, defaults included). When the Cluster no longer
 * has the component (the child is about to be deleted) it still owns clusterName. A field the
 * Cluster leaves unset is not owned, so a person may add it to the child.
 */
function ownedSpecOf(cluster: JsonObject, component: ComponentName): JsonObject {
  // The Cluster comes from the apiserver, so it has passed the Cluster schema.
  const owned = ownedChildSpec(cluster as Cluster, component);
  return owned === undefined ? { clusterName: field(cluster, 'metadata', 'name') } : (owned as JsonObject);
}

/** `{"spec":{"journal":{"replicas":5}}}`, for the command a refusal suggests. */
function clusterPatch(component: ComponentName, key: string, value: unknown): string {
  return JSON.stringify({ spec: { [component]: { [key]: value } } });
}

/**
 * A hand edit of a field the Cluster owns. It names the child, the Cluster and the command to use,
 * and never the Cluster's value: the Cluster is read with the operator's rights, and whoever sent
 * the review may not be allowed to read it. The value the request itself carries may be named,
 * except env (often credentials, and refusals are logged).
 */
function ownedRefusal(kind: ChildKindName, childName: string, clusterName: string, namespace: string, key: string, value: unknown): FieldRefusal {
  const component = KINDS[kind].component;
  const secret = mayHoldSecrets(`spec.${key}`, value);
  const fix =
    key === 'clusterName'
      ? 'create a new object instead'
      : secret
        ? `change spec.${component}.${key} on the Cluster instead: kubectl edit cluster ${clusterName} -n ${namespace}`
        : `change it on the Cluster instead: kubectl patch cluster ${clusterName} -n ${namespace} --type merge -p '${clusterPatch(component, key, value ?? null)}'`;
  return {
    field: `spec.${key}`,
    ...(secret ? {} : { value: value ?? null }),
    rule: `${kind} ${childName} belongs to Cluster ${clusterName}, which sets this field; ${fix}`,
    kind: 'forbidden',
  };
}

/**
 * Each spec field the child's Cluster owns must hold the value the Cluster gives it, once the write
 * touches it: a new child carries them all (as the controller's does), and an update may leave one
 * as it was (the controller puts it right) or bring it to the Cluster's value, nothing else.
 */
export function ownedFieldRules(kind: ChildKindName, child: JsonObject, oldChild: JsonObject | undefined, cluster: JsonObject): FieldRefusal[] {
  const owned = ownedSpecOf(cluster, KINDS[kind].component);
  const spec = field(child, 'spec');
  const oldSpec = field(oldChild, 'spec');
  const out: FieldRefusal[] = [];
  const childName = String(field(child, 'metadata', 'name') ?? '');
  const clusterName = String(field(cluster, 'metadata', 'name') ?? '');
  const namespace = String(field(child, 'metadata', 'namespace') ?? field(cluster, 'metadata', 'namespace') ?? '');
  for (const [key, ownedValue] of Object.entries(owned)) {
    if (ownedValue === undefined) continue;
    const value = field(spec, key);
    if (oldChild !== undefined && isDeepStrictEqual(value, field(oldSpec, key))) continue;
    if (isDeepStrictEqual(value, ownedValue)) continue;
    out.push(ownedRefusal(kind, childName, clusterName, namespace, key, value));
  }
  return out;
}

/**
 * Rules for a child (Journal, Storage, Kernel, Engine) on CREATE or UPDATE. `cluster` is its
 * controlling Cluster (on UPDATE, the stored child's) when it has one that still exists with the
 * uid the reference carries, else undefined.
 */
export function childRules(kind: ChildKindName, child: JsonObject, oldChild: JsonObject | undefined, cluster: JsonObject | undefined, opts: RuleOptions): FieldRefusal[] {
  const component = KINDS[kind].component;
  const out: FieldRefusal[] = [...replicasRule('spec.replicas', field(child, 'spec', 'replicas'), component, opts)];
  if (oldChild !== undefined) out.push(...volumeRule('spec.volume', field(oldChild, 'spec', 'volume'), field(child, 'spec', 'volume')));
  if (cluster === undefined) return out;
  out.push(...ownedFieldRules(kind, child, oldChild, cluster));
  if (oldChild !== undefined) out.push(...childScaleDownRule(component, field(oldChild, 'spec', 'replicas'), field(child, 'spec', 'replicas'), cluster));
  return out;
}

/**
 * A stateful child whose replicas its Cluster no longer sets (the component left the Cluster's spec)
 * shrinks only when the Cluster allows it. Replicas the Cluster sets need no second check: the
 * Cluster's own change was judged when it was made, the child only follows it, and any other value
 * is a hand edit the ownership rule refuses.
 */
function childScaleDownRule(component: ComponentName, from: unknown, to: unknown, cluster: JsonObject): FieldRefusal[] {
  if (!STATEFUL.includes(component) || typeof from !== 'number' || typeof to !== 'number' || to >= from) return [];
  if (ownedSpecOf(cluster, component).replicas !== undefined) return [];
  if (field(cluster, 'spec', 'allowScaleDown') === true) return [];
  return [scaleDownRefusal('spec.replicas', component, from, to, String(field(cluster, 'metadata', 'name')), String(field(cluster, 'metadata', 'namespace') ?? ''))];
}

/**
 * Rules for the scale subresource of a child (kubectl scale, an HPA). The Scale object carries only
 * replicas, so the child itself is passed in to learn its owner. The replicas it shrinks from are the
 * old Scale's, never the stored child's, so a refusal only repeats what the request brought.
 */
export function scaleRules(kind: ChildKindName, scale: JsonObject, oldScale: JsonObject | undefined, child: JsonObject | undefined, cluster: JsonObject | undefined, opts: RuleOptions): FieldRefusal[] {
  const component = KINDS[kind].component;
  const to = field(scale, 'spec', 'replicas');
  const out = replicasRule('spec.replicas', to, component, opts);
  if (out.length > 0 || cluster === undefined) return out;
  const from = field(oldScale, 'spec', 'replicas');
  const owned = ownedSpecOf(cluster, component).replicas;
  const name = String(field(scale, 'metadata', 'name') ?? field(child, 'metadata', 'name') ?? '');
  const namespace = String(field(scale, 'metadata', 'namespace') ?? field(cluster, 'metadata', 'namespace') ?? '');
  if (owned !== undefined && to !== from && to !== owned) {
    const r = ownedRefusal(kind, name, String(field(cluster, 'metadata', 'name')), namespace, 'replicas', to);
    return [{ ...r, rule: `${r.rule} (kubectl scale and autoscalers cannot resize a component that a Cluster manages)` }];
  }
  return childScaleDownRule(component, from, to, cluster);
}

/** Which kind an admission request is about, from its resource (plural), or undefined. */
export function kindOfResource(resource: string): KindName | undefined {
  for (const [kind, info] of Object.entries(KINDS)) if (info.plural === resource) return kind as KindName;
  return undefined;
}

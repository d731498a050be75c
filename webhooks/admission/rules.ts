// The admission rules that a schema cannot express: they need the old object, a flag of the
// operator, or another object (the Cluster that owns a child). Pure functions of their inputs, so
// each is unit-tested with plain objects; the handler fetches the Cluster and passes it in.
import { isDeepStrictEqual } from 'node:util';
import {
  API_VERSION, COMPONENTS, KINDS, MIN_REPLICAS, STATEFUL_COMPONENTS, type ChildKindName, type ComponentName, type KindName,
} from '../../api/v1alpha1/kinds.ts';
import type { Refusal } from './review.ts';

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function field(obj: unknown, ...path: string[]): unknown {
  let v = obj;
  for (const p of path) {
    if (!isObject(v)) return undefined;
    v = v[p];
  }
  return v;
}

const STATEFUL: readonly ComponentName[] = STATEFUL_COMPONENTS;

export interface RuleOptions {
  /** The operator's --max-replicas. */
  maxReplicas: number;
}

export function replicasRule(path: string, value: unknown, component: ComponentName, opts: RuleOptions): Refusal[] {
  const min = MIN_REPLICAS[component];
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= opts.maxReplicas) return [];
  const why =
    min > 0
      ? `must be an integer from ${min} to ${opts.maxReplicas}: the ${component} needs at least ${min} replica to coordinate the cluster`
      : `must be an integer from 0 to ${opts.maxReplicas}`;
  const limit = typeof value === 'number' && value > opts.maxReplicas ? ` (the operator's --max-replicas is ${opts.maxReplicas})` : '';
  return [{ field: path, value, rule: why + limit, kind: 'invalid' }];
}

function volumeRule(path: string, oldVolume: unknown, newVolume: unknown): Refusal[] {
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

function scaleDownRefusal(path: string, component: ComponentName, from: number, to: number | undefined, cluster: string, namespace: string): Refusal {
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
export function clusterRules(cluster: JsonObject, oldCluster: JsonObject | undefined, opts: RuleOptions): Refusal[] {
  const out: Refusal[] = [];
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
    if (isObject(ref) && ref.controller === true && ref.kind === KINDS.Cluster.kind && ref.apiVersion === API_VERSION && typeof ref.name === 'string') {
      return { name: ref.name, uid: typeof ref.uid === 'string' ? ref.uid : '' };
    }
  }
  return undefined;
}

/**
 * The value a Cluster gives each field of one child's spec. A field the Cluster leaves unset is not
 * owned (undefined). A child without its own image runs the Cluster's, so the Cluster's image also
 * counts as the value it gives `image`. The ClusterController writes exactly these values, which
 * is why its writes pass the ownership rule while a person's hand edit does not.
 */
export function ownedChildValue(cluster: JsonObject, component: ComponentName, key: string): unknown {
  if (key === 'clusterName') return field(cluster, 'metadata', 'name');
  const comp = field(cluster, 'spec', component);
  if (!isObject(comp)) return undefined;
  if (key === 'image') return comp.image ?? field(cluster, 'spec', 'image');
  return comp[key];
}

/** `{"spec":{"journal":{"replicas":5}}}`, for the command a refusal suggests. */
function clusterPatch(component: ComponentName, key: string, value: unknown): string {
  return JSON.stringify({ spec: { [component]: { [key]: value } } });
}

function ownedRefusal(kind: ChildKindName, childName: string, clusterName: string, namespace: string, key: string, value: unknown, owned: unknown): Refusal {
  const component = KINDS[kind].component;
  const fix =
    key === 'clusterName'
      ? 'create a new object instead'
      : `change it on the Cluster instead: kubectl patch cluster ${clusterName} -n ${namespace} --type merge -p '${clusterPatch(component, key, value ?? null)}'`;
  return {
    field: `spec.${key}`,
    value: value ?? null,
    rule: `${kind} ${childName} belongs to Cluster ${clusterName}, which sets this field to ${JSON.stringify(owned)}; ${fix}`,
    kind: 'forbidden',
  };
}

/** A change to a spec field the child's Cluster owns must bring it to the Cluster's value. */
export function ownedFieldRules(kind: ChildKindName, child: JsonObject, oldChild: JsonObject | undefined, cluster: JsonObject): Refusal[] {
  const component = KINDS[kind].component;
  const spec = field(child, 'spec');
  const oldSpec = field(oldChild, 'spec');
  const keys = new Set([...Object.keys(isObject(spec) ? spec : {}), ...Object.keys(isObject(oldSpec) ? oldSpec : {})]);
  const out: Refusal[] = [];
  const childName = String(field(child, 'metadata', 'name') ?? '');
  const clusterName = String(field(cluster, 'metadata', 'name') ?? '');
  const namespace = String(field(child, 'metadata', 'namespace') ?? field(cluster, 'metadata', 'namespace') ?? '');
  for (const key of keys) {
    const owned = ownedChildValue(cluster, component, key);
    if (owned === undefined) continue;
    const value = field(spec, key);
    if (oldChild !== undefined && isDeepStrictEqual(value, field(oldSpec, key))) continue;
    if (isDeepStrictEqual(value, owned)) continue;
    out.push(ownedRefusal(kind, childName, clusterName, namespace, key, value, owned));
  }
  return out;
}

/**
 * Rules for a child (Journal, Storage, Kernel, Engine) on CREATE or UPDATE. `cluster` is its
 * controlling Cluster when it has one that still exists (same uid), else undefined.
 */
export function childRules(kind: ChildKindName, child: JsonObject, oldChild: JsonObject | undefined, cluster: JsonObject | undefined, opts: RuleOptions): Refusal[] {
  const component = KINDS[kind].component;
  const out: Refusal[] = [...replicasRule('spec.replicas', field(child, 'spec', 'replicas'), component, opts)];
  if (oldChild !== undefined) out.push(...volumeRule('spec.volume', field(oldChild, 'spec', 'volume'), field(child, 'spec', 'volume')));
  if (cluster === undefined) return out;
  out.push(...ownedFieldRules(kind, child, oldChild, cluster));
  if (oldChild !== undefined) {
    const from = field(oldChild, 'spec', 'replicas');
    const to = field(child, 'spec', 'replicas');
    out.push(...childScaleDownRule(component, from, to, cluster, out));
  }
  return out;
}

function childScaleDownRule(component: ComponentName, from: unknown, to: unknown, cluster: JsonObject, already: Refusal[]): Refusal[] {
  if (!STATEFUL.includes(component) || typeof from !== 'number' || typeof to !== 'number' || to >= from) return [];
  if (field(cluster, 'spec', 'allowScaleDown') === true) return [];
  // An edit already refused as a hand edit of an owned field needs no second reason.
  if (already.some((r) => r.field === 'spec.replicas')) return [];
  return [scaleDownRefusal('spec.replicas', component, from, to, String(field(cluster, 'metadata', 'name')), String(field(cluster, 'metadata', 'namespace') ?? ''))];
}

/**
 * Rules for the scale subresource of a child (kubectl scale, an HPA). The Scale object carries only
 * replicas, so the child itself is passed in to learn its owner.
 */
export function scaleRules(kind: ChildKindName, scale: JsonObject, oldScale: JsonObject | undefined, child: JsonObject | undefined, cluster: JsonObject | undefined, opts: RuleOptions): Refusal[] {
  const component = KINDS[kind].component;
  const to = field(scale, 'spec', 'replicas');
  const out = replicasRule('spec.replicas', to, component, opts);
  if (out.length > 0 || cluster === undefined) return out;
  const from = field(oldScale, 'spec', 'replicas') ?? field(child, 'spec', 'replicas');
  const owned = ownedChildValue(cluster, component, 'replicas');
  const name = String(field(scale, 'metadata', 'name') ?? field(child, 'metadata', 'name') ?? '');
  const namespace = String(field(scale, 'metadata', 'namespace') ?? field(cluster, 'metadata', 'namespace') ?? '');
  if (owned !== undefined && to !== from && to !== owned) {
    const r = ownedRefusal(kind, name, String(field(cluster, 'metadata', 'name')), namespace, 'replicas', to, owned);
    return [{ ...r, rule: `${r.rule} (kubectl scale and autoscalers cannot resize a component that a Cluster manages)` }];
  }
  return childScaleDownRule(component, from, to, cluster, []);
}

/** Which kind an admission request is about, from its resource (plural), or undefined. */
export function kindOfResource(resource: string): KindName | undefined {
  for (const [kind, info] of Object.entries(KINDS)) if (info.plural === resource) return kind as KindName;
  return undefined;
}

// Property test of what a Cluster owns in its children: for generated Clusters, (a) the child the
// ClusterController writes, after the defaulting on the way in, always passes the validating webhook,
// on CREATE and on UPDATE from the child of an earlier spec; (b) a hand edit of any field the Cluster
// sets (a new value, or the field removed, or a child created with it) is always refused, naming
// the field, and no refusal repeats an env value. The decisions are the real handlers' (mutate,
// validate) with the real generated validators, the Cluster served from memory.
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { applyDefaults, COMPONENTS, KINDS, COMPONENT_KINDS, type ChildKindName, type Cluster, type ComponentName } from '../../../api/v1alpha1/index.ts';
import { desiredChild, ownedChildSpec } from '../../../controllers/desired/child.ts';
import { mutate, validate } from '../../../webhooks/admission/handlers.ts';
import { applyJsonPatch } from '../../support/json-patch.ts';
import { parseAdmissionReview, type AdmissionRequest, type AdmissionReviewResponse } from '../../../webhooks/admission/review.ts';
import { isRecord as isObject } from '../../../runtime/index.ts';
import type { JsonObject } from '../../../webhooks/admission/rules.ts';
import { staticObjectReader } from '../../../webhooks/admission/state.ts';
import { apiSchemas } from '../../../webhooks/index.ts';
import { admissionReview } from '../../support/admission.ts';
import { clusterFrom, clusterSpec, MAX_REPLICAS, SECRET_MARK } from './fixtures/clusters.ts';

const SEED = 20261123;
const RUNS = Number(process.env.OWNERSHIP_RUNS ?? 2000);

const resourceOf = (component: ComponentName) => KINDS[COMPONENT_KINDS[component]].plural;

function requestOf(input: Parameters<typeof admissionReview>[0]): AdmissionRequest {
  const parsed = parseAdmissionReview(admissionReview(input));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.request;
}

/** The object as the validating webhook sees it: after the mutating webhook's patch (the same defaults the CRD applies). */
function admittedForm(object: JsonObject, resource: string, operation: 'CREATE' | 'UPDATE', oldObject?: JsonObject): JsonObject {
  const answer = mutate(requestOf({ operation, resource, object, ...(oldObject ? { oldObject } : {}) }), { schemas: apiSchemas });
  assert.equal(answer.response.allowed, true);
  const patch = answer.response.patch === undefined ? [] : JSON.parse(Buffer.from(answer.response.patch, 'base64').toString());
  return applyJsonPatch(object, patch) as JsonObject;
}

async function judge(cluster: JsonObject, resource: string, object: JsonObject, oldObject?: JsonObject): Promise<AdmissionReviewResponse> {
  const operation = oldObject ? 'UPDATE' : 'CREATE';
  const deps = { schemas: apiSchemas, reader: staticObjectReader([cluster]), maxReplicas: MAX_REPLICAS };
  return validate(requestOf({ operation, resource, object, ...(oldObject ? { oldObject } : {}) }), deps);
}

/** The Cluster as stored: defaulted when it went through the mutating webhook (or an older one, without). */
function storedCluster(spec: JsonObject, defaulted: boolean): JsonObject {
  const c = clusterFrom(spec);
  return defaulted ? applyDefaults('Cluster', c) : c;
}

function storedChild(cluster: JsonObject, component: ComponentName): JsonObject | undefined {
  const child = desiredChild(cluster as unknown as Cluster, component);
  return child && admittedForm(child as unknown as JsonObject, resourceOf(component), 'CREATE');
}

/** An earlier spec the Cluster could have changed from: its volumes cannot change, so they match. */
function predecessor(before: JsonObject, now: JsonObject): JsonObject {
  const out = structuredClone(before);
  for (const c of COMPONENTS) {
    const a = out[c];
    const b = now[c];
    if (!isObject(a) || !isObject(b)) continue;
    if (b.volume === undefined) delete a.volume;
    else a.volume = structuredClone(b.volume);
  }
  return out;
}

function noSecretIn(answer: AdmissionReviewResponse): void {
  assert.ok(!JSON.stringify(answer).includes(SECRET_MARK), `an env value leaked: ${JSON.stringify(answer.response.status)}`);
}

/** What the generated Clusters covered, so the test shows it met the shapes of the reported bug. */
const seen = { clusters: 0, secretsAtBothLevelsOverlapping: 0, inheritedImage: 0, ownImageWithoutPolicyUnderPolicy: 0, stringQuantities: 0, emptyEnvValue: 0, volumes: 0, childrenChecked: 0, handEdits: 0 };

function tally(spec: JsonObject): void {
  seen.clusters++;
  const top = new Set(((spec.imagePullSecrets as { name: string }[] | undefined) ?? []).map((s) => s.name));
  const comps = COMPONENTS.map((c) => spec[c]).filter(isObject);
  if (comps.some((c) => ((c.imagePullSecrets as { name: string }[] | undefined) ?? []).some((s) => top.has(s.name)))) seen.secretsAtBothLevelsOverlapping++;
  if (comps.some((c) => c.image === undefined)) seen.inheritedImage++;
  const clusterPolicy = (spec.image as JsonObject).pullPolicy;
  if (clusterPolicy !== undefined && comps.some((c) => isObject(c.image) && c.image.pullPolicy === undefined)) seen.ownImageWithoutPolicyUnderPolicy++;
  if (JSON.stringify(comps.map((c) => c.resource ?? {})).match(/":"[0-9.+]/)) seen.stringQuantities++;
  if (comps.some((c) => ((c.env as JsonObject[] | undefined) ?? []).some((e) => e.value === ''))) seen.emptyEnvValue++;
  if (comps.some((c) => c.volume !== undefined)) seen.volumes++;
}

/** A different value for an owned field, of the right shape, so only ownership can refuse it. */
function handEdit(key: string, value: unknown, owned: JsonObject): unknown {
  const v = value as never;
  const otherPort = (p: number, avoid: unknown) => {
    let q = (p % 65535) + 1;
    if (q === avoid) q = (q % 65535) + 1;
    return q;
  };
  switch (key) {
    case 'clusterName':
      return `${String(value)}-x`;
    case 'replicas':
      return (value as number) < MAX_REPLICAS ? (value as number) + 1 : (value as number) - 1;
    case 'image':
      return { ...(v as JsonObject), name: `${String((v as JsonObject).name)}-hand` };
    case 'port':
      return otherPort(value as number, owned.metricsPort);
    case 'metricsPort':
      return otherPort(value as number, owned.port);
    case 'resource':
      return { ...(v as JsonObject), limits: { ...((v as JsonObject).limits as JsonObject | undefined), 'example.com/hand': 1 } };
    case 'volume': {
      const vol = v as { source?: JsonObject; spec?: JsonObject };
      return vol.source ? { source: { ...vol.source, claimName: `${String(vol.source.claimName)}-hand` } } : { spec: { ...vol.spec, storageClassName: 'hand' } };
    }
    case 'launchProfile':
      return value === 'v0.2.0' ? 'v0.2-kube-dns' : 'v0.2.0';
    case 'metricsPath':
      return `${String(value)}/hand`;
    case 'command':
    case 'args':
      return [...(v as string[]), '--hand'];
    case 'monitoring':
      return { ...(v as JsonObject), enabled: (v as JsonObject).enabled !== true };
    case 'deletionProtection':
      return value !== true;
    case 'persistentVolumeClaimRetentionPolicy':
      return { ...(v as JsonObject), whenDeleted: (v as JsonObject).whenDeleted === 'Delete' ? 'Retain' : 'Delete' };
    case 'imagePullSecrets':
      return [...(v as JsonObject[]), { name: 'hand-added' }];
    case 'nodeSelector':
    case 'podAnnotations':
      return { ...(v as JsonObject), hand: 'x' };
    case 'tolerations':
      return [...(v as JsonObject[]), { key: 'hand', operator: 'Exists' }];
    case 'affinity':
      return { ...(v as JsonObject), podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'hand' }] } };
    case 'topologySpreadConstraints':
      return [...(v as JsonObject[]), { maxSkew: 1, topologyKey: 'hand', whenUnsatisfiable: 'ScheduleAnyway' }];
    case 'env': {
      const list = v as JsonObject[];
      const i = list.findIndex((e) => typeof e.value === 'string');
      // A changed value is the sneaky edit: same names, another secret.
      return i >= 0 ? list.map((e, j) => (j === i ? { ...e, value: `${SECRET_MARK}edited` } : e)) : [...list, { name: 'HAND', value: `${SECRET_MARK}hand` }];
    }
    default:
      throw new Error(`no hand edit for spec.${key}: the Cluster now owns a new field; teach this test to edit it`);
  }
}

function withSpecField(obj: JsonObject, key: string, value: unknown): JsonObject {
  const copy = structuredClone(obj);
  const spec = copy.spec as JsonObject;
  if (value === undefined) delete spec[key];
  else spec[key] = structuredClone(value);
  return copy;
}

async function assertRefused(cluster: JsonObject, resource: string, key: string, edited: JsonObject, old: JsonObject | undefined, how: string): Promise<void> {
  const answer = await judge(cluster, resource, edited, old);
  noSecretIn(answer);
  const msg = answer.response.status?.message ?? '';
  assert.equal(answer.response.allowed, false, `${how} of spec.${key} was admitted`);
  const causes = answer.response.status?.details?.causes ?? [];
  assert.ok(causes.some((c) => c.field === `spec.${key}`), `${how} of spec.${key}: refusal does not name the field: ${msg}`);
  // Where the schema (a CEL rule: immutable volume or clusterName, metricsPort != port) refuses the
  // field first, its message stands; otherwise the refusal is the ownership rule's.
  const schemaRefuses = apiSchemas.validate(String(edited.kind) as ChildKindName, edited, old).some((i) => i.field === `spec.${key}`);
  if (!schemaRefuses) assert.match(msg, /belongs to Cluster demo, which sets this field/, `${how} of spec.${key}`);
  seen.handEdits++;
}

describe('what a Cluster owns in its children (property test, fast-check)', { concurrency: false }, () => {
  test(`the controller's child passes the webhook on CREATE and UPDATE (${RUNS} generated Clusters, seed ${SEED})`, async (t) => {
    await fc.assert(
      fc.asyncProperty(clusterSpec, clusterSpec, fc.boolean(), async (now, before, defaulted) => {
        tally(now);
        const cluster = storedCluster(now, defaulted);
        const previous = storedCluster(predecessor(before, now), defaulted);
        const own = await judge(cluster, 'clusters', admittedForm(cluster, 'clusters', 'CREATE'));
        assert.equal(own.response.allowed, true, `the generator made a Cluster the webhook refuses: ${own.response.status?.message}`);
        for (const c of COMPONENTS) {
          const child = storedChild(cluster, c);
          if (child === undefined) continue;
          const created = await judge(cluster, resourceOf(c), child);
          noSecretIn(created);
          assert.equal(created.response.allowed, true, `CREATE of the ${c} child refused: ${created.response.status?.message}`);
          const old = storedChild(previous, c);
          if (old !== undefined) {
            const updated = await judge(cluster, resourceOf(c), admittedForm(child, resourceOf(c), 'UPDATE', old), old);
            noSecretIn(updated);
            assert.equal(updated.response.allowed, true, `UPDATE of the ${c} child refused: ${updated.response.status?.message}`);
          }
          seen.childrenChecked++;
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    const { handEdits: _none, ...shapes } = seen;
    t.diagnostic(`generated ${seen.clusters} Clusters (and as many earlier specs): ${JSON.stringify(shapes)}`);
    assert.equal(seen.clusters, RUNS);
    for (const [shape, n] of Object.entries(shapes)) assert.ok(n >= RUNS / 20, `too few generated Clusters with ${shape}: ${n}`);
  });

  test(`a hand edit of any owned field is refused, naming the field (${RUNS} generated Clusters, seed ${SEED + 1})`, async (t) => {
    const before = { ...seen };
    const editedKeys = new Map<string, number>();
    // One owned field per component and Cluster (all of them would take minutes); which one is drawn too.
    const picks = fc.array(fc.nat(), { minLength: COMPONENTS.length, maxLength: COMPONENTS.length });
    await fc.assert(
      fc.asyncProperty(clusterSpec, fc.boolean(), picks, async (spec, defaulted, pick) => {
        tally(spec);
        const cluster = storedCluster(spec, defaulted);
        for (const [i, c] of COMPONENTS.entries()) {
          const child = storedChild(cluster, c);
          const owned = ownedChildSpec(cluster as unknown as Cluster, c) as unknown as JsonObject | undefined;
          if (child === undefined || owned === undefined) continue;
          const resource = resourceOf(c);
          const keys = Object.keys(owned);
          const key = keys[pick[i]! % keys.length]!;
          const value = owned[key];
          editedKeys.set(key, (editedKeys.get(key) ?? 0) + 1);
          const changed = withSpecField(child, key, handEdit(key, value, owned));
          await assertRefused(cluster, resource, key, admittedForm(changed, resource, 'UPDATE', child), child, 'change');
          await assertRefused(cluster, resource, key, admittedForm(changed, resource, 'CREATE'), undefined, 'a new child with a change');
          // Removing a field that defaulting puts back as it was is no edit at all.
          const removed = admittedForm(withSpecField(child, key, undefined), resource, 'UPDATE', child);
          if (!isDeepStrictEqual((removed.spec as JsonObject)[key], value)) await assertRefused(cluster, resource, key, removed, child, 'removal');
        }
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
    t.diagnostic(`generated ${seen.clusters - before.clusters} Clusters; ${seen.handEdits - before.handEdits} hand edits, all refused; edits per field: ${JSON.stringify(Object.fromEntries(editedKeys))}`);
    // Every field a component can set was edited many times (the generator sets each of them).
    const fields = ['clusterName', 'replicas', 'image', 'port', 'metricsPort', 'resource', 'volume', 'persistentVolumeClaimRetentionPolicy', 'imagePullSecrets', 'nodeSelector', 'tolerations', 'affinity', 'topologySpreadConstraints', 'podAnnotations', 'env', 'metricsPath', 'command', 'args', 'deletionProtection'];
    for (const f of fields) assert.ok((editedKeys.get(f) ?? 0) >= RUNS / 100, `spec.${f} edited only ${editedKeys.get(f) ?? 0} times`);
  });
});

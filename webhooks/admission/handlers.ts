// The two admission decisions, as functions from a parsed request to an AdmissionReview answer.
// They never throw: an unexpected failure becomes a refusal that says what went wrong, because with
// failurePolicy Fail a refusal is what the apiserver would do anyway, and it keeps the message.
import type { ValidationIssue } from '../../api/v1alpha1/index.ts';
import { GROUP, VERSION, type ChildKindName, type KindName } from '../../api/v1alpha1/kinds.ts';
import { errorMessage, isRecord } from '../../runtime/index.ts';
import { diffJson } from './jsonpatch.ts';
import { allowed, denied, deniedRequest, type AdmissionRequest, type AdmissionReviewResponse, type FieldRefusal, type Subject } from './review.ts';
import { childRules, clusterRules, controllerReferenceRule, controllingCluster, kindOfResource, scaleRules, type JsonObject, type RuleOptions } from './rules.ts';
import type { ObjectReader } from './state.ts';

/** What the webhook needs from the generated API: the ajv validators and the schema defaults. */
export interface KindSchemas {
  validate(kind: KindName, obj: unknown, oldObj?: unknown): ValidationIssue[];
  /** Returns the object with schema defaults filled in; does not change its argument. */
  applyDefaults(kind: KindName, obj: unknown): unknown;
}

export interface AdmissionDeps extends RuleOptions {
  schemas: KindSchemas;
  reader: ObjectReader;
}

type Target =
  | { ok: true; kind: KindName; scale: boolean }
  | { ok: false; response: AdmissionReviewResponse };

/** Which of our kinds (and main resource or /scale) a request is for; anything else is refused. */
function targetOf(req: AdmissionRequest): Target {
  const { group, version, resource } = req.resource;
  const kind = group === GROUP && version === VERSION ? kindOfResource(resource) : undefined;
  const refuse = (message: string): Target => ({ ok: false, response: deniedRequest(req.uid, 400, message) });
  if (kind === undefined) return refuse(`this webhook serves ${GROUP}/${VERSION} only, not ${group}/${version} ${resource}`);
  if (req.subResource !== '' && !(req.subResource === 'scale' && kind !== 'Cluster')) {
    return refuse(`this webhook does not serve the ${resource}/${req.subResource} subresource`);
  }
  const scale = req.subResource === 'scale';
  if (req.object !== undefined && !scale) {
    const apiVersion = req.object.apiVersion;
    if (req.object.kind !== kind || apiVersion !== `${GROUP}/${VERSION}`) {
      return refuse(`request.object is ${JSON.stringify(apiVersion)} ${JSON.stringify(req.object.kind)}, but the request is for ${GROUP}/${VERSION} ${kind}`);
    }
  }
  return { ok: true, kind, scale };
}

function subjectOf(req: AdmissionRequest, kind: KindName): Subject {
  return { group: GROUP, kind, name: req.name || String((req.object?.metadata as JsonObject | undefined)?.name ?? '') };
}

function describeSubject(s: Subject): string {
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

/** Only CREATE and UPDATE are registered; anything else is let through untouched. */
function isWrite(req: AdmissionRequest): boolean {
  return req.operation === 'CREATE' || req.operation === 'UPDATE';
}

export function mutate(req: AdmissionRequest, deps: Pick<AdmissionDeps, 'schemas'>): AdmissionReviewResponse {
  const target = targetOf(req);
  if (!target.ok) return target.response;
  if (!isWrite(req) || target.scale || req.object === undefined) return allowed(req.uid);
  try {
    const defaulted = deps.schemas.applyDefaults(target.kind, req.object);
    return allowed(req.uid, diffJson(req.object, defaulted));
  } catch (err) {
    return deniedRequest(req.uid, 500, `defaulting ${target.kind} failed: ${errorMessage(err)}`);
  }
}

function schemaRefusals(issues: ValidationIssue[]): FieldRefusal[] {
  return issues.map((i) => ({ field: i.field, value: i.value, rule: i.message, kind: 'invalid' as const }));
}

/** A rule's refusal for a field the schema already refused would only repeat it. */
function merge(schema: FieldRefusal[], rules: FieldRefusal[]): FieldRefusal[] {
  const seen = new Set(schema.map((r) => r.field));
  return [...schema, ...rules.filter((r) => !seen.has(r.field))];
}

/**
 * The child's controlling Cluster, when it exists with the uid the reference carries (not a namesake
 * made later). A reference without the uid counts for nothing, and the Cluster is not even read: the
 * apiserver admits no owner reference without one, so only an AdmissionReview forged and sent
 * straight to the webhook port lacks it, and the refusals of the Cluster's rules would tell its
 * sender whether a guessed image, count or env value matches a Cluster it may not read.
 */
async function owningCluster(child: JsonObject | undefined, namespace: string, reader: ObjectReader): Promise<JsonObject | undefined> {
  const ref = controllingCluster(child);
  if (ref === undefined || ref.uid === '') return undefined;
  const cluster = await reader.get('Cluster', namespace, ref.name);
  return isRecord(cluster?.metadata) && cluster.metadata.uid === ref.uid ? cluster : undefined;
}

/**
 * The refusals for a child. On UPDATE the Cluster that controls the stored child judges the update,
 * even one that drops or replaces its reference: otherwise dropping it would carry the very edits
 * the Cluster's rules refuse.
 */
async function childRefusals(kind: ChildKindName, obj: JsonObject, old: JsonObject | undefined, namespace: string, reader: ObjectReader, opts: RuleOptions): Promise<FieldRefusal[]> {
  const controller = old === undefined ? undefined : await owningCluster(old, namespace, reader);
  const cluster = controller ?? (await owningCluster(obj, namespace, reader));
  return [...childRules(kind, obj, old, cluster, opts), ...(controller === undefined ? [] : controllerReferenceRule(kind, obj, controller))];
}

export async function validate(req: AdmissionRequest, deps: AdmissionDeps): Promise<AdmissionReviewResponse> {
  const target = targetOf(req);
  if (!target.ok) return target.response;
  if (!isWrite(req)) return allowed(req.uid);
  const { kind, scale } = target;
  const obj = req.object;
  if (obj === undefined) return deniedRequest(req.uid, 400, `${req.operation} of ${kind} without request.object`);
  const old = req.operation === 'UPDATE' ? req.oldObject : undefined;
  if (req.operation === 'UPDATE' && old === undefined) return deniedRequest(req.uid, 400, `UPDATE of ${kind} without request.oldObject`);
  // An object on its way out only loses finalizers; refusing would block its deletion.
  if (!scale && isRecord(obj.metadata) && obj.metadata.deletionTimestamp !== undefined) return allowed(req.uid);
  const check = async (reader: ObjectReader): Promise<FieldRefusal[]> => {
    if (scale) {
      const child = await reader.get(kind, req.namespace, req.name);
      const cluster = await owningCluster(child, req.namespace, reader);
      return scaleRules(kind as ChildKindName, obj, old, child, cluster, deps);
    }
    if (kind === 'Cluster') return merge(schemaRefusals(deps.schemas.validate(kind, obj, old)), clusterRules(obj, old, deps));
    return merge(schemaRefusals(deps.schemas.validate(kind, obj, old)), await childRefusals(kind, obj, old, req.namespace, reader, deps));
  };
  try {
    let refusals = await check(deps.reader);
    // A refusal rests on the API server's state, never on a cache's (see state.ts).
    if (refusals.length > 0 && deps.reader.fresh && kind !== 'Cluster') refusals = await check(deps.reader.fresh);
    return refusals.length === 0 ? allowed(req.uid) : denied(req.uid, refusals, subjectOf(req, kind));
  } catch (err) {
    return deniedRequest(req.uid, 500, `could not check ${describeSubject(subjectOf(req, kind))}: ${errorMessage(err)}`);
  }
}

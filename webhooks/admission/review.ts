// AdmissionReview v1: what the apiserver sends and what it accepts back. Parsing is defensive
// because the same route also receives whatever a scanner or a broken client sends: an envelope
// we cannot answer (no uid) is a 400, anything we can answer gets a proper refusal.
import { isRecord, type JsonPatchOperation, type StatusCause } from '../../runtime/index.ts';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionRequest {
  uid: string;
  resource: GroupVersionResource;
  /** '' for the main resource, 'scale' for /scale... */
  subResource: string;
  operation: Operation;
  namespace: string;
  name: string;
  username: string;
  dryRun: boolean;
  /** The object as sent (for a subresource, e.g. an autoscaling/v1 Scale); undefined on DELETE. */
  object: Record<string, unknown> | undefined;
  /** The stored object on UPDATE; undefined on CREATE. */
  oldObject: Record<string, unknown> | undefined;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: {
    code: number;
    reason: string;
    message: string;
    details?: { group?: string; kind?: string; name?: string; causes: StatusCause[] };
  };
  patchType?: 'JSONPatch';
  /** base64 of the JSON Patch document. */
  patch?: string;
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/** Objects deeper than this are refused before any recursive code sees them (no stack overflow). */
export const MAX_OBJECT_DEPTH = 64;

export type ParsedReview =
  | { ok: true; request: AdmissionRequest }
  /** An envelope we can answer (it has a uid) but whose content is unusable. */
  | { ok: false; uid: string; message: string }
  /** Not an AdmissionReview we could answer at all: the route replies 400. */
  | { ok: false; uid: undefined; message: string };

/** Depth of nested objects and arrays, measured without recursion. */
export function exceedsDepth(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

const OPERATIONS: readonly string[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

export function parseAdmissionReview(body: unknown): ParsedReview {
  const bad = (message: string): ParsedReview => ({ ok: false, uid: undefined, message });
  if (!isRecord(body)) return bad('the body must be a JSON object (an admission.k8s.io/v1 AdmissionReview)');
  if (body.apiVersion !== ADMISSION_API_VERSION || body.kind !== 'AdmissionReview') {
    return bad(`expected apiVersion ${ADMISSION_API_VERSION} and kind AdmissionReview, got ${describe(body.apiVersion)} ${describe(body.kind)}`);
  }
  const req = body.request;
  if (!isRecord(req)) return bad('request is missing or not an object');
  const uid = req.uid;
  if (typeof uid !== 'string' || uid.length === 0 || uid.length > 128) return bad('request.uid must be a non-empty string');

  const refuse = (message: string): ParsedReview => ({ ok: false, uid, message });
  const res = req.resource;
  if (!isRecord(res) || typeof res.group !== 'string' || typeof res.version !== 'string' || typeof res.resource !== 'string') {
    return refuse('request.resource must have string group, version and resource');
  }
  const op = req.operation;
  if (typeof op !== 'string' || !OPERATIONS.includes(op)) return refuse(`request.operation ${describe(op)} is not one of ${OPERATIONS.join(', ')}`);
  const subResource = req.subResource ?? '';
  if (typeof subResource !== 'string') return refuse('request.subResource must be a string');
  const namespace = req.namespace ?? '';
  const name = req.name ?? '';
  if (typeof namespace !== 'string' || typeof name !== 'string') return refuse('request.namespace and request.name must be strings');
  const object = req.object ?? undefined;
  const oldObject = req.oldObject ?? undefined;
  if (object !== undefined && !isRecord(object)) return refuse('request.object must be an object');
  if (oldObject !== undefined && !isRecord(oldObject)) return refuse('request.oldObject must be an object');
  if (exceedsDepth(object, MAX_OBJECT_DEPTH) || exceedsDepth(oldObject, MAX_OBJECT_DEPTH)) {
    return refuse(`the object nests deeper than ${MAX_OBJECT_DEPTH} levels`);
  }
  const userInfo = isRecord(req.userInfo) ? req.userInfo : {};
  return {
    ok: true,
    request: {
      uid,
      resource: { group: res.group, version: res.version, resource: res.resource },
      subResource,
      operation: op as Operation,
      namespace,
      name,
      username: typeof userInfo.username === 'string' ? userInfo.username : '',
      dryRun: req.dryRun === true,
      object,
      oldObject,
    },
  };
}

function describe(v: unknown): string {
  if (v === undefined) return '(missing)';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export function reviewResponse(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}

export function allowed(uid: string, patch?: JsonPatchOperation[], warnings?: string[]): AdmissionReviewResponse {
  const response: AdmissionResponse = { uid, allowed: true };
  if (patch && patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
  }
  if (warnings && warnings.length > 0) response.warnings = warnings;
  return reviewResponse(response);
}

/**
 * One reason to refuse. `field` is a dotted path (spec.journal.replicas); `rule` is the sentence a
 * person acts on. 'invalid' maps to 422 Invalid, 'forbidden' to 403 Forbidden, as the apiserver
 * itself would answer.
 */
export interface FieldRefusal {
  field: string;
  value?: unknown;
  rule: string;
  kind: 'invalid' | 'forbidden';
}

/** A field path into an env list: `spec.env`, `spec.journal.env[2].value`. */
const ENV_FIELD = /(^|\.)env(\[\d+\])?(\.|$)/;

function hasEnvKey(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (!Array.isArray(v) && Object.hasOwn(v, 'env')) return true;
    stack.push(...Object.values(v));
  }
  return false;
}

/**
 * Whether a value at `field` may carry environment variables: env values are often credentials,
 * and refusals are logged and shown to whoever sent the request, so they are never repeated.
 */
export function mayHoldSecrets(field: string, value: unknown): boolean {
  return ENV_FIELD.test(field) || hasEnvKey(value);
}

/** `Invalid value: 3: must be ...`, the apiserver's own wording, so kubectl users recognise it. */
function causeMessage(r: FieldRefusal): string {
  const head = r.kind === 'forbidden' ? 'Forbidden' : 'Invalid value';
  const shown = r.value !== undefined && !mayHoldSecrets(r.field, r.value);
  return shown ? `${head}: ${describeValue(r.value)}: ${r.rule}` : `${head}: ${r.rule}`;
}

export function formatRefusal(r: FieldRefusal): string {
  return `${r.field}: ${causeMessage(r)}`;
}

function describeValue(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

export interface Subject {
  group: string;
  kind: string;
  name: string;
}

/**
 * kubectl prints an Invalid (422) answer as `The <Kind> "<name>" is invalid: <field>: <cause>` from
 * the details, and a Forbidden one by its message, so both carry the whole story.
 */
export function denied(uid: string, refusals: FieldRefusal[], subject: Subject): AdmissionReviewResponse {
  const forbidden = refusals.some((r) => r.kind === 'forbidden');
  const message = `${subject.kind} ${JSON.stringify(subject.name)} is ${forbidden ? 'forbidden' : 'invalid'}: ${refusals.map(formatRefusal).join('; ')}`;
  return reviewResponse({
    uid,
    allowed: false,
    status: {
      code: forbidden ? 403 : 422,
      reason: forbidden ? 'Forbidden' : 'Invalid',
      message,
      details: {
        ...subject,
        causes: refusals.map((r) => ({
          field: r.field,
          message: causeMessage(r),
          reason: r.kind === 'forbidden' ? 'FieldValueForbidden' : 'FieldValueInvalid',
        })),
      },
    },
  });
}

/** A refusal about the request itself rather than a field of the object (bad envelope, internal error). */
export function deniedRequest(uid: string, code: number, message: string): AdmissionReviewResponse {
  return reviewResponse({ uid, allowed: false, status: { code, reason: code >= 500 ? 'InternalError' : 'BadRequest', message } });
}

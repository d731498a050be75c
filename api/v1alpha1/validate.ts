// Validation of Engula objects in TypeScript, agreeing with the apiserver: ajv for the structural
// schema, then the TypeScript twin of every CEL rule. The webhook and the scaling API use it, so a
// refusal reads the same wherever it comes from.
import type { ErrorObject } from 'ajv';
// ajv's validators, generated ahead of time (validator-code.ts says why), one per kind.
import { VALIDATORS } from './validators.generated.ts';
import { KINDS, type KindName } from './kinds.ts';
import { QUANTITY_PATTERN } from './schema/core.ts';
import { ROOT_SCHEMAS } from './schema/roots.ts';
import { ruleCheckOf, type Schema } from './schema/schema.ts';
import { isObject } from './schema/values.ts';
import { fieldOfPointer, joinField, walk } from './schema/walk.ts';

export interface ValidationIssue {
  /** The field as kube-apiserver prints it, e.g. `spec.journal.replicas` or `spec.tolerations[0].key`. */
  field: string;
  value?: unknown;
  /** What is wrong and what is allowed, for a person. */
  message: string;
}

function valueAt(value: unknown, pointer: string): unknown {
  if (pointer === '') return value;
  let v = value;
  for (const seg of pointer.slice(1).split('/')) {
    const key = seg.replaceAll('~1', '/').replaceAll('~0', '~');
    v = Array.isArray(v) ? v[Number(key)] : isObject(v) ? v[key] : undefined;
  }
  return v;
}

const quote = (v: unknown) => JSON.stringify(v);

function issueOf(root: Schema, obj: unknown, e: ErrorObject): ValidationIssue {
  const at = fieldOfPointer(root, obj, e.instancePath);
  const value = valueAt(obj, e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { field: joinField(at, String(p.missingProperty)), message: 'Required value' };
    case 'type': {
      const t = Array.isArray(p.type) ? 'an integer or a quantity string such as "500m" or "4Gi"' : `of type ${String(p.type)}`;
      return { field: at, value, message: `must be ${t}, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}` };
    }
    case 'enum':
      return {
        field: at,
        value,
        message: `Unsupported value: ${quote(value)}: supported values: ${(p.allowedValues as unknown[]).map(quote).join(', ')}`,
      };
    case 'minimum':
      return { field: at, value, message: `should be greater than or equal to ${String(p.limit)}` };
    case 'maximum':
      return { field: at, value, message: `should be less than or equal to ${String(p.limit)}` };
    case 'minLength':
      return { field: at, value, message: `should be at least ${String(p.limit)} characters long` };
    case 'maxLength':
      return { field: at, value, message: `may not be longer than ${String(p.limit)} characters` };
    case 'maxItems':
      return { field: at, message: `must have at most ${String(p.limit)} items` };
    case 'maxProperties':
      return { field: at, message: `must have at most ${String(p.limit)} entries` };
    case 'pattern':
      return {
        field: at,
        value,
        message: p.pattern === QUANTITY_PATTERN ? 'must be a quantity such as 500m, 2, 1.5 or 4Gi' : `should match '${String(p.pattern)}'`,
      };
    case 'format':
      return {
        field: at,
        value,
        message: p.format === 'date-time' ? 'must be an RFC 3339 date-time such as 2024-01-02T15:04:05Z' : `must fit in ${String(p.format)}`,
      };
    default:
      return { field: at, value, message: e.message ?? `failed ${e.keyword}` };
  }
}

function ruleIssues(root: Schema, obj: unknown, oldObj: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const visit of walk(root, obj, oldObj)) {
    for (const rule of visit.schema['x-kubernetes-validations'] ?? []) {
      const { check, transition } = ruleCheckOf(rule);
      if (transition && visit.old === undefined) continue;
      if (check(visit.value, transition ? visit.old : undefined)) continue;
      const rel = rule.fieldPath ? rule.fieldPath.slice(1).split('.') : [];
      const field = rel.reduce((p, seg) => joinField(p, seg), visit.path);
      const value = rel.reduce<unknown>((v, seg) => (isObject(v) ? v[seg] : undefined), visit.value);
      issues.push(value === undefined ? { field, message: rule.message } : { field, value, message: rule.message });
    }
  }
  return issues;
}

/**
 * Everything the apiserver would refuse in `obj` (a whole object of `kind`), with the same field
 * paths. Pass `oldObj` on update so the rules about changes (immutable fields, scaling down) run.
 * Fields the schema does not know are not reported: the apiserver drops them.
 */
export function validate(kind: KindName, obj: unknown, oldObj?: unknown): ValidationIssue[] {
  const root = ROOT_SCHEMAS[kind];
  const validator = VALIDATORS[kind];
  const issues = validator(obj) ? [] : (validator.errors ?? []).map((e) => issueOf(root, obj, e));
  if (isObject(obj) && obj.kind !== undefined && obj.kind !== KINDS[kind].kind) {
    issues.push({ field: 'kind', value: obj.kind, message: `must be ${KINDS[kind].kind}` });
  }
  // Like the apiserver, which skips CEL on an object that fails its schema ("some validation rules
  // were not checked"), and so never reports a rule tripped by a value of the wrong type.
  if (issues.length === 0) issues.push(...ruleIssues(root, obj, oldObj));
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.field}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

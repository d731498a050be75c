// The dialect the API is written in: the subset of OpenAPI v3 that a structural CRD schema allows,
// plus the x-kubernetes-* extensions. Everything (CRDs, TypeScript types, ajv validators) is
// generated from values of this type, so it must stay plain data.

export interface CelRule {
  rule: string;
  message: string;
  /** Relative path (from the node that carries the rule) that the apiserver names in its error. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: 'int32' | 'int64' | 'date-time';
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema;
  items?: Schema;
  enum?: readonly (string | number)[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: CelRule[];
}

/**
 * The same invariant as a CEL rule, evaluated in TypeScript so the webhook (and anything else that
 * calls validate()) agrees with the apiserver. `oldSelf` is present only for transition rules, and
 * like CEL, a transition rule runs only when the old object has a value at the same place.
 */
interface RuleCheck {
  (self: unknown, oldSelf?: unknown): boolean;
}

const checks = new WeakMap<CelRule, { check: RuleCheck; transition: boolean }>();
const names = new WeakMap<Schema, { name: string; doc: string | undefined }>();
const externals = new WeakMap<Schema, string>();

/** A CEL rule and its TypeScript twin, kept side by side so they cannot drift apart unnoticed. */
export function celRule(rule: CelRule, check: RuleCheck): CelRule {
  checks.set(rule, { check, transition: /\boldSelf\b/.test(rule.rule) });
  return rule;
}

export function ruleCheckOf(rule: CelRule): { check: RuleCheck; transition: boolean } {
  const c = checks.get(rule);
  if (!c) throw new Error(`CEL rule ${JSON.stringify(rule.rule)} has no TypeScript check: declare it with celRule()`);
  return c;
}

/**
 * Gives a schema a TypeScript interface name in the generated types. `doc` describes the interface
 * when several schemas share the name (their descriptions say where each one sits).
 */
export function named<S extends Schema>(name: string, schema: S, doc?: string): S {
  names.set(schema, { name, doc });
  return schema;
}

/** Types a schema as an existing @kubernetes/client-node model instead of generating one. */
export function external<S extends Schema>(typeName: string, schema: S): S {
  externals.set(schema, typeName);
  return schema;
}

export function schemaNameOf(schema: Schema): { name: string; doc: string | undefined } | undefined {
  return names.get(schema);
}

export function externalOf(schema: Schema): string | undefined {
  return externals.get(schema);
}

// Small constructors keep the schema files readable; each demands a description because
// `kubectl explain` and the generated TypeScript doc comments are made of them.
export function str(description: string, extra: Omit<Schema, 'type' | 'description'> = {}): Schema {
  return { type: 'string', description, ...extra };
}

export function int32(description: string, extra: Omit<Schema, 'type' | 'description' | 'format'> = {}): Schema {
  return { type: 'integer', format: 'int32', description, ...extra };
}

export function int64(description: string, extra: Omit<Schema, 'type' | 'description' | 'format'> = {}): Schema {
  return { type: 'integer', format: 'int64', description, ...extra };
}

export function bool(description: string, extra: Omit<Schema, 'type' | 'description'> = {}): Schema {
  return { type: 'boolean', description, ...extra };
}

export function obj(description: string, properties: Record<string, Schema>, extra: Omit<Schema, 'type' | 'description' | 'properties'> = {}): Schema {
  return { type: 'object', description, properties, ...extra };
}

export function list(description: string, items: Schema, extra: Omit<Schema, 'type' | 'description' | 'items'> = {}): Schema {
  return { type: 'array', description, items, ...extra };
}

export function stringMap(description: string, extra: Omit<Schema, 'type' | 'description' | 'additionalProperties'> = {}): Schema {
  return { type: 'object', description, additionalProperties: { type: 'string' }, ...extra };
}

/** An object whose inside the apiserver keeps as given (deep core/v1 types we pass through to pods). */
export function opaque(description: string): Schema {
  return { type: 'object', description, 'x-kubernetes-preserve-unknown-fields': true };
}

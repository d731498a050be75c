// The JSON Schema that ajv compiles: the CRD schema without the Kubernetes-only keywords. CEL
// rules are not JSON Schema; validate.ts runs their TypeScript twins instead.
import type { Schema } from './schema/schema.ts';

/** The keywords ajv reads just as the CRD schema writes them. */
const SHARED_KEYWORDS = ['enum', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'maxProperties', 'format'] as const;

type AjvSchema = Pick<Schema, (typeof SHARED_KEYWORDS)[number] | 'required'> & {
  type?: string | string[];
  properties?: Record<string, AjvSchema>;
  additionalProperties?: AjvSchema;
  items?: AjvSchema;
};

export function toAjvSchema(s: Schema): AjvSchema {
  const out: AjvSchema = {};
  // int-or-string has no `type` in a CRD; the pattern and length only concern the string form.
  if (s['x-kubernetes-int-or-string']) out.type = ['integer', 'string'];
  else if (s.type) out.type = s.type;
  if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, toAjvSchema(v)]));
  if (s.required) out.required = s.required;
  if (s.additionalProperties) out.additionalProperties = toAjvSchema(s.additionalProperties);
  if (s.items) out.items = toAjvSchema(s.items);
  for (const key of SHARED_KEYWORDS) {
    if (s[key] !== undefined) (out as Record<string, unknown>)[key] = s[key];
  }
  return out;
}

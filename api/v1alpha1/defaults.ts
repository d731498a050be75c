// Schema defaults, applied as the apiserver applies them: a default fills a missing property of an
// object that exists; it never creates the object around it.
import type { KindName } from './kinds.ts';
import { ROOT_SCHEMAS } from './schema/roots.ts';
import type { Schema } from './schema/schema.ts';
import { isObject } from './schema/values.ts';

function fill(schema: Schema, value: unknown): void {
  if (isObject(value)) {
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      if (value[key] === undefined && sub.default !== undefined) value[key] = structuredClone(sub.default);
      if (value[key] !== undefined) fill(sub, value[key]);
    }
    if (schema.additionalProperties) {
      for (const [key, v] of Object.entries(value)) if (!schema.properties?.[key]) fill(schema.additionalProperties, v);
    }
  } else if (Array.isArray(value) && schema.items) {
    for (const v of value) fill(schema.items, v);
  }
}

/** A copy of `obj` with every schema default of its kind filled in (pullPolicy, ports, paused...). */
export function applyDefaults<T>(kind: KindName, obj: T): T {
  const copy = structuredClone(obj);
  fill(ROOT_SCHEMAS[kind], copy);
  return copy;
}

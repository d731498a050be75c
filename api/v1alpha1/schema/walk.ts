// Walks a value alongside its schema, the way the apiserver does: into properties, map values and
// list items. Shared by validation (CEL twins), defaulting and error paths.
import type { Schema } from './schema.ts';
import { isObject } from './values.ts';

interface Visit {
  schema: Schema;
  value: unknown;
  /** The value at the same place in the old object, when there is one (maps and properties only). */
  old: unknown;
  /** The path as the apiserver's schema errors print it: `spec.tolerations[0].key`, `spec.resource.limits.cpu`. */
  path: string;
}

export function joinField(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

export function* walk(schema: Schema, value: unknown, old: unknown, path = ''): Generator<Visit> {
  yield { schema, value, old, path };
  if (isObject(value)) {
    const oldObj = isObject(old) ? old : undefined;
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      if (value[key] !== undefined) yield* walk(sub, value[key], oldObj?.[key], joinField(path, key));
    }
    if (schema.additionalProperties) {
      for (const [key, v] of Object.entries(value)) {
        if (!schema.properties?.[key]) yield* walk(schema.additionalProperties, v, oldObj?.[key], joinField(path, key));
      }
    }
  } else if (Array.isArray(value) && schema.items) {
    // Like CEL, list items have no old value to compare with (no transition rules inside lists).
    for (const [i, v] of value.entries()) yield* walk(schema.items, v, undefined, `${path}[${i}]`);
  }
}

/** The apiserver's printed path of a JSON pointer into `value` (as ajv reports instancePath). */
export function fieldOfPointer(schema: Schema, value: unknown, pointer: string): string {
  const segments = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  let path = '';
  let s: Schema | undefined = schema;
  let v: unknown = value;
  for (const seg of segments) {
    if (Array.isArray(v)) {
      path += `[${seg}]`;
      s = s?.items;
      v = v[Number(seg)];
    } else if (s?.properties?.[seg]) {
      path = joinField(path, seg);
      s = s.properties[seg];
      v = isObject(v) ? v[seg] : undefined;
    } else {
      path = joinField(path, seg);
      s = s?.additionalProperties;
      v = isObject(v) ? v[seg] : undefined;
    }
  }
  return path;
}

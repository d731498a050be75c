// JSON values, the one home of their words: the record test, a JSON patch operation, JSON with its
// keys in sorted order, and equality in JSON's terms. The last two are written out by hand rather
// than through JSON.stringify with a replacer: the replacer copied every object to sort it, and
// these run on every desired object and status of every reconcile.
// stableStringify's output is what the applied-hash annotation hashes, so it must not change:
// test/unit/runtime/json.test.ts holds it to the replacer form on generated values.

/** A JSON object: not null, not an array. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** What JSON.stringify omits from an object and writes as null in an array. */
function absent(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

/** An array index: JavaScript keeps such keys first, in numeric order, in any object. */
function isIndex(k: string): boolean {
  const c = k.charCodeAt(0);
  return c >= 48 && c <= 57 && /^(?:0|[1-9]\d*)$/.test(k) && Number(k) < 4294967295;
}

/** The order a sorted copy of the object has in JavaScript: index keys first (numerically), then
 * the rest sorted. That is the order the replacer form wrote, so it is the order kept here. */
function sortedKeys(o: Record<string, unknown>): string[] {
  const keys = Object.keys(o);
  let firstName = 0;
  while (firstName < keys.length && isIndex(keys[firstName] ?? '')) firstName++;
  return firstName === 0 ? keys.sort() : keys.slice(0, firstName).concat(keys.slice(firstName).sort());
}

/** Keys repeat across every object of a kind (metadata, name, labels...): each is quoted once. */
const QUOTED_KEYS_MAX = 10_000;
const quotedKeys = new Map<string, string>();

function quoteKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quotedKeys.size < QUOTED_KEYS_MAX) quotedKeys.set(k, q);
  }
  return q;
}

// One string built by concatenation (V8 joins the pieces as a rope, once, when it is hashed):
// faster than collecting the pieces in an array and joining them.
function write(v: unknown): string {
  if (typeof v !== 'object' || v === null) return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) s += ',';
      const x: unknown = v[i];
      s += absent(x) ? 'null' : write(x);
    }
    return s + ']';
  }
  const o = v as Record<string, unknown>;
  if (typeof o.toJSON === 'function') return JSON.stringify(o) ?? 'null';
  let s = '{';
  let first = true;
  for (const k of sortedKeys(o)) {
    const x = o[k];
    if (absent(x)) continue;
    if (first) first = false;
    else s += ',';
    s += quoteKey(k) + ':' + write(x);
  }
  return s + '}';
}

/** A value JSON.stringify writes rather than omits (a function type does not fit the record): for
 * these stableStringify always has a string, so an object to hash needs no undefined check. */
type Written = string | number | boolean | null | readonly unknown[] | { readonly [key: string]: unknown };

/** JSON.stringify with every object's keys sorted (undefined for undefined, as JSON.stringify). */
export function stableStringify(v: Written): string;
export function stableStringify(v: unknown): string | undefined;
export function stableStringify(v: unknown): string | undefined {
  if (absent(v)) return undefined;
  return write(v);
}

/** Whether two values would serialize to the same JSON, key order aside. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (absent(a) || absent(b)) return absent(a) && absent(b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      const x: unknown = a[i];
      const y: unknown = b[i];
      if (!jsonEqual(absent(x) ? null : x, absent(y) ? null : y)) return false;
    }
    return true;
  }
  if (isRecord(a) && isRecord(b) && typeof a.toJSON !== 'function' && typeof b.toJSON !== 'function') return recordsEqual(a, b, undefined);
  if (typeof a === 'number' && typeof b === 'number') return JSON.stringify(a) === JSON.stringify(b);
  return stableStringify(a) === stableStringify(b);
}

/** Whether two records would serialize to the same JSON once the keys in `skip` are left out of
 * both: compared in place, without a copy of either. */
export function jsonEqualExcept(a: Record<string, unknown>, b: Record<string, unknown>, skip: ReadonlySet<string>): boolean {
  return recordsEqual(a, b, skip);
}

function recordsEqual(a: Record<string, unknown>, b: Record<string, unknown>, skip: ReadonlySet<string> | undefined): boolean {
  let n = 0;
  for (const k of Object.keys(a)) {
    if (absent(a[k]) || skip?.has(k)) continue;
    n++;
    if (!jsonEqual(a[k], b[k])) return false;
  }
  for (const k of Object.keys(b)) if (!absent(b[k]) && !skip?.has(k)) n--;
  return n === 0;
}

/** One operation of a JSON patch (RFC 6902), as admission answers and the API server take them. */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: unknown;
}

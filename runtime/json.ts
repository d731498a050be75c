// JSON with its keys in sorted order, and equality in JSON's terms, written out by hand rather than
// through JSON.stringify with a replacer: the replacer copied every object to sort it, and these
// run on every desired object and status of every reconcile.
// stableStringify's output is what the applied-hash annotation hashes, so it must not change:
// test/unit/runtime/json.test.ts holds it to the replacer form on generated values.

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** What JSON.stringify omits from an object and writes as null in an array. */
function absent(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

/** An array index: JavaScript keeps such keys first, in numeric order, in any object. */
function isIndex(k: string): boolean {
  return /^(?:0|[1-9]\d*)$/.test(k) && Number(k) < 4294967295;
}

/** The order a sorted copy of the object has in JavaScript: index keys first (numerically), then
 * the rest sorted. That is the order the replacer form wrote, so it is the order kept here. */
function sortedKeys(o: Record<string, unknown>): string[] {
  const keys = Object.keys(o);
  let firstName = 0;
  while (firstName < keys.length && isIndex(keys[firstName] ?? '')) firstName++;
  return firstName === 0 ? keys.sort() : keys.slice(0, firstName).concat(keys.slice(firstName).sort());
}

function write(v: unknown, out: string[]): void {
  if (Array.isArray(v)) {
    out.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(',');
      const x: unknown = v[i];
      if (absent(x)) out.push('null');
      else write(x, out);
    }
    out.push(']');
    return;
  }
  if (isRecord(v) && typeof v.toJSON !== 'function') {
    out.push('{');
    let first = true;
    for (const k of sortedKeys(v)) {
      const x = v[k];
      if (absent(x)) continue;
      if (!first) out.push(',');
      first = false;
      out.push(JSON.stringify(k), ':');
      write(x, out);
    }
    out.push('}');
    return;
  }
  out.push(JSON.stringify(v) ?? 'null');
}

/** JSON.stringify with every object's keys sorted (undefined for undefined, as JSON.stringify). */
export function stableStringify(v: unknown): string {
  if (absent(v)) return undefined as unknown as string;
  const out: string[] = [];
  write(v, out);
  return out.join('');
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
  if (isRecord(a) && isRecord(b) && typeof a.toJSON !== 'function' && typeof b.toJSON !== 'function') {
    let n = 0;
    for (const k of Object.keys(a)) {
      if (absent(a[k])) continue;
      n++;
      if (!jsonEqual(a[k], b[k])) return false;
    }
    for (const k of Object.keys(b)) if (!absent(b[k])) n--;
    return n === 0;
  }
  if (typeof a === 'number' && typeof b === 'number') return JSON.stringify(a) === JSON.stringify(b);
  return stableStringify(a) === stableStringify(b);
}

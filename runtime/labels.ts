// Label selectors for cache reads, in the API server's string syntax or as a plain map.

export type LabelSelector = string | Record<string, string>;

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: Set<string> }
  | { op: 'exists' | 'notexists'; key: string };

export type LabelMatcher = (labels: Record<string, string> | undefined) => boolean;

export function labelMatcher(selector: LabelSelector | undefined): LabelMatcher {
  if (selector === undefined) return () => true;
  const reqs = typeof selector === 'string' ? parseSelector(selector) : Object.entries(selector).map(([key, value]): Requirement => ({ op: 'eq', key, value }));
  return (labels) => reqs.every((r) => matches(r, labels ?? {}));
}

function matches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = labels[r.key];
  switch (r.op) {
    case 'eq':
      return v === r.value;
    case 'neq':
      return v !== r.value;
    case 'in':
      return has && v !== undefined && r.values.has(v);
    case 'notin':
      return !has || v === undefined || !r.values.has(v);
    case 'exists':
      return has;
    case 'notexists':
      return !has;
  }
}

export function parseSelector(s: string): Requirement[] {
  const terms: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(cur);
      cur = '';
    } else cur += ch;
  }
  terms.push(cur);
  const out: Requirement[] = [];
  for (const raw of terms) {
    const t = raw.trim();
    if (t === '') continue;
    const set = /^([^\s!=(]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(t);
    if (set) {
      const values = new Set((set[3] ?? '').split(',').map((x) => x.trim()).filter((x) => x !== ''));
      out.push({ op: set[2] === 'in' ? 'in' : 'notin', key: set[1] ?? '', values });
      continue;
    }
    const neq = /^([^\s!=]+)\s*!=\s*(\S*)$/.exec(t);
    if (neq) {
      out.push({ op: 'neq', key: neq[1] ?? '', value: neq[2] ?? '' });
      continue;
    }
    const eq = /^([^\s!=]+)\s*==?\s*(\S*)$/.exec(t);
    if (eq) {
      out.push({ op: 'eq', key: eq[1] ?? '', value: eq[2] ?? '' });
      continue;
    }
    if (/^![^\s!=]+$/.test(t)) {
      out.push({ op: 'notexists', key: t.slice(1) });
      continue;
    }
    if (/^[^\s!=]+$/.test(t)) {
      out.push({ op: 'exists', key: t });
      continue;
    }
    throw new Error(`invalid label selector term ${JSON.stringify(t)}`);
  }
  return out;
}

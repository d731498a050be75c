// Just enough PromQL to draw config/grafana's dashboard from scraped /metrics samples without a
// Prometheus: the forms its queries use and nothing more. A query outside them is refused (so the
// dashboard cannot drift into forms the renderer would silently draw wrong):
//   histogram_quantile(q, AGG)     AGG := sum|max|min [by (labels)] (INNER)
//   INNER := rate(SEL[range]) | increase(SEL[range]) | SEL        SEL := name{label=~"...", label="..."}
// Grafana variables ($job) match everything; $__rate_interval is the window the caller gives.

export interface Selector {
  name: string;
  matchers: Array<{ label: string; op: '=' | '=~' | '!=' | '!~'; value: string }>;
}

export type PromQuery =
  | { kind: 'quantile'; q: number; inner: PromQuery }
  | { kind: 'aggregate'; op: 'sum' | 'max' | 'min'; by: string[] | undefined; inner: PromQuery }
  | { kind: 'range'; fn: 'rate' | 'increase'; selector: Selector; range: string }
  | { kind: 'selector'; selector: Selector };

const NAME = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?$/;

function parseSelector(text: string, expr: string): Selector {
  const m = NAME.exec(text.trim());
  if (!m) throw new Error(`unsupported PromQL (want metric{matchers}): ${text} in ${expr}`);
  const matchers: Selector['matchers'] = [];
  for (const part of (m[3] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const mm = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"$/.exec(part);
    if (!mm) throw new Error(`unsupported matcher ${part} in ${expr}`);
    matchers.push({ label: mm[1]!, op: mm[2] as Selector['matchers'][number]['op'], value: mm[3]! });
  }
  return { name: m[1]!, matchers };
}

/** The text between the parenthesis at `open` and its match. */
function enclosed(text: string, open: number): { inside: string; end: number } {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return { inside: text.slice(open + 1, i), end: i };
  }
  throw new Error(`unbalanced parentheses in ${text}`);
}

export function parseQuery(expr: string): PromQuery {
  const text = expr.trim();
  let m = /^histogram_quantile\s*\(/.exec(text);
  if (m) {
    const { inside, end } = enclosed(text, m[0].length - 1);
    if (end !== text.length - 1) throw new Error(`unsupported PromQL after histogram_quantile(...): ${expr}`);
    const comma = inside.indexOf(',');
    return { kind: 'quantile', q: Number(inside.slice(0, comma)), inner: parseQuery(inside.slice(comma + 1)) };
  }
  m = /^(sum|max|min)\s*(?:by\s*\(([^)]*)\)\s*)?\(/.exec(text);
  if (m) {
    const { inside, end } = enclosed(text, m[0].length - 1);
    if (end !== text.length - 1) throw new Error(`unsupported PromQL after ${m[1]}(...): ${expr}`);
    const by = m[2] === undefined ? undefined : m[2].split(',').map((s) => s.trim()).filter((s) => s !== '');
    return { kind: 'aggregate', op: m[1] as 'sum' | 'max' | 'min', by, inner: parseQuery(inside) };
  }
  m = /^(rate|increase)\s*\((.*)\[([^\]]+)\]\s*\)$/s.exec(text);
  if (m) return { kind: 'range', fn: m[1] as 'rate' | 'increase', selector: parseSelector(m[2]!, expr), range: m[3]! };
  return { kind: 'selector', selector: parseSelector(text, expr) };
}

/** The metric names (as selected, so histograms end in _bucket) a query reads. */
export function metricNamesOf(q: PromQuery): string[] {
  switch (q.kind) {
    case 'quantile':
    case 'aggregate':
      return metricNamesOf(q.inner);
    case 'range':
    case 'selector':
      return [q.selector.name];
  }
}

export type Labels = Record<string, string>;
export interface Sample {
  name: string;
  labels: Labels;
  value: number;
}
/** One scrape: when, and every sample it held. */
export interface Scrape {
  t: number;
  samples: Sample[];
}
export interface Series {
  labels: Labels;
  value: number;
}

/** The Prometheus text format, as prom-client writes it (no timestamps, no exemplars). */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels: Labels = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
    out.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return out;
}

function matches(sel: Selector, s: Sample): boolean {
  if (s.name !== sel.name) return false;
  return sel.matchers.every((m) => {
    if (m.value.includes('$')) return true;
    const v = s.labels[m.label] ?? '';
    if (m.op === '=') return v === m.value;
    if (m.op === '!=') return v !== m.value;
    const re = new RegExp(`^(?:${m.value})$`);
    return m.op === '=~' ? re.test(v) : !re.test(v);
  });
}

const key = (labels: Labels): string => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

function rangeSeconds(range: string, rateInterval: number): number {
  if (range === '$__rate_interval' || range === '$__interval') return rateInterval;
  const m = /^(\d+)(s|m|h)$/.exec(range);
  if (!m) throw new Error(`unsupported range ${range}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
}

/**
 * The query's value at `scrapes[at]` (times in seconds). rate and increase take the first and last
 * sample in the window, adding back counter resets, without Prometheus's extrapolation.
 */
export function evaluate(q: PromQuery, scrapes: Scrape[], at: number, rateInterval: number): Series[] {
  const now = scrapes[at];
  if (!now) return [];
  switch (q.kind) {
    case 'selector':
      return now.samples.filter((s) => matches(q.selector, s)).map((s) => ({ labels: s.labels, value: s.value }));
    case 'range': {
      const window = rangeSeconds(q.range, rateInterval);
      const inWindow = scrapes.slice(0, at + 1).filter((s) => s.t >= now.t - window);
      const bySeries = new Map<string, { labels: Labels; points: Array<[number, number]> }>();
      for (const scrape of inWindow) {
        for (const s of scrape.samples) {
          if (!matches(q.selector, s)) continue;
          const k = key(s.labels);
          const e = bySeries.get(k) ?? { labels: s.labels, points: [] };
          e.points.push([scrape.t, s.value]);
          bySeries.set(k, e);
        }
      }
      const out: Series[] = [];
      for (const { labels, points } of bySeries.values()) {
        if (points.length < 2) continue;
        let delta = 0;
        for (let i = 1; i < points.length; i++) {
          const d = points[i]![1] - points[i - 1]![1];
          delta += d >= 0 ? d : points[i]![1];
        }
        const span = points[points.length - 1]![0] - points[0]![0];
        out.push({ labels, value: q.fn === 'increase' ? delta : span > 0 ? delta / span : 0 });
      }
      return out;
    }
    case 'aggregate': {
      const groups = new Map<string, { labels: Labels; values: number[] }>();
      for (const s of evaluate(q.inner, scrapes, at, rateInterval)) {
        const labels: Labels = {};
        for (const l of q.by ?? []) if (s.labels[l] !== undefined) labels[l] = s.labels[l];
        const k = key(labels);
        const g = groups.get(k) ?? { labels, values: [] };
        g.values.push(s.value);
        groups.set(k, g);
      }
      return [...groups.values()].map(({ labels, values }) => ({
        labels,
        value: q.op === 'sum' ? values.reduce((a, b) => a + b, 0) : q.op === 'max' ? Math.max(...values) : Math.min(...values),
      }));
    }
    case 'quantile': {
      const groups = new Map<string, { labels: Labels; buckets: Array<[number, number]> }>();
      for (const s of evaluate(q.inner, scrapes, at, rateInterval)) {
        const le = s.labels.le;
        if (le === undefined) continue;
        const { le: _le, ...rest } = s.labels;
        const k = key(rest);
        const g = groups.get(k) ?? { labels: rest, buckets: [] };
        g.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value]);
        groups.set(k, g);
      }
      const out: Series[] = [];
      for (const { labels, buckets } of groups.values()) {
        const v = bucketQuantile(q.q, buckets);
        if (v !== undefined) out.push({ labels, value: v });
      }
      return out;
    }
  }
}

/** Prometheus's bucketQuantile: linear interpolation inside the bucket the rank falls in. */
export function bucketQuantile(q: number, buckets: Array<[number, number]>): number | undefined {
  const b = [...buckets].sort((x, y) => x[0] - y[0]);
  const total = b[b.length - 1]?.[1] ?? 0;
  if (b.length < 2 || total <= 0) return undefined;
  const rank = q * total;
  let i = b.findIndex(([, count]) => count >= rank);
  if (i < 0) i = b.length - 1;
  if (b[i]![0] === Infinity) return b[b.length - 2]![0];
  const [upper, count] = b[i]!;
  const [lower, below] = i === 0 ? [0, 0] : b[i - 1]!;
  return count === below ? upper : lower + ((upper - lower) * (rank - below)) / (count - below);
}

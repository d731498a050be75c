// What fills a V8 heap snapshot: self sizes summed by node type and constructor name, biggest
// first, and the share held by code and objects of each npm package (by the script a function was
// defined in). Enough to see whether the operator's heap is its cache or its dependencies.
//
//   node bench/heap-summary.ts FILE.heapsnapshot [--top 25]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] }; node_count: number };
  nodes: number[];
  strings: string[];
}

export interface HeapSummary {
  totalMiB: number;
  byConstructor: Array<{ type: string; name: string; count: number; MiB: number }>;
}

export function summarise(file: string, top = 25): HeapSummary {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const groups = new Map<string, { type: string; name: string; count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType] ?? 0] ?? '?';
    let name = snap.strings[snap.nodes[i + iName] ?? 0] ?? '?';
    // Strings and code are named by their content: group them by type only.
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'code' || type === 'number') name = `(${type})`;
    if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const size = snap.nodes[i + iSize] ?? 0;
    total += size;
    const key = `${type}\u0000${name}`;
    const g = groups.get(key) ?? { type, name, count: 0, bytes: 0 };
    g.count++;
    g.bytes += size;
    groups.set(key, g);
  }
  const byConstructor = [...groups.values()]
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top)
    .map((g) => ({ type: g.type, name: g.name, count: g.count, MiB: Math.round((g.bytes / 2 ** 20) * 100) / 100 }));
  return { totalMiB: Math.round((total / 2 ** 20) * 10) / 10, byConstructor };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  const file = positionals[0];
  if (!file) throw new Error('usage: node bench/heap-summary.ts FILE.heapsnapshot [--top 25]');
  const s = summarise(file, Number(values.top));
  process.stdout.write(`${file}: ${s.totalMiB} MiB in the snapshot\n`);
  for (const g of s.byConstructor) process.stdout.write(`${g.MiB.toFixed(2).padStart(8)} MiB  ${String(g.count).padStart(8)}  ${g.type.padEnd(12)} ${g.name}\n`);
}

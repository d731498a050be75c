// Aligned columns as `kubectl get` prints them (its tabwriter: cells padded by at least three
// spaces to a width of at least six, the last column not padded), measured without colour codes so
// coloured cells line up too.
import { visibleLength, type Paint } from './style.ts';

export type Cell = string | { text: string; paint: Paint };

const PADDING = 3;
const MIN_WIDTH = 6;

function textOf(c: Cell): string {
  return typeof c === 'string' ? c : c.text;
}

function shown(c: Cell): string {
  return typeof c === 'string' ? c : c.paint(c.text);
}

/** The lines of a table; `indent` starts each line. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly Cell[]>, indent = ''): string[] {
  const all: ReadonlyArray<readonly Cell[]> = [header, ...rows];
  const widths = header.map((_, i) => Math.max(MIN_WIDTH, ...all.map((r) => visibleLength(textOf(r[i] ?? '')) + PADDING)));
  return all.map((r) => {
    const cells = r.map((c, i) => {
      const s = shown(c);
      return i === r.length - 1 ? s : s + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(textOf(c))));
    });
    return (indent + cells.join('')).trimEnd();
  });
}

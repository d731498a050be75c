// Helm templates written as YAML trees: an object as kustomize rendered it, with some of its values
// replaced by Helm template text. The tree is written with the same YAML writer as the rest of the
// repository's generated manifests, then each stand-in is swapped for its template text, so
// everything that is not templated stays exactly as config/ has it.
import { stringify } from 'yaml';

/** Template text in place of one scalar (`replicas: {{ .Values.replicas }}`). */
export interface Expr {
  readonly helm: 'expr';
  readonly text: string;
}

/**
 * Template lines in place of map entries or list items (`{{- with .Values.x }}`...`{{- end }}`),
 * written at the indentation where the stand-in stands; `indent` is that column, for `nindent`.
 * As the value of a map key, a block replaces the whole entry: the key only names it in the tree.
 */
export interface Block {
  readonly helm: 'block';
  readonly lines: (indent: number) => string[];
}

export const expr = (text: string): Expr => ({ helm: 'expr', text });
export const block = (lines: (indent: number) => string[]): Block => ({ helm: 'block', lines });

/** Whether a value in a tree is template text rather than data. */
export function isStandIn(v: unknown): v is Expr | Block {
  return typeof v === 'object' && v !== null && 'helm' in v && ((v as Expr).helm === 'expr' || (v as Block).helm === 'block');
}

/**
 * The tree as template text. Exprs may stand anywhere a scalar does; blocks as a map entry's value
 * or as a list item. Everything else is written as YAML.
 */
export function templateYaml(tree: unknown): string {
  const exprs: string[] = [];
  const blocks: Block[] = [];
  const replace = (v: unknown): unknown => {
    if (isStandIn(v)) {
      if (v.helm === 'expr') return `__helm_expr_${exprs.push(v.text) - 1}__`;
      return `__helm_block_${blocks.push(v) - 1}__`;
    }
    if (Array.isArray(v)) return v.map(replace);
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(v)) {
        if (isStandIn(child) && child.helm === 'block') out[`__helm_block_${blocks.push(child) - 1}__`] = null;
        else out[k] = replace(child);
      }
      return out;
    }
    return v;
  };
  const text = stringify(replace(tree), { lineWidth: 0 });
  const lines = text.split('\n').flatMap((line) => {
    const m = /^( *)(- )?__helm_block_(\d+)__(: null)?$/.exec(line);
    if (!m) return [line.replace(/__helm_expr_(\d+)__/g, (_, i: string) => exprs[Number(i)] ?? '')];
    const indent = (m[1] ?? '').length;
    const b = blocks[Number(m[3])];
    if (b === undefined) throw new Error(`template stand-in ${m[3]} lost`);
    return b.lines(indent).map((l) => (l === '' ? l : ' '.repeat(indent) + l));
  });
  const out = lines.join('\n');
  if (/__helm_(expr|block)_/.test(out)) throw new Error(`a template stand-in was left in place (the YAML writer quoted or folded it):\n${out}`);
  return out;
}

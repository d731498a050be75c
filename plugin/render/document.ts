// -o json and -o yaml: the view-model as a document, indented as kubectl indents its own.
import { stringify } from 'yaml';
import type { OutputFormat } from '../args.ts';

export function document(value: unknown, format: Exclude<OutputFormat, 'text'>): string {
  return format === 'json' ? `${JSON.stringify(value, null, 4)}\n` : stringify(value, { lineWidth: 0 });
}

// What the demo prints: plain lines for people, each step's commands as they would type them
// (`$ kubectl ...`, relative to the repository), and the commands' own output as is.
import { relative } from 'node:path';

const started = Date.now();

function stamp(): string {
  return `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
}

/** A progress line: `[demo  12.3s] text`. */
export function say(text: string): void {
  process.stdout.write(`[demo ${stamp()}] ${text}\n`);
}

/** A heading for one part of the demo. */
export function step(text: string): void {
  process.stdout.write(`\n==> ${text}\n`);
}

/** A command as the user would type it, with paths made relative to the repository. */
export function echo(command: string): void {
  process.stdout.write(`$ ${command}\n`);
}

/** Output of a command, unchanged (with a final newline). */
export function show(output: string): void {
  if (output === '') return;
  process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
}

export function rel(path: string): string {
  const r = relative(process.cwd(), path);
  return r.startsWith('..') ? path : r;
}

/** Prints a line only when it differs from the last one printed through the same tracker. */
export function changes(): (text: string) => void {
  let last = '';
  return (text) => {
    if (text === last) return;
    last = text;
    say(text);
  };
}

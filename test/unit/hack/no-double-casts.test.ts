// Production code states its types instead of forcing them: a cast through `unknown` tells tsc to
// stop checking, and each one the tree had hid a type that disagreed (a generated type's metadata,
// a logger type, an optional return). Tests and benches may still force a fixture's shape.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const PRODUCTION = ['api', 'cmd', 'controllers', 'hack', 'plugin', 'runtime', 'samples', 'webhooks'];

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

test('production code has no `as unknown as` cast', () => {
  const files = PRODUCTION.flatMap(tsFiles);
  assert.ok(files.length > 100, `the scan found the sources (${files.length} files)`);
  const found: string[] = [];
  for (const file of files) {
    readFileSync(join(ROOT, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/\bas\s+unknown\s+as\b/.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(found, [], 'state the type (or fix the one that disagrees) instead');
});

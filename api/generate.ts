// `npm run manifests`: writes the CRDs and the TypeScript types from api/v1alpha1/schema/.
// `--check` writes nothing and exits 1 when a checked-in file differs from what would be written.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { generatedFiles } from './v1alpha1/generated-files.ts';

const root = resolve(import.meta.dirname, '..');
const check = process.argv.includes('--check');
const stale: string[] = [];

for (const file of generatedFiles()) {
  const path = join(root, file.path);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === file.content) continue;
  if (check) {
    stale.push(relative(root, path));
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
    process.stdout.write(`wrote ${file.path}\n`);
  }
}

if (stale.length > 0) {
  process.stderr.write(`stale generated files (run \`make manifests\`):\n${stale.map((s) => `  ${s}`).join('\n')}\n`);
  process.exit(1);
}

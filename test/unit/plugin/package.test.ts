// `npm run build` makes the file package.json's "bin" names: kubectl finds the plugin as an
// executable `kubectl-engula`, which npm links to the compiled entry point; the image's build
// stage copies every folder the build compiles.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const root = resolve(import.meta.dirname, '..', '..', '..');
const json = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(root, file), 'utf8')) as Record<string, unknown>;

describe('kubectl-engula as shipped', () => {
  it("package.json's bin is where tsconfig.build.json compiles cmd/kubectl-engula.ts", () => {
    const build = json('tsconfig.build.json') as { compilerOptions: { outDir: string; rootDir: string }; include: string[] };
    const bin = (json('package.json').bin ?? {}) as Record<string, string>;
    const source = 'cmd/kubectl-engula.ts';
    const compiled = join(build.compilerOptions.outDir, relative(build.compilerOptions.rootDir, source)).replace(/\.ts$/, '.js');
    assert.equal(bin['kubectl-engula'], compiled);
    for (const folder of ['cmd', 'plugin']) assert.ok(build.include.includes(folder), `tsconfig.build.json compiles ${folder}/`);
  });

  it('the entry point starts with a shebang, which tsc keeps, so the linked file runs by itself', () => {
    assert.match(readFileSync(join(root, 'cmd/kubectl-engula.ts'), 'utf8'), /^#!\/usr\/bin\/env node\n/);
  });

  it('the image build copies every folder the build compiles', () => {
    const build = json('tsconfig.build.json') as { include: string[] };
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    for (const folder of build.include) assert.match(dockerfile, new RegExp(`^COPY ${folder} ${folder}$`, 'm'), `Dockerfile copies ${folder}/`);
  });
});

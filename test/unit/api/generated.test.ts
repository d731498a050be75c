import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { generatedFiles } from '../../../api/v1alpha1/generated-files.ts';

const root = resolve(import.meta.dirname, '../../..');

describe('generated files', () => {
  for (const file of generatedFiles()) {
    it(`${file.path} is up to date (run \`make manifests\` if not)`, () => {
      assert.equal(readFileSync(join(root, file.path), 'utf8'), file.content);
    });
  }

  it('generation is deterministic', () => {
    assert.deepEqual(generatedFiles(), generatedFiles());
  });

  it('`api/generate.ts --check` agrees and exits 0', () => {
    const r = spawnSync(process.execPath, [join(root, 'api/generate.ts'), '--check'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '', 'check mode writes nothing');
  });
});

// The krew manifest agrees with the package: its name is the command, its version is
// package.json's, its bin is package.json's bin, and its release placeholders are said to be so.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

const root = resolve(import.meta.dirname, '..', '..', '..');

interface KrewPlugin {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: { version: string; shortDescription: string; platforms: Array<{ uri: string; sha256: string; bin: string; selector: unknown }> };
}

describe('plugin/krew/engula.yaml', () => {
  const text = readFileSync(join(root, 'plugin/krew/engula.yaml'), 'utf8');
  const manifest = parse(text) as KrewPlugin;
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

  it("is a krew Plugin named after the command and the file, at package.json's version", () => {
    assert.equal(manifest.apiVersion, 'krew.googlecontainertools.github.com/v1alpha2');
    assert.equal(manifest.kind, 'Plugin');
    assert.equal(manifest.metadata.name, 'engula');
    assert.equal(manifest.spec.version, `v${pkg.version}`);
    assert.ok(manifest.spec.shortDescription.length <= 60, 'krew keeps short descriptions short');
  });

  it("runs package.json's bin; its download is a placeholder, and says so", () => {
    assert.ok(manifest.spec.platforms.length > 0);
    for (const p of manifest.spec.platforms) {
      assert.equal(p.bin, pkg.bin['kubectl-engula']);
      assert.match(p.sha256, /^[0-9a-f]{64}$/);
      assert.match(p.uri, /^https:\/\//);
    }
    assert.match(text, /RELEASE PLACEHOLDERS: `uri` and `sha256`/);
  });
});

// KUBEBUILDER_ASSETS (the envtest convention): a folder that holds every binary is used as it is,
// and nothing is built.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import { run, testEnv } from '../../support/kube.ts';

const script = resolve(import.meta.dirname, '../../../hack/testenv-bins.sh');

/** An assets folder and an empty cache, removed after the test. */
function folders(t: TestContext): { assets: string; emptyCache: string } {
  const assets = mkdtempSync(join(tmpdir(), 'engula-assets-'));
  const emptyCache = mkdtempSync(join(tmpdir(), 'engula-cache-'));
  t.after(() => {
    rmSync(assets, { recursive: true, force: true });
    rmSync(emptyCache, { recursive: true, force: true });
  });
  return { assets, emptyCache };
}

test('a KUBEBUILDER_ASSETS folder with every binary is used, and nothing is built', async (t) => {
  const { assets, emptyCache } = folders(t);
  for (const name of readdirSync(testEnv().binDir)) symlinkSync(join(testEnv().binDir, name), join(assets, name));
  // No Go on PATH and an empty cache: a build would fail, so success means nothing was built.
  const env = { PATH: '/usr/bin:/bin', HOME: process.env.HOME, KUBEBUILDER_ASSETS: assets, ENGULA_CACHE_DIR: emptyCache };
  const r = await run(script, [], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), assets);
  assert.deepEqual(readdirSync(emptyCache), []);
});

test('a KUBEBUILDER_ASSETS folder that lacks a binary is not used', async (t) => {
  const { assets, emptyCache } = folders(t);
  symlinkSync(join(testEnv().binDir, 'etcd'), join(assets, 'etcd'));
  const r = await run(script, [], { env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME, KUBEBUILDER_ASSETS: assets, ENGULA_CACHE_DIR: emptyCache } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /lacks some of/);
  assert.match(r.stderr, /go is not on PATH/);
});

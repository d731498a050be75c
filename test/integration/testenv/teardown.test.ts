// Nothing outlives the control plane: `make testenv-down` and the test runner (on success and on
// Ctrl-C) stop every process they started and remove their folders.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { run, waitFor } from '../../support/kube.ts';
import { processesMentioning } from '../../support/procs.ts';

const root = resolve(import.meta.dirname, '../../..');
const node = process.execPath;

/** The runner logs its control plane's folder in its 'starting control plane' line (pino JSON). */
function controlPlaneDir(stderr: string): string {
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; dir?: string };
    if (entry.msg === 'starting control plane' && entry.dir) return entry.dir;
  }
  throw new Error(`the runner did not log its control plane folder:\n${stderr}`);
}

test('make testenv-down stops every process make testenv started and removes the folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'engula-make-testenv-'));
  const env = { ...process.env, TESTENV_DIR: dir, TESTENV_NODES: '1' };
  try {
    const up = await run('make', ['-s', 'testenv'], { env, timeoutMs: 300_000 });
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /export KUBECONFIG=/);
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { processes: { name: string; pid: number }[] };
    assert.deepEqual(state.processes.map((p) => p.name).sort(), ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'provisioner']);
    assert.ok(processesMentioning(dir).length >= 6, 'the control plane processes run from the folder');

    const down = await run('make', ['-s', 'testenv-down'], { env, timeoutMs: 120_000 });
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(processesMentioning(dir), []);
    assert.equal(existsSync(dir), false, 'the folder is removed');
  } finally {
    await run('make', ['-s', 'testenv-down'], { env, timeoutMs: 120_000 });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the test runner tears its control plane down after a passing run', async () => {
  const r = await run(node, ['hack/run-tests.ts', 'test/integration/testenv/fixtures/passes.test.ts'], { timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const dir = controlPlaneDir(r.stderr);
  assert.deepEqual(processesMentioning(dir), []);
  assert.equal(existsSync(dir), false, 'the folder is removed');
});

test('the test runner tears its control plane, its tests and what they started down on Ctrl-C (SIGINT)', async () => {
  const markerDir = mkdtempSync(join(tmpdir(), 'engula-fixture-'));
  const marker = join(markerDir, 'running');
  try {
    const child = spawn(node, ['hack/run-tests.ts', 'test/integration/testenv/fixtures/wait-forever.test.ts'], {
      cwd: root,
      env: { ...process.env, FIXTURE_MARKER: marker },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await waitFor('the fixture test to start', () => existsSync(marker), { timeoutMs: 240_000 });
    const fixture = JSON.parse(readFileSync(marker, 'utf8')) as { pid: number; dir: string };
    assert.ok(processesMentioning(fixture.dir).length >= 2, 'the fixture\'s own etcd and kube-apiserver run');
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    const dir = controlPlaneDir(stderr);
    assert.deepEqual(processesMentioning(dir), []);
    assert.deepEqual(processesMentioning('wait-forever.test.ts'), []);
    assert.equal(processesMentioning(String(fixture.pid)).some((p) => p.pid === fixture.pid), false);
    assert.equal(existsSync(dir), false, 'the folder is removed');
    // The control plane the killed test started for itself is stopped too.
    assert.deepEqual(processesMentioning(fixture.dir), []);
    assert.equal(existsSync(fixture.dir), false, 'the fixture\'s folder is removed');
  } finally {
    rmSync(markerDir, { recursive: true, force: true });
  }
});

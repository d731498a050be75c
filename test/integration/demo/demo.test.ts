// `make demo` does what the README promises, twice in a row, and `make demo-down` leaves nothing:
// the test runs the real make targets (binaries from the cache) with the demo in a folder of its
// own and the operator on a free port (so a `make run` on 9443 elsewhere cannot collide), then
// checks the objects on the demo's own control plane, not only what the script printed.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { isAlive } from '../../../testenv/process.ts';
import { run } from '../../support/kube.ts';
import { processesMentioning } from '../../support/procs.ts';
import { checkStatefulSet } from '../../support/launch-check/statefulset.ts';

const root = resolve(import.meta.dirname, '../../..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

// -o: never reinstall node_modules (npm ci) under the tests running beside this one.
const make = (target: string, env: NodeJS.ProcessEnv) => run('make', ['-s', '-C', root, '-o', 'node_modules/.installed', target], { env, timeoutMs: 300_000 });

const MARKERS = [
  '✓ Cluster apps/full is Ready: 9/9 pods Running',
  '✓ scaling 1/3: kubectl patch: engine 2 → 3',
  '✓ scaling 2/3: refused by the webhook; spec.engine.replicas is still 3',
  '✓ scaling 3/3: scaling API as system:serviceaccount:apps:engula-autoscaler: engine 3 → 4',
];

/** The demo ends with `kubectl engula status` of the sample, run through kubectl: the Cluster Ready, the engine at 4. */
function assertPluginStatus(stdout: string): void {
  assert.match(stdout, /\n\$ kubectl engula status full -n apps\nName: +full\nNamespace: +apps\n/, 'make demo shows kubectl engula status');
  const status = stdout.slice(stdout.indexOf('$ kubectl engula status full -n apps'));
  assert.match(status, /\nPhase: +Ready, 4\/4 components ready\n/);
  assert.match(status, /\n {2}engine +engine\/full-engine +4\/4 +4 +Ready /);
  assert.match(status, /\nRollout:\n {2}No roll in progress/);
}

interface Pod {
  metadata: { name: string };
  status: { phase: string; conditions?: Array<{ type: string; status: string }> };
}

test('make demo brings the sample Cluster up and scales it three ways; again; make demo-down leaves nothing', { timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'engula-demo-'));
  const port = await freePort();
  const env = { ...process.env, DEMO_DIR: dir, DEMO_WEBHOOK_PORT: String(port) };
  t.after(async () => {
    if (existsSync(dir)) await make('demo-down', env);
    rmSync(dir, { recursive: true, force: true });
  });

  const first = await make('demo', env);
  assert.equal(first.code, 0, `make demo failed:\n${first.stdout.slice(-3000)}\n${first.stderr.slice(-3000)}`);
  for (const m of MARKERS) assert.ok(first.stdout.includes(m), `make demo printed "${m}"`);
  // The refusal shown is the webhook's own message (only it names the operator's flag).
  assert.match(first.stdout, /spec\.engine\.replicas: Invalid value: 200: .*--max-replicas is 100/);
  assert.ok(first.stdout.includes(`export KUBECONFIG=${join(dir, 'kubeconfig')}`), 'it says how to look around');
  assert.ok(first.stdout.includes('make demo-down'), 'it says how to stop');
  assertPluginStatus(first.stdout);

  // The objects, on the demo's control plane.
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { binDir: string; processes: Array<{ pid: number }> };
  const kubectl = async (args: string[]) => {
    const r = await run(join(state.binDir, 'kubectl'), ['--kubeconfig', join(dir, 'kubeconfig'), ...args]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as unknown;
  };
  const pods = (await kubectl(['get', 'pods', '-n', 'apps', '-o', 'json'])) as { items: Pod[] };
  assert.equal(pods.items.length, 3 + 3 + 1 + 4, 'journal 3, storage 3, kernel 1, engine 4 (scaled by the API)');
  for (const p of pods.items) {
    assert.equal(p.status.phase, 'Running', p.metadata.name);
    assert.ok(p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), `${p.metadata.name} Ready`);
  }
  const cluster = (await kubectl(['get', 'cluster', 'full', '-n', 'apps', '-o', 'json', '--show-managed-fields'])) as {
    spec: { engine: { replicas: number } };
    status: { phase: string };
    metadata: { managedFields: Array<{ manager: string; fieldsV1?: { 'f:spec'?: { 'f:engine'?: Record<string, unknown> } } }> };
  };
  assert.equal(cluster.spec.engine.replicas, 4);
  assert.equal(cluster.status.phase, 'Ready');
  const owners = cluster.metadata.managedFields.filter((f) => f.fieldsV1?.['f:spec']?.['f:engine']?.['f:replicas'] !== undefined).map((f) => f.manager);
  assert.deepEqual(owners, ['engula-scaling-api'], 'the last change of the engine count came through the scaling API');
  const engine = (await kubectl(['get', 'statefulset', 'full-engine', '-n', 'apps', '-o', 'json'])) as { spec: { replicas: number }; status: { readyReplicas: number } };
  assert.deepEqual([engine.spec.replicas, engine.status.readyReplicas], [4, 4]);
  // The demo's control plane is its own, out of the run-wide launch check's sight: the same check here.
  const statefulSets = (await kubectl(['get', 'statefulsets', '-n', 'apps', '-o', 'json'])) as { items: unknown[] };
  const launches = statefulSets.items.map((sts) => checkStatefulSet(sts));
  assert.deepEqual(launches.map((l) => ('component' in l ? `${l.profile} ${l.component}` : l.skipped)).sort(), ['v0.2-kube-dns engine', 'v0.2-kube-dns journal', 'v0.2-kube-dns kernel', 'v0.2-kube-dns storage']);

  // Again: the control plane is reused, the operator restarted, the steps done the same way.
  const firstOperator = JSON.parse(readFileSync(join(dir, 'operator.json'), 'utf8')) as { pid: number };
  const second = await make('demo', env);
  assert.equal(second.code, 0, `the second make demo failed:\n${second.stdout.slice(-3000)}\n${second.stderr.slice(-3000)}`);
  assert.ok(second.stdout.includes('reusing the control plane'), 'the second run reuses the control plane');
  for (const m of MARKERS) assert.ok(second.stdout.includes(m), `the second make demo printed "${m}"`);
  assertPluginStatus(second.stdout);
  assert.equal(isAlive(firstOperator.pid), false, "the first run's operator was stopped");
  const operator = JSON.parse(readFileSync(join(dir, 'operator.json'), 'utf8')) as { pid: number };

  const down = await make('demo-down', env);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(existsSync(dir), false, 'the folder is removed');
  assert.deepEqual(processesMentioning(dir), [], 'no process runs from the folder');
  for (const pid of [operator.pid, ...state.processes.map((p) => p.pid)]) assert.equal(isAlive(pid), false, `pid ${pid} is gone`);
});

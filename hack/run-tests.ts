// The test command's runner: starts one control plane for the whole run (only when integration
// tests are selected), runs the selected test files with node's built-in runner, and stops the
// control plane afterwards: on success, on failure, and on Ctrl-C or SIGTERM. While the control
// plane runs, the launch check (test/support/launch-check/) watches every StatefulSet and fails the
// run when the Engula binary of its line would refuse the launch: kwok never starts a container,
// so no test could see that otherwise. Integration runs also get helm (HELM_BIN), for the chart's
// tests: hack/helm-bin.sh builds it once beside the control plane's binaries.
//
//   node hack/run-tests.ts [path ...]     paths are test files or folders (default: test/, without
//                                         test/resilience, which starts its own control plane and
//                                         runs alone: `make test-resilience`)
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { LaunchWatch } from '../test/support/launch-check/watch.ts';
import { resolveBinDir, resolveHelm } from '../testenv/bins.ts';
import { reapOrphanedControlPlanes, startControlPlane, tempControlPlaneDir, type ControlPlane } from '../testenv/controlplane.ts';
import { testenvLogger } from '../testenv/logger.ts';

const root = resolve(import.meta.dirname, '..');
const log = testenvLogger('run-tests');

function testFiles(path: string): string[] {
  const abs = resolve(root, path);
  if (!existsSync(abs)) throw new Error(`no such test path: ${path}`);
  if (statSync(abs).isFile()) return [abs];
  return readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : testFiles(join(abs, e.name));
    return e.name.endsWith('.test.ts') ? [join(abs, e.name)] : [];
  });
}

const paths = process.argv.slice(2);
const selected = [...new Set((paths.length ? paths : ['test/unit', 'test/integration']).flatMap(testFiles))].sort();
if (selected.length === 0) {
  log.error({ paths }, 'no test files selected');
  process.exit(1);
}
const needsCluster = selected.some((f) => relative(root, f).split('/').includes('integration'));

let controlPlane: ControlPlane | undefined;
let launchWatch: LaunchWatch | undefined;
let child: ChildProcess | undefined;
let stopping: Promise<void> | undefined;

function teardown(): Promise<void> {
  stopping ??= (async () => {
    // The test runner's own children (one per test file, and what they spawned) are in its process group.
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child?.once('close', r));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    }
    // Stopped before the API server goes (idempotent: the report was taken already unless interrupted).
    await launchWatch?.stop();
    if (controlPlane) {
      log.info('stopping the control plane');
      await controlPlane.stop();
    }
    // Control planes a test started for itself and could not stop, because it was killed.
    if (needsCluster) await reapOrphanedControlPlanes(log);
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    log.warn({ signal }, 'interrupted: tearing down');
    void teardown().finally(() => process.exit(130));
  });
}

const started = Date.now();
let exitCode = 1;
try {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Set when this runner itself runs inside a test (teardown.test.ts): it would turn the node
  // test runner below into a reporting child of that outer run.
  delete env.NODE_TEST_CONTEXT;
  if (needsCluster) {
    await reapOrphanedControlPlanes(log);
    const binDir = await resolveBinDir();
    const cpStarted = Date.now();
    // helm is found (or built, the first time) while the control plane starts.
    const helm = resolveHelm();
    helm.catch(() => undefined); // awaited below; this only keeps a failure while the control plane starts from going unhandled
    controlPlane = await startControlPlane({ dir: tempControlPlaneDir(), mode: 'full', binDir, logger: log });
    log.info({ seconds: (Date.now() - cpStarted) / 1000 }, 'control plane started for this run');
    Object.assign(env, controlPlane.env(), { HELM_BIN: await helm });
    const kubeconfig = controlPlane.env().KUBECONFIG;
    if (kubeconfig === undefined) throw new Error('the control plane gave no KUBECONFIG');
    // Imported here: it loads the API package and the runtime, which a unit-only run does not need.
    const { startLaunchWatch } = await import('../test/support/launch-check/watch.ts');
    launchWatch = await startLaunchWatch(kubeconfig, log);
  }
  const concurrency = process.env.TEST_CONCURRENCY ?? '3';
  log.info({ files: selected.length, concurrency, cluster: needsCluster }, 'running tests');
  const args = ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', '--test-reporter=spec', ...selected];
  exitCode = await new Promise<number>((resolveExit) => {
    child = spawn(process.execPath, args, { stdio: 'inherit', env, cwd: root, detached: true });
    child.on('close', (code, signal) => resolveExit(code ?? (signal ? 1 : 0)));
  });
} catch (err) {
  log.error({ err: (err as Error).message }, 'test run failed');
  exitCode = 1;
} finally {
  if (launchWatch) {
    const { checked, versions, custom, refused } = await launchWatch.stop();
    log.info({ checked, versions, custom, refused }, 'launch check: every StatefulSet the operator wrote, against its Engula line');
    for (const refusal of refused) log.error({ refusal }, 'launch check: the Engula binary would refuse this launch');
    if (refused.length > 0) exitCode = 1;
  }
  await teardown();
}
log.info({ seconds: (Date.now() - started) / 1000, exitCode }, 'test run finished');
process.exit(exitCode);

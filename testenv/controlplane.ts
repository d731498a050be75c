// The project's envtest: a real control plane on loopback. 'apiserver' mode runs etcd and
// kube-apiserver; 'full' mode adds kube-controller-manager, kube-scheduler, kwok with fake nodes,
// a default StorageClass and its provisioner, so StatefulSet pods get scheduled, become Running
// and Ready, and their claims bind.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { apiServerArgs, controllerManagerArgs, etcdArgs, files, kwokArgs, schedulerArgs, type Layout } from './components.ts';
import { defaultStorageClass, fakeNode, nodeIsReady } from './cluster-objects.ts';
import { adminKubeconfig } from './kubeconfig.ts';
import { writeTestenvStages } from './kwok-stages.ts';
import { createControlPlanePki } from './pki.ts';
import { freePort } from './ports.ts';
import { waitHealthy } from './probe.ts';
import { isAlive, startProcess, stopProcess, tailOf, type RunningProcess } from './process.ts';

export type ControlPlaneMode = 'full' | 'apiserver';

/** Folders of temporary control planes (a test run's, or a test's own) start with this in the temp folder. */
export const TEMP_DIR_PREFIX = 'engula-testenv-';

/** A new folder for a temporary control plane, where reapOrphanedControlPlanes() can find it. */
export function tempControlPlaneDir(): string {
  return mkdtempSync(join(tmpdir(), TEMP_DIR_PREFIX));
}

/**
 * Stops temporary control planes whose owner process is gone: left by a test run or a test that
 * was killed before it could stop them.
 */
export async function reapOrphanedControlPlanes(log: Logger): Promise<void> {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(TEMP_DIR_PREFIX))) {
    const dir = join(tmpdir(), name);
    const stateFile = files(dir).state;
    if (!existsSync(stateFile)) continue;
    try {
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as ControlPlaneState;
      if (isAlive(state.ownerPid)) continue;
      log.warn({ dir, ownerPid: state.ownerPid }, 'stopping a control plane whose owner is gone');
      await stopControlPlaneAt(dir);
    } catch (err) {
      log.warn({ dir, err: (err as Error).message }, 'could not stop an orphaned control plane');
    }
  }
}

export interface ControlPlaneOptions {
  /** Folder for certificates, etcd data, logs and the kubeconfig; removed by stop(). */
  dir: string;
  mode: ControlPlaneMode;
  /** Folder that holds etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, kwok-stages.yaml. */
  binDir: string;
  /** Fake nodes in full mode (default 3). */
  nodes?: number;
  logger: Logger;
}

export interface ControlPlaneState {
  ownerPid: number;
  mode: ControlPlaneMode;
  dir: string;
  binDir: string;
  apiServerUrl: string;
  layout: Layout;
  processes: RunningProcess[];
}

export interface ControlPlane {
  readonly dir: string;
  readonly mode: ControlPlaneMode;
  readonly binDir: string;
  readonly kubeconfig: string;
  readonly apiServerUrl: string;
  readonly caCertPath: string;
  /** A serving certificate for 127.0.0.1/localhost signed by caCertPath: usable for local webhooks. */
  readonly servingCertPath: string;
  readonly servingKeyPath: string;
  /** Variables for test processes (KUBECONFIG, TESTENV_*). */
  env(): Record<string, string>;
  /** Stops kube-apiserver only (etcd keeps the data); for tests of outages. */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same port and waits until it is ready. */
  startApiServer(): Promise<void>;
  /** The processes running now, each with whether it is still alive: for diagnostics. */
  processes(): Array<RunningProcess & { alive: boolean }>;
  /** Stops every process and removes dir. */
  stop(): Promise<void>;
}

const here = fileURLToPath(new URL('.', import.meta.url));

function defaultRouteExists(): boolean {
  try {
    return readFileSync('/proc/net/route', 'utf8')
      .split('\n')
      .slice(1)
      .some((line) => line.split(/\s+/)[1] === '00000000');
  } catch {
    return true;
  }
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const log = opts.logger;
  const dir = resolve(opts.dir);
  const f = files(dir);
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  mkdirSync(join(dir, 'pki'), { recursive: true });
  mkdirSync(f.logs, { recursive: true });

  const pki = createControlPlanePki();
  writeFileSync(f.caCert, pki.ca.certPem);
  writeFileSync(f.servingCert, pki.serving.certPem);
  writeFileSync(f.servingKey, pki.serving.keyPem, { mode: 0o600 });
  writeFileSync(f.adminCert, pki.admin.certPem);
  writeFileSync(f.adminKey, pki.admin.keyPem, { mode: 0o600 });
  writeFileSync(f.saKey, pki.serviceAccountKeyPem, { mode: 0o600 });
  writeFileSync(f.saPub, pki.serviceAccountPubPem);

  const layout: Layout = {
    dir,
    ports: {
      etcdClient: await freePort(),
      etcdPeer: await freePort(),
      apiServer: await freePort(),
      controllerManager: await freePort(),
      scheduler: await freePort(),
    },
    // Without a default route kube-apiserver cannot pick an address to advertise; any address that
    // is never dialled will do (TEST-NET-2).
    ...(defaultRouteExists() ? {} : { advertiseAddress: '198.51.100.1' }),
  };
  const apiServerUrl = `https://127.0.0.1:${layout.ports.apiServer}`;
  writeFileSync(f.kubeconfig, adminKubeconfig(apiServerUrl, pki.ca.certPem, pki.admin.certPem, pki.admin.keyPem), { mode: 0o600 });

  const state: ControlPlaneState = { ownerPid: process.pid, mode: opts.mode, dir, binDir: opts.binDir, apiServerUrl, layout, processes: [] };
  const saveState = () => writeFileSync(f.state, JSON.stringify(state, null, 2));
  const launch = (name: string, bin: string, args: string[]) => {
    const proc = startProcess(name, bin, args, join(f.logs, `${name}.log`));
    state.processes.push(proc);
    saveState();
    return proc;
  };
  const bin = (name: string) => join(opts.binDir, name);
  const adminTls = { ca: pki.ca.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem };

  const startApiServer = async () => {
    log.info({ port: layout.ports.apiServer }, 'starting kube-apiserver');
    const proc = launch('kube-apiserver', bin('kube-apiserver'), apiServerArgs(layout, opts.mode));
    await waitHealthy(proc, `${apiServerUrl}/readyz`, adminTls, 60_000);
    log.info({ elapsed: elapsed() }, 'kube-apiserver ready');
  };

  const stopNamed = async (name: string) => {
    for (const p of state.processes.filter((p) => p.name === name)) await stopProcess(p.pid);
    state.processes = state.processes.filter((p) => p.name !== name);
    saveState();
  };

  const stop = async () => {
    // Reverse order: clients before the apiserver, the apiserver before etcd.
    for (const p of [...state.processes].reverse()) await stopProcess(p.pid);
    state.processes = [];
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    saveState();
    log.info({ dir, mode: opts.mode, binDir: opts.binDir }, 'starting control plane');
    const etcd = launch('etcd', bin('etcd'), etcdArgs(layout));
    await waitHealthy(etcd, `http://127.0.0.1:${layout.ports.etcdClient}/health`, {}, 30_000);
    log.info({ elapsed: elapsed() }, 'etcd ready');
    await startApiServer();

    if (opts.mode === 'full') {
      const kcm = launch('kube-controller-manager', bin('kube-controller-manager'), controllerManagerArgs(layout));
      const scheduler = launch('kube-scheduler', bin('kube-scheduler'), schedulerArgs(layout));
      await waitHealthy(kcm, `https://127.0.0.1:${layout.ports.controllerManager}/healthz`, { insecure: true }, 60_000);
      await waitHealthy(scheduler, `https://127.0.0.1:${layout.ports.scheduler}/healthz`, { insecure: true }, 60_000);
      log.info({ elapsed: elapsed() }, 'kube-controller-manager and kube-scheduler healthy');
      launch('kwok', bin('kwok'), kwokArgs(layout, [join(opts.binDir, 'kwok-stages.yaml'), writeTestenvStages(dir)]));
      launch('provisioner', process.execPath, [join(here, 'provisioner.ts'), f.kubeconfig]);

      const kc = new k8s.KubeConfig();
      kc.loadFromFile(f.kubeconfig);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const storage = kc.makeApiClient(k8s.StorageV1Api);
      await storage.createStorageClass({ body: defaultStorageClass() });
      const nodeCount = opts.nodes ?? 3;
      for (let i = 0; i < nodeCount; i++) await core.createNode({ body: fakeNode(i) });
      await waitUntil('fake nodes Ready and untainted', 90_000, state.processes, async () => {
        const nodes = await core.listNode();
        return nodes.items.filter(nodeIsReady).length === nodeCount;
      });
      log.info({ elapsed: elapsed(), nodes: nodeCount }, 'fake nodes Ready');
      // Pods in a namespace need its "default" ServiceAccount (ServiceAccount admission); the
      // controller-manager makes it, so wait for it once here where every test would otherwise.
      await waitUntil('default ServiceAccount', 30_000, state.processes, async () => {
        await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
        return true;
      });
    }
    log.info({ elapsed: elapsed(), kubeconfig: f.kubeconfig }, 'control plane ready');
  } catch (err) {
    log.error({ err: (err as Error).message }, 'control plane failed to start; stopping what was started');
    await stop().catch(() => undefined);
    throw err;
  }

  return {
    dir,
    mode: opts.mode,
    binDir: opts.binDir,
    kubeconfig: f.kubeconfig,
    apiServerUrl,
    caCertPath: f.caCert,
    servingCertPath: f.servingCert,
    servingKeyPath: f.servingKey,
    env: () => ({
      KUBECONFIG: f.kubeconfig,
      TESTENV_DIR: dir,
      TESTENV_MODE: opts.mode,
      TESTENV_API_URL: apiServerUrl,
      TESTENV_BIN_DIR: opts.binDir,
      TESTENV_CA: f.caCert,
      TESTENV_SERVING_CERT: f.servingCert,
      TESTENV_SERVING_KEY: f.servingKey,
    }),
    stopApiServer: () => stopNamed('kube-apiserver'),
    startApiServer,
    processes: () => state.processes.map((p) => ({ ...p, alive: isAlive(p.pid) })),
    stop,
  };
}

async function waitUntil(what: string, timeoutMs: number, procs: RunningProcess[], check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const dead = procs.find((p) => !isAlive(p.pid));
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}; log tail:\n${tailOf(dead.logFile)}`);
    try {
      if (await check()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
}

/** Stops the processes of a control plane recorded in dir/state.json (by this or another process) and removes dir. */
export async function stopControlPlaneAt(dir: string): Promise<boolean> {
  const stateFile = files(resolve(dir)).state;
  if (!existsSync(stateFile)) {
    rmSync(dir, { recursive: true, force: true });
    return false;
  }
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as ControlPlaneState;
  // A pid from an old state file may since belong to an unrelated process: check what it runs.
  for (const p of [...state.processes].reverse()) if (runs(p)) await stopProcess(p.pid);
  rmSync(dir, { recursive: true, force: true });
  return true;
}


function runs(p: RunningProcess): boolean {
  try {
    return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes(p.name === 'provisioner' ? 'provisioner.ts' : p.name);
  } catch {
    return false;
  }
}

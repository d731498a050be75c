// The operator in the background, as `make run` runs it (webhooks on 127.0.0.1 registered by URL,
// leader election on), detached so it outlives `make demo`; its pid and ports go to a record file
// that `make demo-down` (or the next `make demo`) reads to stop it.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { isAlive, stopProcess } from '../../testenv/process.ts';
import { type DemoLayout, NAMESPACE, root } from './layout.ts';
import type { Kubectl } from './run.ts';

export interface OperatorRecord {
  pid: number;
  webhookPort: number;
  metricsPort: number;
  probePort: number;
  log: string;
}

const node = join(root, 'node_modules', '.bin', 'node');

export function operatorArgs(l: DemoLayout, webhookPort: number): string[] {
  return [
    'cmd/manager.ts',
    '--local-webhooks',
    `--webhook-port=${webhookPort}`,
    '--leader-elect',
    // Port 0: the operator picks free ports and logs them, so the demo never collides with a
    // `make run` on :8080/:8081.
    '--metrics-bind-address=127.0.0.1:0',
    '--health-probe-bind-address=127.0.0.1:0',
    `--kubeconfig=${l.kubeconfig}`,
  ];
}

function readRecord(l: DemoLayout): OperatorRecord | undefined {
  if (!existsSync(l.operatorRecord)) return undefined;
  try {
    return JSON.parse(readFileSync(l.operatorRecord, 'utf8')) as OperatorRecord;
  } catch {
    return undefined;
  }
}

/** The recorded pid, when it is still alive and still our operator (a pid may since name another process). */
export function runningOperator(l: DemoLayout): OperatorRecord | undefined {
  const rec = readRecord(l);
  if (!rec || !isAlive(rec.pid)) return undefined;
  try {
    return readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8').includes('cmd/manager.ts') ? rec : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM (a graceful shutdown: it releases its Lease and removes its webhook configurations), SIGKILL after 40 s. */
export async function stopOperator(l: DemoLayout): Promise<boolean> {
  const rec = runningOperator(l);
  rmSync(l.operatorRecord, { force: true });
  if (!rec) return false;
  await stopProcess(rec.pid, 40_000);
  return true;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts the operator and waits until it serves: its ports are in its log, and the API server calls
 * its validating webhook (a server-side dry run that only the webhook's --max-replicas rule refuses).
 */
export async function startOperator(l: DemoLayout, kubectl: Kubectl, webhookPort: number): Promise<OperatorRecord> {
  if (!(await portFree(webhookPort))) {
    throw new Error(
      `port ${webhookPort} on 127.0.0.1 is taken (a \`make run\` or another demo?): stop that, or run DEMO_WEBHOOK_PORT=<port> make demo`,
    );
  }
  // The log is appended to across runs: only what this process writes counts.
  const from = existsSync(l.operatorLog) ? statSync(l.operatorLog).size : 0;
  const fd = openSync(l.operatorLog, 'a');
  let pid: number;
  try {
    const child = spawn(node, operatorArgs(l, webhookPort), { cwd: root, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error('could not start the operator');
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(fd);
  }
  const logged = (re: RegExp) => () => {
    if (!isAlive(pid)) throw new Error(`the operator exited; the end of ${l.operatorLog}:\n${tail(l.operatorLog)}`);
    const m = re.exec(readFileSync(l.operatorLog).subarray(from).toString('utf8'));
    return m ? Number(m[1]) : undefined;
  };
  const partial = { pid, webhookPort, metricsPort: 0, probePort: 0, log: l.operatorLog };
  writeFileSync(l.operatorRecord, JSON.stringify(partial));
  const metricsPort = await poll("the operator's metrics server", 90_000, logged(/"port":(\d+),"msg":"metrics server listening"/));
  const probePort = await poll("the operator's probe server", 30_000, logged(/"port":(\d+),"msg":"health probe server listening"/));
  await poll("the operator's webhook server", 30_000, logged(/"port":(\d+),[^\n]*"msg":"webhook server listening"/));
  const record = { ...partial, metricsPort, probePort };
  writeFileSync(l.operatorRecord, JSON.stringify(record));
  const probe = JSON.stringify({
    apiVersion: 'cluster.engula.io/v1alpha1',
    kind: 'Engine',
    metadata: { name: 'webhook-probe', namespace: NAMESPACE },
    spec: { replicas: 100_000, clusterName: 'probe' },
  });
  await poll('the API server to call the webhook', 60_000, async () => {
    if (!isAlive(pid)) throw new Error(`the operator exited; the end of ${l.operatorLog}:\n${tail(l.operatorLog)}`);
    const r = await kubectl(['create', '--dry-run=server', '-f', '-'], { input: probe });
    return r.code !== 0 && r.stderr.includes('--max-replicas') ? true : undefined;
  });
  return record;
}

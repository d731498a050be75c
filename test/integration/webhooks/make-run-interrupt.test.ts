// `make run` stopped with Ctrl-C leaves no webhook configuration registered. The operator runs as
// the README says (`make run`, webhooks registered by URL on 127.0.0.1), is called by the API
// server, holds the connections a client's pool keeps open (one between requests, one that never
// sent a request, as the API server's pool holds them), and gets the SIGINT a terminal sends to
// the foreground process group, make included. make returns at once; the operator must be gone
// soon after, and its configurations with it: left behind, with failurePolicy Fail, they would
// refuse every Engula write until deleted by hand. (Before, the webhook server's close waited for
// those connections, the graceful timeout ran out, and the process exited without unregistering.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import tls from 'node:tls';
import { kubectl, testEnv, testNamespace, waitFor } from '../../support/kube.ts';
import { deleteClusterScoped, testConfigurationName, waitUntilAdmissionServed } from '../../support/operator.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');

async function registered(name: string): Promise<string[]> {
  const kinds = ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration'];
  const found = await Promise.all(kinds.map(async (k) => ((await kubectl(['get', `${k}/${name}`, '-o', 'name'])).code === 0 ? `${k}/${name}` : undefined)));
  return found.filter((f) => f !== undefined);
}

test('make run stopped with Ctrl-C unregisters its webhook configurations', { timeout: 180_000 }, async (t) => {
  const env = testEnv();
  const ns = await testNamespace(t, 'make-run-int');
  const name = testConfigurationName([ns]);
  const args = [
    '--webhook-port=0',
    `--webhook-configuration-name=${name}`,
    `--operator-namespace=${ns}`,
    `--namespaces=${ns}`,
    '--metrics-bind-address=127.0.0.1:0',
    '--health-probe-bind-address=127.0.0.1:0',
  ];
  // Its own process group, as a terminal's foreground job; -o: never reinstall node_modules (npm ci)
  // under the tests running beside this one.
  const make = spawn('make', ['-s', '-C', root, '-o', 'node_modules/.installed', 'run', `ARGS=${args.join(' ')}`], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KUBECONFIG: env.kubeconfig, KUBECTL: join(env.binDir, 'kubectl') },
  });
  let out = '';
  make.stdout.on('data', (d: Buffer) => (out += d.toString()));
  make.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = once(make, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  t.after(async () => {
    if (make.exitCode === null && make.signalCode === null) {
      process.kill(-make.pid!, 'SIGKILL');
      await exited;
    }
    await deleteClusterScoped(`validatingwebhookconfiguration/${name}`, `mutatingwebhookconfiguration/${name}`);
  });

  await waitFor('make run to register the webhooks', () => {
    if (make.exitCode !== null) throw new Error(`make run exited:\n${out.slice(-3000)}`);
    return out.includes('"msg":"webhooks registered by URL"');
  }, { timeoutMs: 120_000, intervalMs: 200 });
  assert.deepEqual(await registered(name), [`validatingwebhookconfiguration/${name}`, `mutatingwebhookconfiguration/${name}`]);
  // The API server calls it.
  await waitUntilAdmissionServed(ns);
  // A client's pool: a connection kept alive after its request, and one never used.
  const port = Number(/"port":(\d+),[^\n]*"msg":"webhook server listening"/.exec(out)?.[1]);
  const pooled = await Promise.all(['GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n', ''].map(async (request) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    socket.on('error', () => undefined);
    t.after(() => void socket.destroy());
    await once(socket, 'secureConnect');
    if (request) {
      socket.write(request);
      await once(socket, 'data');
    }
    return socket;
  }));

  const interruptedAt = Date.now();
  process.kill(-make.pid!, 'SIGINT');
  const [code, signal] = await exited;
  const makeSeconds = (Date.now() - interruptedAt) / 1000;
  // make does not wait for the operator: it is gone when nothing is left in the process group.
  await waitFor('the operator to exit', () => {
    try {
      process.kill(-make.pid!, 0);
      return false;
    } catch {
      return true;
    }
  }, { timeoutMs: 60_000, intervalMs: 20 });
  const seconds = (Date.now() - interruptedAt) / 1000;
  t.diagnostic(`make run: make returned ${makeSeconds.toFixed(2)} s after Ctrl-C (code ${code}, signal ${signal}), the operator ${seconds.toFixed(2)} s after`);

  assert.deepEqual(await registered(name), [], `no configuration left registered:\n${out.slice(-3000)}`);
  assert.ok(pooled.every((s) => s.destroyed || s.readableEnded), 'the pooled connections were closed by the server');
  assert.match(out, /"msg":"webhook configurations unregistered"/);
  assert.match(out, /"msg":"manager stopped"/, 'the operator shut down gracefully');
});

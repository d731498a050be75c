// Must-show 4: two managers against one apiserver; only the leader reconciles; after a SIGKILL
// of the leader the other takes over within 20 s; after a SIGTERM it takes over at once.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { kubeConfig, testEnv, testNamespace, waitFor } from '../../support/kube.ts';

const fixture = join(import.meta.dirname, 'fixtures', 'leader-manager.ts');

interface Replica {
  identity: string;
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  exit: Promise<number | null>;
}

function startReplica(ns: string, lease: string, identity: string): Replica {
  const child = spawn(process.execPath, [fixture, testEnv().kubeconfig, ns, lease, identity], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Array<Record<string, unknown>> = [];
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not a log line.
      }
    }
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { identity, child, lines, exit };
}

async function metric(r: Replica, name: string): Promise<number | undefined> {
  const listening = r.lines.find((l) => l.event === 'listening');
  if (!listening) return undefined;
  const body = await (await fetch(`http://127.0.0.1:${String(listening.metricsPort)}/metrics`)).text();
  const line = body.split('\n').find((l) => l.startsWith(name));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

const reconciles = (r: Replica): number => r.lines.filter((l) => l.event === 'reconciled').length;

describe('leader election', { timeout: 180_000 }, () => {
  it('lets only the leader reconcile, and hands over on SIGKILL (within 20 s) and SIGTERM (at once)', async (t) => {
    const ns = await testNamespace(t, 'rt-leader');
    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    const coord = kubeConfig().makeApiClient(k8s.CoordinationV1Api);
    const lease = 'leader-test';
    const replicas: Replica[] = [];
    t.after(() => {
      for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    });
    const a = startReplica(ns, lease, 'replica-a');
    replicas.push(a);
    await waitFor('replica-a leads', async () => (await coord.readNamespacedLease({ name: lease, namespace: ns })).spec?.holderIdentity === 'replica-a', { timeoutMs: 30_000 });
    const b = startReplica(ns, lease, 'replica-b');
    replicas.push(b);
    await waitFor('replica-b up as a standby', async () => (await metric(b, 'leader_election_master_status')) === 0, { timeoutMs: 30_000 });
    assert.equal(await metric(a, 'leader_election_master_status'), 1);

    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'work', labels: { stamp: 'yes' } }, data: { touch: '0' } } });
    const stamped = async (by: string, touch: string): Promise<boolean> => {
      const cm = await core.readNamespacedConfigMap({ name: 'work', namespace: ns });
      return cm.metadata?.annotations?.['stamped-by'] === by && cm.metadata.annotations['stamped-touch'] === touch;
    };
    const touch = (v: string): Promise<unknown> => core.patchNamespacedConfigMap({ name: 'work', namespace: ns, body: { data: { touch: v } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await waitFor('the leader reconciles', () => stamped('replica-a', '0'));
    for (const v of ['1', '2', '3']) {
      await touch(v);
      await waitFor(`the leader reconciles touch ${v}`, () => stamped('replica-a', v));
    }
    assert.ok(reconciles(a) >= 4);
    assert.equal(reconciles(b), 0, 'the standby reconciled nothing');

    // SIGKILL: no release; the standby must wait out the lease.
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await touch('4');
    await waitFor('replica-b takes over after SIGKILL', () => stamped('replica-b', '4'), { timeoutMs: 25_000, intervalMs: 100 });
    const afterKillMs = Date.now() - killedAt;
    assert.ok(afterKillMs < 20_000, `takeover after SIGKILL took ${afterKillMs} ms`);
    assert.equal(await metric(b, 'leader_election_master_status'), 1);

    // A new standby, then SIGTERM the leader: it releases the lease on its way out.
    const c = startReplica(ns, lease, 'replica-c');
    replicas.push(c);
    await waitFor('replica-c up as a standby', async () => (await metric(c, 'leader_election_master_status')) === 0, { timeoutMs: 30_000 });
    await waitFor('replica-c synced its cache', async () => {
      const listening = c.lines.find((l) => l.event === 'listening');
      return listening !== undefined && (await fetch(`http://127.0.0.1:${String(listening.probePort)}/readyz`)).status === 200;
    });
    const termAt = Date.now();
    b.child.kill('SIGTERM');
    await touch('5');
    await waitFor('replica-c takes over after SIGTERM', () => stamped('replica-c', '5'), { timeoutMs: 20_000, intervalMs: 50 });
    const afterTermMs = Date.now() - termAt;
    assert.equal(await b.exit, 0, 'the SIGTERMed leader exits cleanly');
    assert.ok(afterTermMs < 3_000, `takeover after SIGTERM took ${afterTermMs} ms`);
    assert.equal(reconciles(c) >= 1, true);
    process.stderr.write(`leader-election: takeover after SIGKILL ${afterKillMs} ms, after SIGTERM ${afterTermMs} ms\n`);
    c.child.kill('SIGTERM');
    assert.equal(await c.exit, 0);
    const final = await coord.readNamespacedLease({ name: lease, namespace: ns });
    assert.ok(!final.spec?.holderIdentity, 'the last leader released the lease on SIGTERM');
  });
});

// Two replicas as deployed. The leader loses its lease in the two ways a real one does: it is cut
// from kube-apiserver (its loopback proxy stalls every connection and refuses new ones), or it is
// frozen (SIGSTOP: a long GC pause, a stopped VM) past its lease while work waits for it, then
// thawed. The other replica must take over, and the old leader must send no write after the moment
// the lease could be taken: from both replicas' own request records, the old leader's last write
// left before the new leader's first.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import { getJson, installCrds, conditionOf, type ConditionLike } from '../../support/operator.ts';
import { kubectlOk, testEnv, testNamespace, waitFor } from '../../support/kube.ts';
import { apiServerPort, kubeConfigVia } from '../../support/proxied-kubeconfig.ts';
import { startReplicas } from '../../support/replicas.ts';
import { isLeaseRequest, readRequestLog, writesSent } from '../../support/request-log.ts';
import { TcpProxy } from '../../support/tcp-proxy.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');
// Shorter than the shipped 15s/10s/2s so the test takes seconds, in the same proportions.
const LEASE = ['--lease-duration=6s', '--renew-deadline=4s', '--retry-period=1s'];

async function twoReplicas(t: TestContext, prefix: string) {
  await installCrds();
  const ns = await testNamespace(t, prefix);
  const env = testEnv();
  const dir = mkdtempSync(join(env.kubeconfig, '..', `${ns}-`));
  const proxies = await Promise.all([0, 1].map(() => TcpProxy.start({ host: '127.0.0.1', port: apiServerPort(env.kubeconfig) })));
  t.after(async () => {
    await Promise.all(proxies.map((p) => p.close()));
  });
  const files = proxies.map((p, i) => {
    const kubeconfig = join(dir, `replica-${i}.kubeconfig`);
    writeFileSync(kubeconfig, kubeConfigVia(env.kubeconfig, p.port).exportConfig(), { mode: 0o600 });
    return { kubeconfig };
  });
  const replicas = await startReplicas(t, [ns], {
    extraArgs: (slot) => ['--kubeconfig', files[slot]!.kubeconfig, ...LEASE],
  });
  await kubectlOk(['-n', ns, 'apply', '-f', resolve(root, 'samples/cluster-minimal.yaml')]);
  await clusterConverged(ns);
  const oldSlot = await replicas.leader();
  const requests = replicas.processes.map((p) => ({ requests: p.requestLog }));
  return { ns, proxies, files: requests, replicas, oldSlot, newSlot: 1 - oldSlot };
}

function clusterConverged(ns: string): Promise<boolean> {
  return waitFor('Cluster minimal Ready at its generation', async () => {
    const c = await getJson<{ status?: { conditions?: ConditionLike[]; observedGeneration?: number }; metadata: { generation: number } }>(ns, 'cluster', 'minimal');
    return conditionOf(c, 'Ready')?.status === 'True' && c?.status?.observedGeneration === c?.metadata.generation;
  }, { timeoutMs: 120_000, intervalMs: 500 });
}

/** Keeps changing the Cluster, so the leader always has writes to make, until stopped. */
function keepScaling(ns: string): () => Promise<void> {
  let on = true;
  const loop = (async () => {
    for (let i = 0; on; i++) {
      await kubectlOk(['-n', ns, 'patch', 'cluster', 'minimal', '--type', 'merge', '-p', JSON.stringify({ spec: { engine: { replicas: 1 + (i % 3) } } })]).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  return async () => {
    on = false;
    await loop;
  };
}

/** Both replicas' writes since `from`, and the assertion this file is about. */
function assertNoOverlap(t: TestContext, files: Array<{ requests: string }>, oldSlot: number, from: number): Record<string, unknown> {
  const newSlot = 1 - oldSlot;
  const allOldWrites = writesSent(readRequestLog(files[oldSlot]!.requests));
  const oldWrites = allOldWrites.filter((w) => w.t >= from);
  const newWrites = writesSent(readRequestLog(files[newSlot]!.requests)).filter((w) => w.t >= from);
  const newLease = newWrites.find((w) => isLeaseRequest(w));
  const firstNew = newWrites.find((w) => !isLeaseRequest(w));
  // The last write the old leader ever sent (before the fault, when it sent none after).
  const lastOld = allOldWrites.at(-1);
  assert.ok(newLease && firstNew, 'the new leader took the lease and wrote');
  const report = {
    lastOldWriteMs: lastOld ? lastOld.t - from : null,
    lastOldWrite: lastOld ? `${lastOld.method} ${lastOld.path}` : null,
    lastOldLeaseWriteMs: (allOldWrites.filter((w) => isLeaseRequest(w)).at(-1)?.t ?? Number.NaN) - from,
    oldWritesAfterFault: oldWrites.length,
    newLeaseTakenMs: newLease.t - from,
    firstNewWriteMs: firstNew.t - from,
    firstNewWrite: `${firstNew.method} ${firstNew.path}`,
  };
  t.diagnostic(JSON.stringify(report));
  assert.ok(lastOld, 'the old leader wrote while it led');
  assert.ok(lastOld.t < newLease.t, `the old leader's last write (${report.lastOldWriteMs} ms) left before the new leader took the lease (${report.newLeaseTakenMs} ms)`);
  return report;
}

test('a leader frozen past its lease sends no write when it thaws, though work waits for it', { timeout: 240_000 }, async (t) => {
  const { ns, files, replicas, oldSlot, newSlot } = await twoReplicas(t, 'lease-freeze');
  const oldLeader = replicas.processes[oldSlot]!;
  const stopScaling = keepScaling(ns);
  const frozenAt = Date.now();
  oldLeader.child.kill('SIGSTOP');
  let thawedAt = 0;
  try {
    await waitFor('the other replica to lead', () => replicas.processes[newSlot]!.log().includes('"msg":"became leader"'), { timeoutMs: 60_000, intervalMs: 100 });
    // Let changes pile up in the frozen leader's watches, then thaw it. (The new leader's first
    // write waits on admission by the one replica left; on a loaded machine that takes a while.)
    await waitFor('the new leader to write', () => writesSent(readRequestLog(files[newSlot]!.requests)).some((w) => w.t > frozenAt && !isLeaseRequest(w)), { timeoutMs: 90_000, intervalMs: 200 });
  } finally {
    // Thawed on failure too: a stopped process cannot take the SIGTERM of the clean-up.
    thawedAt = Date.now();
    oldLeader.child.kill('SIGCONT');
  }
  const exitCode = await waitFor('the old leader to exit', () => (oldLeader.alive ? undefined : (oldLeader.child.exitCode ?? -1)), { timeoutMs: 60_000, intervalMs: 100 });
  await stopScaling();
  const report = assertNoOverlap(t, files, oldSlot, frozenAt);
  const afterThaw = writesSent(readRequestLog(files[oldSlot]!.requests)).filter((w) => w.t >= thawedAt);
  assert.deepEqual(afterThaw.map((w) => `${w.method} ${w.path}`), [], 'no write left the thawed leader');
  assert.match(oldLeader.log(), /not sent: |leader election lost/, `the thawed leader noticed (${JSON.stringify(report)})`);
  assert.notEqual(exitCode, 0);
  await clusterConverged(ns);
});

test('a leader cut from the apiserver stops writing before the other replica can take the lease', { timeout: 240_000 }, async (t) => {
  const { ns, proxies, files, replicas, oldSlot, newSlot } = await twoReplicas(t, 'lease-loss');
  const oldLeader = replicas.processes[oldSlot]!;

  const stopScaling = keepScaling(ns);
  const partitionAt = Date.now();
  proxies[oldSlot]!.refuse(true);
  proxies[oldSlot]!.stallAll();
  await waitFor('the other replica to lead', () => replicas.processes[newSlot]!.log().includes('"msg":"became leader"'), { timeoutMs: 60_000, intervalMs: 100 });
  // Heal the partition: anything the old leader still held back would reach the apiserver now.
  proxies[oldSlot]!.refuse(false);
  const exitCode = await waitFor('the old leader to exit', () => (oldLeader.alive ? undefined : oldLeader.child.exitCode ?? -1), { timeoutMs: 60_000, intervalMs: 100 });
  await stopScaling();
  assertNoOverlap(t, files, oldSlot, partitionAt);
  assert.notEqual(exitCode, 0, 'a replica that lost the lease exits with an error, to be restarted');
  assert.match(oldLeader.log(), /leader election lost/);

  // The survivor finishes the job alone.
  await clusterConverged(ns);
});

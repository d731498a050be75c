// A request's abort signals reach the socket: a write in flight when leadership is given up, or a
// read whose caller gives up, ends at once with the signal's reason, and the write never lands.
// The requests hang on a connection the proxy stalled, so each is surely in flight when aborted.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { coreResources, resourcePath, type KubeObject } from '../../../runtime/resource.ts';
import { RestClient } from '../../../runtime/rest.ts';
import { Client } from '../../../runtime/client.ts';
import { LeadershipGate, LeadershipLostError } from '../../../runtime/write-gate.ts';
import { testEnv, testNamespace, waitFor } from '../../support/kube.ts';
import { apiServerPort, kubeConfigVia } from '../../support/proxied-kubeconfig.ts';
import { RequestCounter } from '../../support/request-counter.ts';
import { TcpProxy } from '../../support/tcp-proxy.ts';

const isLeadershipLost = (err: unknown): boolean => err instanceof LeadershipLostError;

const cms = coreResources.configMaps;

interface Setup {
  ns: string;
  proxy: TcpProxy;
  direct: RestClient;
  viaProxy: RestClient;
  /** viaProxy's requests, counted as they leave. */
  sent: RequestCounter;
}

/** A client whose one pooled connection goes through a proxy that is then stalled: its next
 * request reuses that connection and hangs. */
async function stalledClient(t: TestContext, prefix: string): Promise<Setup> {
  const env = testEnv();
  const ns = await testNamespace(t, prefix);
  const proxy = await TcpProxy.start({ host: '127.0.0.1', port: apiServerPort(env.kubeconfig) });
  const direct = new RestClient(kubeConfigVia(env.kubeconfig, apiServerPort(env.kubeconfig)));
  const viaProxy = new RestClient(kubeConfigVia(env.kubeconfig, proxy.port));
  const sent = new RequestCounter(viaProxy);
  t.after(async () => {
    viaProxy.close();
    direct.close();
    await proxy.close();
  });
  await direct.request('POST', resourcePath(cms, ns), { body: { metadata: { name: 'target' }, data: { v: 'before' } } });
  await viaProxy.request('GET', resourcePath(cms, ns, 'target'));
  assert.equal(proxy.stallAll(), 1, 'the one pooled connection is stalled');
  return { ns, proxy, direct, viaProxy, sent };
}

async function settledWithin<T>(p: Promise<T>, ms: number): Promise<{ error: unknown; ms: number }> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([p, deadline]);
    return { error: undefined, ms: Date.now() - t0 };
  } catch (error) {
    if (error instanceof Error && error.message === `still pending after ${ms} ms`) throw error;
    return { error, ms: Date.now() - t0 };
  } finally {
    clearTimeout(timer);
  }
}

/** The aborted request's connection is gone from the pool: the next request opens a new one and
 * is answered (a stalled connection handed back to the pool would hang it). */
async function assertConnectionDropped(proxy: TcpProxy, client: RestClient, ns: string): Promise<void> {
  const accepted = proxy.accepted;
  const { error } = await settledWithin(client.request('GET', resourcePath(cms, ns, 'target')), 5_000);
  assert.equal(error, undefined);
  assert.equal(proxy.accepted, accepted + 1, 'the next request came on a new connection');
}

describe('RestClient: aborting requests in flight', { timeout: 60_000 }, () => {
  it('a write in flight when leadership is given up fails with LeadershipLostError and does not land', async (t) => {
    const { ns, proxy, direct, viaProxy, sent } = await stalledClient(t, 'rest-abort-gate');
    const gate = new LeadershipGate();
    gate.extend(Date.now() + 60_000);
    const gated = new Client({ rest: viaProxy, gate });
    const write = gated.patch(cms, ns, 'target', { type: 'merge', body: { data: { v: 'after' } } });
    // Sent (the request is on the stalled socket) before the gate closes.
    await waitFor('the write is on its way', () => sent.of('PATCH') === 1, { timeoutMs: 5_000, intervalMs: 10 });
    gate.revoke('test: leadership given up');
    const { error, ms } = await settledWithin(write, 5_000);
    assert.ok(isLeadershipLost(error), `rejected with LeadershipLostError, got ${String(error)}`);
    assert.ok(ms < 2_000, `ended ${ms} ms after the revoke`);
    await assertConnectionDropped(proxy, viaProxy, ns);
    const live = await direct.request<KubeObject & { data?: Record<string, string> }>('GET', resourcePath(cms, ns, 'target'));
    assert.equal(live.data?.v, 'before');
    // A later write is refused before it is sent.
    await assert.rejects(gated.patch(cms, ns, 'target', { type: 'merge', body: { data: { v: 'later' } } }), isLeadershipLost);
    assert.equal(sent.of('PATCH'), 1);
  });

  it('a read whose caller aborts fails with the caller\'s reason, and the client goes on working', async (t) => {
    const { ns, proxy, viaProxy, sent } = await stalledClient(t, 'rest-abort-caller');
    const caller = new AbortController();
    const read = viaProxy.request('GET', resourcePath(cms, ns, 'target'), { signal: caller.signal });
    await waitFor('the read is on its way', () => sent.of('GET') === 2, { timeoutMs: 5_000, intervalMs: 10 });
    const reason = new Error('test: the caller gave up');
    caller.abort(reason);
    const { error, ms } = await settledWithin(read, 5_000);
    assert.equal(error, reason);
    assert.ok(ms < 2_000, `ended ${ms} ms after the abort`);
    await assertConnectionDropped(proxy, viaProxy, ns);
    // The same signal, already aborted, stops the next request at once; a fresh one goes through.
    await assert.rejects(viaProxy.request('GET', resourcePath(cms, ns, 'target'), { signal: caller.signal }), (err) => err === reason);
    const again = await viaProxy.request<KubeObject>('GET', resourcePath(cms, ns, 'target'), { signal: new AbortController().signal });
    assert.equal(again.metadata.name, 'target');
  });
});

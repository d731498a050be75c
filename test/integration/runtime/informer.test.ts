// Must-show 1 and 2: an informer loses no event across cut connections, an outage and a
// kube-apiserver restart, and a silently stalled watch is detected within the watchdog period.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { startControlPlane, tempControlPlaneDir, type ControlPlane } from '../../../testenv/controlplane.ts';
import { Informer } from '../../../runtime/informer.ts';
import { coreResources, resourcePath, type KubeObject, type ObjectList } from '../../../runtime/resource.ts';
import { RestClient } from '../../../runtime/rest.ts';
import { testEnv, testNamespace, waitFor } from '../../support/kube.ts';
import { apiServerPort, apiServerProxy, kubeConfigVia } from '../../support/proxied-kubeconfig.ts';
import { TcpProxy } from '../../support/tcp-proxy.ts';

const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
const cms = coreResources.configMaps;
const fastBackoff = { initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0.5, resetAfterMs: 10_000 };

/** Everything the handlers were told, per object name. */
class Seen {
  readonly added = new Set<string>();
  readonly deleted = new Set<string>();
  readonly last = new Map<string, KubeObject>();
  handler = {
    onAdd: (o: KubeObject) => {
      this.added.add(o.metadata.name ?? '');
      this.last.set(o.metadata.name ?? '', o);
    },
    onUpdate: (_old: KubeObject, o: KubeObject) => this.last.set(o.metadata.name ?? '', o),
    onDelete: (o: KubeObject) => {
      this.deleted.add(o.metadata.name ?? '');
      this.last.delete(o.metadata.name ?? '');
    },
  };
}

async function freshList(rest: RestClient, ns: string): Promise<Map<string, string>> {
  const list = await rest.request<ObjectList>('GET', resourcePath(cms, ns));
  return new Map(list.items.map((i) => [i.metadata.name ?? '', i.metadata.resourceVersion ?? '']));
}

function cacheState(inf: Informer): Map<string, string> {
  return new Map(inf.store.list().map((i) => [i.metadata.name ?? '', i.metadata.resourceVersion ?? '']));
}

function sameState(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

class Writer {
  readonly rest: RestClient;
  readonly ns: string;
  readonly expected = new Map<string, string>();
  readonly deleted = new Set<string>();
  readonly created = new Set<string>();
  readonly updated = new Set<string>();
  constructor(rest: RestClient, ns: string) {
    this.rest = rest;
    this.ns = ns;
  }
  async create(name: string, v: string): Promise<void> {
    await this.rest.request('POST', resourcePath(cms, this.ns), { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v } } });
    this.expected.set(name, v);
    this.created.add(name);
  }
  async update(name: string, v: string): Promise<void> {
    await this.rest.request('PATCH', resourcePath(cms, this.ns, name), { body: { data: { v } }, contentType: 'application/merge-patch+json' });
    this.expected.set(name, v);
    this.updated.add(name);
  }
  async remove(name: string): Promise<void> {
    await this.rest.request('DELETE', resourcePath(cms, this.ns, name));
    this.expected.delete(name);
    this.deleted.add(name);
  }
  /** Some of everything: creates, updates of live objects, deletes of live objects. */
  async churn(tag: string): Promise<void> {
    const live = [...this.expected.keys()];
    for (let i = 0; i < 4; i++) await this.create(`${tag}-${i}`, tag);
    for (const name of live.slice(0, 3)) await this.update(name, `${tag}-u`);
    for (const name of live.slice(3, 5)) await this.remove(name);
  }
}

describe('informer: no lost event', { timeout: 300_000 }, () => {
  let cp: ControlPlane;
  let proxy: TcpProxy;

  before(async () => {
    const binDir = testEnv().binDir;
    cp = await startControlPlane({ dir: tempControlPlaneDir(), mode: 'apiserver', binDir, logger: log });
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: apiServerPort(cp.kubeconfig) });
  });
  after(async () => {
    await proxy?.close();
    await cp?.stop();
  });

  it('sees every create, update and delete made while the watch was cut, refused, and the apiserver restarted', async () => {
    const direct = new RestClient(kubeConfigVia(cp.kubeconfig, apiServerPort(cp.kubeconfig)));
    const viaProxy = new RestClient(kubeConfigVia(cp.kubeconfig, proxy.port));
    const ns = 'no-lost-events';
    await direct.request('POST', '/api/v1/namespaces', { body: { metadata: { name: ns } } });
    const w = new Writer(direct, ns);
    for (let i = 0; i < 8; i++) await w.create(`seed-${i}`, 'seed');

    const seen = new Seen();
    // The watchdog is far away, so recovery has to come from the reconnect and 410 logic.
    const informer = new Informer({ rest: viaProxy, ref: cms, namespace: ns, logger: log, backoff: fastBackoff, watchdogMs: 600_000 });
    informer.addEventHandler(seen.handler);
    informer.start();
    await informer.waitForSync();

    const converged = async (what: string): Promise<void> => {
      await waitFor(what, async () => sameState(cacheState(informer), await freshList(direct, ns)), { timeoutMs: 60_000, intervalMs: 100 });
    };

    let cuts = 0;
    for (let round = 0; round < 6; round++) {
      // Changes that the live watch should deliver.
      await w.churn(`live${round}`);
      // An outage: every connection reset, new ones refused, while the world changes.
      proxy.refuse(true);
      cuts += proxy.cutAll();
      await w.churn(`out${round}`);
      if (round === 2) {
        // kube-apiserver restarts during the outage; its new watch cache starts at a newer
        // resourceVersion, so resuming from ours is answered with 410 Gone.
        await cp.stopApiServer();
        await cp.startApiServer();
        await w.churn(`restarted${round}`);
      }
      proxy.refuse(false);
      await converged(`cache equal to a fresh list after outage ${round}`);
    }

    // The apiserver restarting under a connected informer (not hidden behind a refusing proxy).
    await w.churn('before-restart');
    await cp.stopApiServer();
    await cp.startApiServer();
    await w.churn('after-restart');
    await converged('cache equal to a fresh list after a restart under a live watch');

    for (const name of w.created) if (!w.deleted.has(name)) assert.ok(seen.added.has(name), `add of ${name} seen`);
    for (const name of w.deleted) assert.ok(seen.deleted.has(name), `delete of ${name} seen`);
    for (const [name, v] of w.expected) assert.equal(seen.last.get(name)?.data && (seen.last.get(name)?.data as Record<string, string>).v, v, `latest version of ${name} seen`);
    assert.deepEqual([...seen.last.keys()].sort(), [...w.expected.keys()].sort(), 'handlers saw the same final set as the server holds');
    assert.ok(cuts >= 6, `connections were cut (${cuts})`);
    assert.equal(informer.stats.watchdogFired, 0, 'recovered without the watchdog');
    log.warn({ stats: informer.stats, cuts, created: w.created.size, updated: w.updated.size, deleted: w.deleted.size }, 'no-lost-events summary');
    assert.ok(informer.stats.failures > 0 && informer.stats.lists > 1, 'the informer really did reconnect and re-list');

    // No socket outlives the informer.
    await informer.stop();
    viaProxy.close();
    await waitFor('no connection left through the proxy', () => proxy.open === 0, { timeoutMs: 10_000, intervalMs: 50 });
    direct.close();
  });
});

describe('informer: stalled watch', { timeout: 120_000 }, () => {
  it('detects a watch that went silent without closing, and recovers within the watchdog period', async (t) => {
    const env = testEnv();
    const ns = await testNamespace(t, 'rt-stall');
    const { proxy, config } = await apiServerProxy(t);
    const direct = new RestClient(kubeConfigVia(env.kubeconfig, apiServerPort(env.kubeconfig)));
    const viaProxy = new RestClient(config);
    const watchdogMs = 4_000;
    const informer = new Informer({ rest: viaProxy, ref: cms, namespace: ns, logger: log, backoff: fastBackoff, watchdogMs });
    informer.start();
    await informer.waitForSync();
    await direct.request('POST', resourcePath(cms, ns), { body: { metadata: { name: 'before' } } });
    await waitFor('the live watch delivers', () => informer.store.get(`${ns}/before`) !== undefined);

    const stalled = proxy.stallAll();
    assert.ok(stalled >= 1, 'the watch connection is stalled');
    const t0 = Date.now();
    await direct.request('POST', resourcePath(cms, ns), { body: { metadata: { name: 'during-stall' } } });
    await waitFor('the object created during the stall', () => informer.store.get(`${ns}/during-stall`) !== undefined, { timeoutMs: watchdogMs + 10_000, intervalMs: 50 });
    const recoveredMs = Date.now() - t0;
    log.warn({ recoveredMs, watchdogMs, stats: informer.stats }, 'stall summary');
    assert.ok(informer.stats.watchdogFired >= 1, 'the watchdog fired');
    assert.ok(recoveredMs <= watchdogMs + 2_000, `recovered in ${recoveredMs} ms, within the ${watchdogMs} ms watchdog (+2 s)`);
    // The stalled sockets were closed by the client, not left open.
    await waitFor('stalled sockets closed by the client', () => proxy.stalledOpen === 0, { timeoutMs: 5_000, intervalMs: 50 });
    await informer.stop();
    viaProxy.close();
    direct.close();
    await waitFor('no connection left through the proxy', () => proxy.open === 0, { timeoutMs: 10_000, intervalMs: 50 });
  });
});

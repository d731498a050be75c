// The writer: server-side apply that sends nothing when nothing would change, puts back a
// hand edit, notices a removed field, and retries a 409 on a fresh read; status patches that meet
// no 409 and never land on a namesake.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import pino from 'pino';
import { Client } from '../../../runtime/client.ts';
import { InformerFactory } from '../../../runtime/informer-factory.ts';
import type { EventHandler } from '../../../runtime/informer.ts';
import { coreResources, resourcePath, type KubeObject } from '../../../runtime/resource.ts';
import { RestClient } from '../../../runtime/rest.ts';
import { kubeConfig, testNamespace, waitFor } from '../../support/kube.ts';
import { RequestCounter } from '../../support/request-counter.ts';

const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
const cms = coreResources.configMaps;

/** A Client over a synced ConfigMap cache of a fresh namespace, and a second client for "someone
 * else". `handler` (given the Client) sees the cache's events from the start. */
async function cachedClient(t: TestContext, prefix: string, handler?: (client: Client) => EventHandler) {
  const ns = await testNamespace(t, prefix);
  const rest = new RestClient(kubeConfig());
  const other = new RestClient(kubeConfig());
  const informers = new InformerFactory({ rest, logger: log, namespaces: [ns] });
  informers.informersFor(cms);
  const client = new Client({ rest, cache: informers });
  if (handler) informers.addEventHandler(cms, handler(client));
  informers.start();
  t.after(async () => {
    await informers.stop();
    rest.close();
    other.close();
  });
  await informers.waitForSync();
  return { ns, rest, other, informers, client };
}

describe('Client (apply and update)', { timeout: 60_000 }, () => {
  it('writes only when the desired fields differ from the live object', async (t) => {
    const { ns, rest, other, informers, client } = await cachedClient(t, 'rt-apply');
    const requests = new RequestCounter(rest);
    const desired = (data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: ns, labels: { app: 'x' } }, data });
    const cached = (pred: (o: KubeObject | undefined) => boolean) => waitFor('the cache to catch up', () => pred(informers.peek(cms, ns, 'cfg').obj));

    assert.equal((await client.apply(cms, desired({ a: '1', b: '2' }))).changed, true);
    await cached((o) => o !== undefined);
    const writes = requests.writes;
    for (let i = 0; i < 5; i++) assert.equal((await client.apply(cms, desired({ a: '1', b: '2' }))).changed, false);
    assert.equal(requests.writes, writes, 'no request at all when nothing would change');

    // Someone else adds a field the operator does not own: still nothing to do.
    await other.request('PATCH', resourcePath(cms, ns, 'cfg'), { body: { data: { extra: 'theirs' } }, contentType: 'application/merge-patch+json' });
    await cached((o) => (o?.data as Record<string, string> | undefined)?.extra === 'theirs');
    assert.equal((await client.apply(cms, desired({ a: '1', b: '2' }))).changed, false);

    // A hand edit of an owned field is put back.
    await other.request('PATCH', resourcePath(cms, ns, 'cfg'), { body: { data: { a: 'hand-edit' } }, contentType: 'application/merge-patch+json' });
    await cached((o) => (o?.data as Record<string, string> | undefined)?.a === 'hand-edit');
    const restored = await client.apply(cms, desired({ a: '1', b: '2' }));
    assert.equal(restored.changed, true);
    assert.equal((restored.obj?.data as Record<string, string>).a, '1');
    await cached((o) => (o?.data as Record<string, string> | undefined)?.a === '1');

    // A field dropped from the desired object is removed (the hash annotation notices it).
    const dropped = await client.apply(cms, desired({ a: '1' }));
    assert.equal(dropped.changed, true);
    assert.deepEqual(dropped.obj?.data, { a: '1', extra: 'theirs' });
  });

  it('knows the versions its own object writes returned, and no other', async (t) => {
    const seen: Array<{ rv: string; own?: boolean }> = [];
    // Only the test's object (the namespace has kube-root-ca.crt too), judged as the controllers'
    // handler judges it: once a write still out has returned (the watch may be quicker than it).
    const judged = (client: Client): EventHandler => {
      const record = (o: KubeObject): void => {
        if (o.metadata.name !== 'own') return;
        const entry: { rv: string; own?: boolean } = { rv: o.metadata.resourceVersion ?? '' };
        seen.push(entry);
        void (client.writesSettled(cms, o) ?? Promise.resolve()).then(() => (entry.own = client.isOwnWrite(o)));
      };
      return { onAdd: record, onUpdate: (_old, o) => record(o) };
    };
    const { ns, other, client } = await cachedClient(t, 'rt-own', judged);
    const desired = (a: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'own', namespace: ns }, data: { a } });

    const created = await client.apply(cms, desired('1'));
    const edited = await other.request<KubeObject>('PATCH', resourcePath(cms, ns, 'own'), { body: { data: { a: 'hand-edit' } }, contentType: 'application/merge-patch+json' });
    // The apply compares with the cache, which must have the hand edit to put it back.
    await waitFor('the cache to have the hand edit', () => seen.length === 2);
    const restored = await client.apply(cms, desired('1'));
    assert.equal(restored.changed, true);
    await waitFor('three watch events, judged', () => seen.length === 3 && seen.every((e) => e.own !== undefined));
    // Each event is matched to its write by version: the operator's two are its own, the hand edit is not.
    assert.deepEqual(seen, [
      { rv: created.obj?.metadata.resourceVersion, own: true },
      { rv: edited.metadata.resourceVersion, own: false },
      { rv: restored.obj?.metadata.resourceVersion, own: true },
    ]);
  });

  it('retries a 409 on a fresh read, and sends nothing when the mutation changes nothing', async (t) => {
    const ns = await testNamespace(t, 'rt-update');
    const rest = new RestClient(kubeConfig());
    const other = new RestClient(kubeConfig());
    t.after(() => {
      rest.close();
      other.close();
    });
    const client = new Client({ rest });
    const requests = new RequestCounter(rest);
    await rest.request('POST', resourcePath(cms, ns), { body: { metadata: { name: 'n' }, data: { count: '0' } } });
    let interfered = false;
    let attempts = 0;
    const result = await client.update(cms, ns, 'n', async (draft) => {
      attempts++;
      const data = draft.data as Record<string, string>;
      if (!interfered) {
        interfered = true;
        // Another writer changes the object between our read and our write.
        await other.request('PATCH', resourcePath(cms, ns, 'n'), { body: { data: { other: 'yes' } }, contentType: 'application/merge-patch+json' });
      }
      data.count = String(Number(data.count) + 1);
    });
    assert.equal(result.changed, true);
    assert.equal(requests.answered.get('PUT 409'), 1, 'the first PUT met a 409');
    assert.equal(attempts, 2, 'the mutation ran again on a fresh read');
    const live = (await client.get(cms, ns, 'n'))?.data as Record<string, string>;
    assert.equal(live.count, '1');
    assert.equal(live.other, 'yes', 'the other writer\'s change survived');
    const writes = requests.writes;
    assert.equal((await client.update(cms, ns, 'n', () => undefined)).changed, false);
    assert.equal(requests.writes, writes);
  });

  it('patchStatus: no 409 from a stale read; a namesake made since refuses it; a status the API refuses is thrown', async (t) => {
    const ns = await testNamespace(t, 'rt-status');
    const rest = new RestClient(kubeConfig());
    t.after(() => rest.close());
    const client = new Client({ rest });
    const svcs = coreResources.services;
    const make = (): Promise<KubeObject> =>
      rest.request<KubeObject>('POST', resourcePath(svcs, ns), { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: ns }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } } });
    const lb = (ip: string): Record<string, unknown> => ({ loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }] } });
    const stale = await make();
    // Someone else writes the object after our read: a PUT with our resourceVersion would meet a 409.
    await rest.request('PATCH', resourcePath(svcs, ns, 's'), { body: { metadata: { labels: { edited: 'yes' } } }, contentType: 'application/merge-patch+json' });
    const written = await client.patchStatus(svcs, stale, lb('192.0.2.1'));
    assert.equal(written.changed, true);
    assert.deepEqual((await client.get(svcs, ns, 's'))?.status, lb('192.0.2.1'));
    assert.equal((await client.patchStatus(svcs, written.obj!, lb('192.0.2.1'))).changed, false, 'equal status: no request');

    // Deleted and made again under the same name: the status computed for the old one is not written.
    await rest.request('DELETE', resourcePath(svcs, ns, 's'));
    const namesake = await make();
    assert.deepEqual(await client.patchStatus(svcs, written.obj!, lb('192.0.2.2')), { obj: undefined, changed: false });
    assert.deepEqual((await client.get(svcs, ns, 's'))?.status, namesake.status);

    // A status the API server's validation refuses (422 too) is an error, not an "absent" object.
    await assert.rejects(client.patchStatus(svcs, namesake, lb('not-an-ip')), /422 Invalid/);
  });
});

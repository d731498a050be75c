// Certificates without a cluster: what the CA issues, when the managed certificates renew (with a
// clock the test moves), two replicas sharing one store, and the cert-manager folder reloading.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { describe, test } from 'node:test';
import { createCertificateAuthority, issueServingCertificate, servingCertificateProblem, splitPemBundle } from '../../../webhooks/tls/authority.ts';
import { withCaBundle } from '../../../webhooks/tls/ca-bundle.ts';
import { DirectoryCertificates } from '../../../webhooks/tls/cert-dir.ts';
import { ManagedCertificates } from '../../../webhooks/tls/rotation.ts';
import { memoryCertificateStore } from '../../support/memory-certificate-store.ts';
import { buildWebhookServer } from '../../../webhooks/server.ts';
import { apiSchemas } from '../../../webhooks/index.ts';
import { staticObjectReader } from '../../../webhooks/admission/state.ts';
import { waitFor } from '../../support/kube.ts';
import { quietLogger } from '../../support/admission.ts';

const HOUR = 3600_000;
const want = { dnsNames: ['svc.ns.svc', 'localhost'], ipAddresses: ['127.0.0.1'] };

describe('certificate authority', () => {
  test('issues a serving certificate with DNS and IP SANs, for server auth, that the CA verifies', async () => {
    const ca = await createCertificateAuthority({ commonName: 'ca', validityMs: HOUR });
    const s = await issueServingCertificate(ca, { ...want, validityMs: HOUR / 2 });
    const x = new X509Certificate(s.certPem);
    assert.equal(x.ca, false);
    assert.ok(new X509Certificate(ca.certPem).ca);
    assert.match(x.subjectAltName!, /DNS:svc\.ns\.svc, DNS:localhost, IP Address:127\.0\.0\.1/);
    assert.deepEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(servingCertificateProblem(s, [ca.certPem], { ...want, now: Date.now(), renewFraction: 1 / 3 }), undefined);
    assert.match(servingCertificateProblem(s, [ca.certPem], { dnsNames: ['other.svc'], ipAddresses: [], now: Date.now(), renewFraction: 1 / 3 })!, /no SAN for other\.svc/);
    const stranger = await createCertificateAuthority({ commonName: 'other', validityMs: HOUR });
    assert.match(servingCertificateProblem(s, [stranger.certPem], { ...want, now: Date.now(), renewFraction: 1 / 3 })!, /not signed by a trusted CA/);
  });

  test('never outlives its CA', async () => {
    const ca = await createCertificateAuthority({ commonName: 'ca', validityMs: HOUR });
    const s = await issueServingCertificate(ca, { ...want, validityMs: 10 * HOUR });
    assert.ok(new Date(new X509Certificate(s.certPem).validTo) <= new Date(new X509Certificate(ca.certPem).validTo));
  });
});

describe('managed certificates', () => {
  test('renew the serving certificate under the same CA once two thirds of its life are gone', async () => {
    let now = Date.now();
    const store = memoryCertificateStore();
    const m = new ManagedCertificates({ store, ...want, certValidityMs: 3 * HOUR, log: quietLogger(), now: () => now });
    const changes: string[] = [];
    m.onChange((c) => changes.push(c.certPem));
    await m.start();
    m.stop();
    const first = m.current();
    now += HOUR;
    await m.reconcile();
    assert.equal(m.current().certPem, first.certPem, 'a third of its life gone: kept');
    now += HOUR + 10 * 60_000;
    await m.reconcile();
    assert.notEqual(m.current().certPem, first.certPem, 'renewed');
    assert.equal(m.current().caBundlePem, first.caBundlePem, 'same CA, so the caBundle does not change');
    assert.deepEqual(changes, [m.current().certPem]);
    assert.equal(store.writes, 2);
  });

  test('a replaced CA stays in the bundle until it expires', async () => {
    let now = Date.now();
    const store = memoryCertificateStore();
    const m = new ManagedCertificates({ store, ...want, caValidityMs: 3 * HOUR, certValidityMs: HOUR, log: quietLogger(), now: () => now });
    await m.start();
    m.stop();
    const oldCa = splitPemBundle(m.current().caBundlePem!)[0]!;
    now += 2 * HOUR + 10 * 60_000;
    await m.reconcile();
    const bundle = splitPemBundle(m.current().caBundlePem!);
    assert.equal(bundle.length, 2);
    assert.equal(bundle[1], oldCa);
    assert.notEqual(bundle[0], oldCa);
  });

  test('two replicas racing on one store end up serving the same certificates', async () => {
    const store = memoryCertificateStore();
    const a = new ManagedCertificates({ store, ...want, log: quietLogger() });
    const b = new ManagedCertificates({ store, ...want, log: quietLogger() });
    await Promise.all([a.start(), b.start()]);
    a.stop();
    b.stop();
    assert.equal(store.writes, 1, 'one write won; the other replica adopted it');
    assert.equal(a.current().certPem, b.current().certPem);
  });

  test('a stored certificate without the wanted SANs is replaced', async () => {
    const store = memoryCertificateStore();
    const a = new ManagedCertificates({ store, dnsNames: ['old.svc'], ipAddresses: [], log: quietLogger() });
    await a.start();
    a.stop();
    const b = new ManagedCertificates({ store, ...want, log: quietLogger() });
    await b.start();
    b.stop();
    assert.notEqual(b.current().certPem, a.current().certPem);
    assert.equal(b.current().caBundlePem, a.current().caBundlePem, 'the CA is kept');
  });
});

describe('certificate folder (cert-manager)', () => {
  test('a new pair written to the folder is served without a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'webhook-certs-'));
    try {
      const ca = await createCertificateAuthority({ commonName: 'ca', validityMs: HOUR });
      const first = await issueServingCertificate(ca, { ...want, validityMs: HOUR });
      await writeFile(join(dir, 'tls.crt'), first.certPem);
      await writeFile(join(dir, 'tls.key'), first.keyPem);
      const certs = new DirectoryCertificates({ dir, pollMs: 200, log: quietLogger() });
      await certs.start();
      const app = await buildWebhookServer({ certificates: certs, logger: quietLogger(), admission: { schemas: apiSchemas, reader: staticObjectReader([]), maxReplicas: 10 } });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as { port: number }).port;
      const servedSerial = () =>
        new Promise<string>((resolve, reject) => {
          const s = connect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost' }, () => {
            resolve(s.getPeerCertificate().serialNumber);
            s.end();
          });
          s.on('error', reject);
        });
      try {
        assert.equal(await servedSerial(), new X509Certificate(first.certPem).serialNumber);
        const second = await issueServingCertificate(ca, { ...want, validityMs: HOUR });
        await writeFile(join(dir, 'tls.key'), second.keyPem);
        await writeFile(join(dir, 'tls.crt'), second.certPem);
        const serial = new X509Certificate(second.certPem).serialNumber;
        await waitFor('the server to serve the new certificate', async () => (await servedSerial()) === serial, { timeoutMs: 10_000 });
      } finally {
        certs.stop();
        await app.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('caBundle', () => {
  test('is set on every webhook, and an up-to-date configuration needs no write', () => {
    const cfg = { webhooks: [{ clientConfig: { caBundle: 'old' } }, { clientConfig: {} }] };
    const { config, changed } = withCaBundle(cfg, 'new');
    assert.ok(changed);
    assert.deepEqual(config.webhooks.map((w) => w.clientConfig.caBundle), ['new', 'new']);
    assert.equal(withCaBundle(config, 'new').changed, false);
  });
});

// The pure parts of certificate rotation: canonical CA bundles, the step-by-step plan of a CA
// rotation, and the backoff of a failing renewal loop (with a clock and a store the test controls).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createCertificateAuthority, issueServingCertificate, splitPemBundle, type PemPair } from '../../../webhooks/tls/authority.ts';
import { bundleHolds, canonicalBundle } from '../../../webhooks/tls/bundle.ts';
import { bundleTrusts } from '../../support/certificates.ts';
import { issuedBy, planRenewal, type PlanInput } from '../../../webhooks/tls/renewal-plan.ts';
import { ManagedCertificates } from '../../../webhooks/tls/rotation.ts';
import type { CertificateStore, StoredCertificates } from '../../../webhooks/tls/secret-store.ts';
import { memoryCertificateStore } from '../../support/memory-certificate-store.ts';
import { quietLogger } from '../../support/admission.ts';

const HOUR = 3600_000;
const want = { dnsNames: ['svc.ns.svc', 'localhost'], ipAddresses: ['127.0.0.1'] };

function stored(ca: PemPair, serving: PemPair, bundle: string[]): StoredCertificates {
  return { caCertPem: ca.certPem, caKeyPem: ca.keyPem, caBundlePem: bundle.join(''), certPem: serving.certPem, keyPem: serving.keyPem };
}

describe('canonical CA bundle', () => {
  test('the same CAs in any order, with duplicates, give the same text; newest first', async () => {
    const now = Date.now();
    const older = await createCertificateAuthority({ commonName: 'old', validityMs: HOUR, now: now - 10 * 60_000 });
    const newer = await createCertificateAuthority({ commonName: 'new', validityMs: HOUR, now });
    const a = canonicalBundle([older.certPem + newer.certPem], now);
    const b = canonicalBundle([newer.certPem, older.certPem.replaceAll('\n', '\r\n'), newer.certPem], now);
    assert.equal(a, b);
    assert.deepEqual(splitPemBundle(a), [newer.certPem, older.certPem]);
  });

  test('drops expired and unreadable entries; a union keeps every live CA once', async () => {
    const now = Date.now();
    const expired = await createCertificateAuthority({ commonName: 'gone', validityMs: HOUR, now: now - 2 * HOUR });
    const live = await createCertificateAuthority({ commonName: 'live', validityMs: HOUR, now });
    const garbage = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n';
    assert.equal(canonicalBundle([expired.certPem + garbage, live.certPem, undefined], now), live.certPem);
    // Without an expiry cut (the injector's view) the expired CA stays: replicas' clocks must not matter.
    assert.equal(splitPemBundle(canonicalBundle([expired.certPem, live.certPem], Number.NEGATIVE_INFINITY)).length, 2);
  });

  test('holds and trusts', async () => {
    const now = Date.now();
    const ca = await createCertificateAuthority({ commonName: 'ca', validityMs: HOUR, now });
    const other = await createCertificateAuthority({ commonName: 'other', validityMs: HOUR, now });
    const cert = await issueServingCertificate(ca, { ...want, validityMs: HOUR, now });
    const bundle = canonicalBundle([ca.certPem, other.certPem], now);
    assert.ok(bundleHolds(bundle, ca.certPem));
    assert.ok(!bundleHolds(other.certPem, ca.certPem));
    assert.ok(bundleTrusts(bundle, cert.certPem, now));
    assert.ok(!bundleTrusts(other.certPem, cert.certPem, now));
    assert.ok(!bundleTrusts(bundle, cert.certPem, now + 2 * HOUR), 'not once the CA has expired');
    assert.ok(issuedBy(cert.certPem, ca.certPem) && !issuedBy(cert.certPem, other.certPem));
  });
});

describe('renewal plan: a CA rotation in observed steps', () => {
  test('create → keep → rotate-ca (serving kept) → wait until published → issue → rebundle after the old CA expires', async () => {
    const t0 = Date.now();
    const ca1 = await createCertificateAuthority({ commonName: 'ca1', validityMs: 3 * HOUR, now: t0 });
    const s1 = await issueServingCertificate(ca1, { ...want, validityMs: 3 * HOUR, now: t0 });
    const input = (s: StoredCertificates | undefined, now: number, caPublished: boolean): PlanInput => ({ stored: s, now, ...want, renewFraction: 1 / 3, caPublished });

    assert.equal(planRenewal(input(undefined, t0, false)).action, 'create');
    assert.deepEqual(planRenewal(input(stored(ca1, s1, [ca1.certPem]), t0 + HOUR, true)), { action: 'keep' });

    // Two thirds of the CA's life gone: a new CA, and the serving certificate stays.
    const t1 = t0 + 2 * HOUR + 60_000;
    const step1 = planRenewal(input(stored(ca1, s1, [ca1.certPem]), t1, true));
    assert.equal(step1.action, 'rotate-ca');
    assert.equal(step1.action === 'rotate-ca' && step1.keepServing, true);

    const ca2 = await createCertificateAuthority({ commonName: 'ca2', validityMs: 3 * HOUR, now: t1 });
    const afterStep1 = stored(ca2, s1, splitPemBundle(canonicalBundle([ca2.certPem, ca1.certPem], t1)));
    assert.equal(planRenewal(input(afterStep1, t1, false)).action, 'wait', 'nothing signed by ca2 before every webhook holds it');
    assert.equal(planRenewal(input(afterStep1, t1, true)).action, 'issue');

    // The old serving certificate can no longer be served (expired): issue at once, published or not.
    const shortLived = await issueServingCertificate(ca1, { ...want, validityMs: HOUR, now: t0 });
    const expiredServing = stored(ca2, shortLived, splitPemBundle(canonicalBundle([ca2.certPem, ca1.certPem], t1)));
    assert.equal(planRenewal(input(expiredServing, t1, false)).action, 'issue');

    const s2 = await issueServingCertificate(ca2, { ...want, validityMs: HOUR, now: t1 });
    const afterStep2 = stored(ca2, s2, splitPemBundle(canonicalBundle([ca2.certPem, ca1.certPem], t1)));
    assert.deepEqual(planRenewal(input(afterStep2, t1 + 60_000, true)), { action: 'keep' });
    // Once ca1 has expired it leaves the bundle; nothing it signed can still be valid.
    assert.equal(planRenewal(input(afterStep2, t0 + 3 * HOUR + 1, true)).action, 'rebundle');
  });

  test('a CA whose serving certificate is unusable (wrong SANs) is rotated with a new serving certificate at once', async () => {
    const t0 = Date.now();
    const ca = await createCertificateAuthority({ commonName: 'ca', validityMs: 3 * HOUR, now: t0 });
    const s = await issueServingCertificate(ca, { dnsNames: ['other.svc'], ipAddresses: [], validityMs: 3 * HOUR, now: t0 });
    const plan = planRenewal({ stored: stored(ca, s, [ca.certPem]), now: t0 + 2 * HOUR + 60_000, ...want, renewFraction: 1 / 3, caPublished: false });
    assert.equal(plan.action, 'rotate-ca');
    assert.equal(plan.action === 'rotate-ca' && plan.keepServing, false);
  });
});

describe('managed certificates across a CA rotation', () => {
  test('never serve a certificate signed by a CA that is not yet published; serve it once it is', async () => {
    let now = Date.now();
    const published = new Set<string>();
    const store = memoryCertificateStore();
    const metrics = new Registry();
    const m = new ManagedCertificates({ store, ...want, caValidityMs: 3 * HOUR, certValidityMs: 3 * HOUR, log: quietLogger(), now: () => now, published: (ca) => published.has(ca), metrics });
    // At each switch of what is served: was its signer published at that moment?
    const switches: boolean[] = [];
    m.onChange((c) => switches.push([...published].some((ca) => issuedBy(c.certPem, ca))));
    await m.start();
    m.stop();
    const first = m.current();
    published.add(splitPemBundle(first.caBundlePem!)[0]!);
    now += 2 * HOUR + 60_000;
    await m.reconcile();
    const bundle = splitPemBundle(m.current().caBundlePem!);
    assert.equal(bundle.length, 2, 'the new CA joined the bundle beside the old one');
    assert.equal(m.current().certPem, first.certPem, 'the serving certificate waits');
    assert.ok(m.awaitingPublication);
    await m.reconcile();
    assert.equal(m.current().certPem, first.certPem, 'still waiting while unpublished');
    published.add(bundle[0]!);
    await m.reconcile();
    assert.ok(issuedBy(m.current().certPem, bundle[0]!), 'served from the new CA once published');
    assert.ok(!m.awaitingPublication);
    assert.deepEqual(switches, [true, true], 'the bundle change (old certificate), then the new certificate: both from published CAs');
    const renewals = (await metrics.getSingleMetric('webhook_certificate_renewals_total')?.get())?.values ?? [];
    const byAction = Object.fromEntries(renewals.map((v) => [String(v.labels.action), v.value]));
    assert.deepEqual({ caRotations: byAction['rotate-ca'], servingIssued: byAction.issue }, { caRotations: 1, servingIssued: 1 });
  });
});

describe('a failing renewal loop', () => {
  test('backs off exponentially up to the cap, logs and counts every failure, and starts over after a success', async () => {
    const lines: Array<{ msg: string; retryInMs?: number; failures?: number }> = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string }) });
    const inner = memoryCertificateStore();
    let failing = true;
    let reads = 0;
    const store: CertificateStore = {
      read: () => {
        reads++;
        return failing ? Promise.reject(new Error('apiserver unreachable')) : inner.read();
      },
      write: (v, ver) => inner.write(v, ver),
    };
    const metrics = new Registry();
    const m = new ManagedCertificates({ store, ...want, log, backoff: { initialMs: 1_000, maxMs: 8_000, factor: 2, jitter: 0 }, metrics });
    for (let i = 0; i < 6; i++) await assert.rejects(m.reconcile(), /apiserver unreachable/);
    const retries = lines.filter((l) => l.msg.includes('retrying with backoff'));
    assert.deepEqual(retries.map((l) => l.retryInMs), [1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    assert.deepEqual(retries.map((l) => l.failures), [1, 2, 3, 4, 5, 6]);
    assert.equal((await metrics.getSingleMetric('webhook_certificate_renewal_failures_total')?.get())?.values[0]?.value, 6);
    assert.equal(reads, 6, 'one read per pass: no retry loop inside a pass');
    failing = false;
    await m.reconcile();
    assert.ok(m.loaded);
    failing = true;
    await assert.rejects(m.reconcile());
    assert.equal(lines.filter((l) => l.msg.includes('retrying with backoff')).at(-1)?.retryInMs, 1_000, 'a success resets the backoff');
    m.stop();
  });

  test('jitter spreads replicas apart but never past twice the cap', async () => {
    const lines: Array<{ msg: string; retryInMs?: number }> = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string }) });
    const store: CertificateStore = { read: () => Promise.reject(new Error('down')), write: () => Promise.reject(new Error('down')) };
    const m = new ManagedCertificates({ store, ...want, log, backoff: { initialMs: 1_000, maxMs: 4_000, factor: 2, jitter: 1, random: () => 0.999 } });
    for (let i = 0; i < 5; i++) await assert.rejects(m.reconcile());
    m.stop();
    const delays = lines.filter((l) => l.msg.includes('retrying with backoff')).map((l) => l.retryInMs!);
    assert.deepEqual(delays, [1_999, 3_998, 7_996, 7_996, 7_996]);
  });
});

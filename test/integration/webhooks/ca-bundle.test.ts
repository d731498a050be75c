// The caBundle and readiness against the real apiserver: the injector repairs a tampered bundle
// through the runtime's RestClient (and an idle one writes nothing), and readiness follows the
// bundle the configurations hold, in step with whether the apiserver can call the webhook at all.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createCertificateAuthority, issueServingCertificate } from '../../../webhooks/tls/authority.ts';
import { kubectl, kubectlOk, suiteCleanup, waitFor } from '../../support/kube.ts';
import { RequestCounter } from '../../support/request-counter.ts';
import { installCrds, startTestWebhooks, waitUntilWebhookCalled } from '../../support/webhooks.ts';

const HOUR = 3600_000;
const cleanup = suiteCleanup();
before(async () => {
  await installCrds();
});
after(async () => {
  await cleanup.run();
});

function setBundle(kind: 'validatingwebhookconfiguration' | 'mutatingwebhookconfiguration', name: string, pem: string): Promise<string> {
  const patch = [{ op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: Buffer.from(pem).toString('base64') }];
  return kubectlOk(['patch', kind, name, '--type=json', '-p', JSON.stringify(patch)]);
}

async function bundleOf(kind: string, name: string): Promise<string> {
  const out = await kubectlOk(['get', kind, name, '-o', 'jsonpath={.webhooks[0].clientConfig.caBundle}']);
  return Buffer.from(out, 'base64').toString('utf8');
}

async function readiness(run: () => Promise<void>): Promise<string> {
  try {
    await run();
    return 'ready';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

describe('caBundle injector', () => {
  test('repairs a tampered bundle through the RestClient, then stays idle', { timeout: 90_000 }, async (t) => {
    const w = await startTestWebhooks(cleanup, 'webhook-cabundle', { resyncMs: 1_000 });
    const requests = new RequestCounter(w.rest);
    const name = `engula-webhook-${w.namespace}`;
    const bundleWrites = async (): Promise<number> => ((await w.metrics.getSingleMetric('webhook_ca_bundle_writes_total')?.get())?.values ?? []).reduce((n, v) => n + v.value, 0);
    await waitFor('the webhook to be ready', async () => (await readiness(w.running.readiness)) === 'ready');
    await waitUntilWebhookCalled(w);
    const good = w.running.certificates.current().caBundlePem!;
    assert.equal(await bundleOf('validatingwebhookconfiguration', name), good);

    const writesBefore = await bundleWrites();
    const patchesBefore = requests.of('PATCH');
    const stranger = await createCertificateAuthority({ commonName: 'someone-else', validityMs: HOUR });
    await setBundle('validatingwebhookconfiguration', name, stranger.certPem);
    await waitFor('the injector to put the bundle back', async () => (await bundleOf('validatingwebhookconfiguration', name)) === good, { timeoutMs: 20_000 });
    assert.equal(await bundleOf('mutatingwebhookconfiguration', name), good, 'the untouched configuration kept its bundle');
    assert.equal((await bundleWrites()) - writesBefore, 1, 'one write: the tampered configuration only');
    assert.ok(requests.of('PATCH') - patchesBefore >= 1, 'the repair went through the runtime Client');
    await waitUntilWebhookCalled(w);

    // Idle: several resync periods (1 s) pass and nothing is written.
    const idleWrites = await bundleWrites();
    const idlePuts = requests.writes;
    await new Promise((r) => setTimeout(r, 4_000));
    assert.equal(await bundleWrites(), idleWrites);
    assert.equal(requests.writes, idlePuts, 'no write of any kind while idle');
    t.diagnostic(`webhook-side requests by method since it started: ${JSON.stringify(Object.fromEntries(requests.sent))}`);
  });
});

describe('readiness', () => {
  test('is false until the bundle in the configurations trusts the served certificate (cert-manager folder)', { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'webhook-certdir-'));
    cleanup.after(() => rm(dir, { recursive: true, force: true }));
    const ca = await createCertificateAuthority({ commonName: 'issuer', validityMs: HOUR });
    const serving = await issueServingCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityMs: HOUR });
    await writeFile(join(dir, 'tls.crt'), serving.certPem);
    await writeFile(join(dir, 'tls.key'), serving.keyPem);
    // No ca.crt: the configurations are registered without a bundle, as before cainjector runs.
    const w = await startTestWebhooks(cleanup, 'webhook-ready', { certDir: dir });
    const name = `engula-webhook-${w.namespace}`;
    assert.equal(w.running.injector, undefined, 'with a folder, the bundle is not ours to write');

    await waitFor('readiness to see the configurations', async () => /has no caBundle yet/.test(await readiness(w.running.readiness)));

    const stranger = await createCertificateAuthority({ commonName: 'someone-else', validityMs: HOUR });
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration'] as const) await setBundle(kind, name, stranger.certPem);
    await waitFor('readiness to refuse a bundle that does not trust the served certificate', async () => /not trusted by the caBundle/.test(await readiness(w.running.readiness)));
    // The apiserver agrees: it cannot call us either.
    const probe = JSON.stringify({ apiVersion: 'cluster.engula.io/v1alpha1', kind: 'Engine', metadata: { name: 'p', namespace: w.namespace }, spec: { replicas: 1, clusterName: 'p' } });
    const refused = await kubectl(['create', '--dry-run=server', '-f', '-'], { input: probe });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /failed calling webhook|x509|certificate/);

    // cainjector's part: the issuer's CA.
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration'] as const) await setBundle(kind, name, ca.certPem);
    await waitFor('readiness once the bundle trusts the served certificate', async () => (await readiness(w.running.readiness)) === 'ready');
    await waitUntilWebhookCalled(w);
  });
});

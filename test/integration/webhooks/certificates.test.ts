// Certificates end to end: the apiserver trusts the certificate the operator made, and with a
// serving certificate forced to live 9 seconds, renewals happen under steady admission traffic
// with no restart and no failed request. After each renewal the webhook URL flips between
// 127.0.0.1 and localhost (both SANs), which makes the apiserver open a fresh TLS connection, so
// the renewed certificate is proven trusted by a real handshake, not only by our own checks. (The
// apiserver pools connections per host; the host flipped away from idles, and a short keep-alive
// on our side closes it, so the next flip back dials anew.)
import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { certificateFacts } from '../../support/certificates.ts';
import { kubeConfig, suiteCleanup, waitFor } from '../../support/kube.ts';
import { installCrds, startTestWebhooks, waitUntilWebhookCalled, type TestWebhooks } from '../../support/webhooks.ts';

const cleanup = suiteCleanup();
let w: TestWebhooks;

before(async () => {
  await installCrds();
  w = await startTestWebhooks(cleanup, 'webhook-certs', { certValidityMs: 9_000, resyncMs: 500, maxReplicas: 10, keepAliveTimeoutMs: 2_000 });
  await waitUntilWebhookCalled(w);
});
after(async () => {
  await cleanup.run();
});

test('the certificate Secret holds a CA and a serving certificate for the local SANs', async () => {
  const secret = await kubeConfig().makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ name: 'engula-operator-webhook-cert', namespace: w.namespace });
  assert.equal(secret.type, 'kubernetes.io/tls');
  for (const key of ['ca.crt', 'ca.key', 'ca-bundle.crt', 'tls.crt', 'tls.key']) assert.ok(secret.data?.[key], `Secret has ${key}`);
  const { X509Certificate } = await import('node:crypto');
  const cert = new X509Certificate(Buffer.from(secret.data!['tls.crt']!, 'base64'));
  assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
});

test('renewals under steady traffic: no restart, no failed admission, fresh handshakes trust the new certificate', { timeout: 120_000 }, async (t) => {
  const kc = kubeConfig();
  const objects = kc.makeApiClient(k8s.CustomObjectsApi);
  const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  const name = `engula-webhook-${w.namespace}`;
  const ns = w.namespace;

  // Which certificate each TLS connection from the apiserver was served.
  const handshakes = new Map<string, number>();
  const onConnection = (socket: TLSSocket) => {
    const serial = String((socket.getCertificate() as { serialNumber?: string } | null)?.serialNumber ?? '?').toUpperCase();
    handshakes.set(serial, (handshakes.get(serial) ?? 0) + 1);
  };
  w.running.server.server.on('secureConnection', onConnection);
  t.after(() => void w.running.server.server.off('secureConnection', onConnection));

  const served = new Set<string>([certificateFacts(w.running.certificates.current().certPem).serial]);
  let flips = 0;
  const flipUrl = async () => {
    for (let attempt = 0; ; attempt++) {
      const [v, m] = await Promise.all([admission.readValidatingWebhookConfiguration({ name }), admission.readMutatingWebhookConfiguration({ name })]);
      const swap = (url: string | undefined) => (url!.includes('//127.0.0.1:') ? url!.replace('//127.0.0.1:', '//localhost:') : url!.replace('//localhost:', '//127.0.0.1:'));
      v.webhooks![0]!.clientConfig.url = swap(v.webhooks![0]!.clientConfig.url);
      m.webhooks![0]!.clientConfig.url = swap(m.webhooks![0]!.clientConfig.url);
      try {
        await admission.replaceValidatingWebhookConfiguration({ name, body: v });
        await admission.replaceMutatingWebhookConfiguration({ name, body: m });
        flips++;
        return;
      } catch (err) {
        // The caBundle injector may write between our read and replace; read again.
        if (!(err instanceof k8s.ApiException && err.code === 409) || attempt > 5) throw err;
      }
    }
  };
  w.running.certificates.onChange((material) => {
    served.add(certificateFacts(material.certPem).serial);
    void flipUrl();
  });

  const server = w.running.server;
  const failures: string[] = [];
  let admitted = 0;
  let refused = 0;
  let i = 0;
  const deadline = Date.now() + 90_000;
  // Until the apiserver has handshaken with at least three different certificates (two renewals).
  while ((handshakes.size < 3 || served.size < 3) && Date.now() < deadline) {
    i++;
    const invalid = i % 4 === 0;
    const body = {
      apiVersion: 'cluster.engula.io/v1alpha1',
      kind: 'Engine',
      metadata: { name: `e-${i}` },
      spec: { replicas: invalid ? 11 : 1, clusterName: 'rotation' },
    };
    try {
      const created = (await objects.createNamespacedCustomObject({ group: 'cluster.engula.io', version: 'v1alpha1', namespace: ns, plural: 'engines', body })) as { spec: { port?: number } };
      if (invalid) failures.push(`e-${i} with 11 replicas was admitted`);
      else if (created.spec.port !== 24568) failures.push(`e-${i} has no default port`);
      else admitted++;
    } catch (err) {
      const text = err instanceof k8s.ApiException ? String(err.body) : String(err);
      if (invalid && text.includes('max-replicas')) refused++;
      else failures.push(`e-${i}: ${text.slice(0, 300)}`);
    }
  }
  t.diagnostic(`requests: ${admitted} admitted, ${refused} refused as intended, ${failures.length} failed; certificates served: ${served.size}; URL flips: ${flips}`);
  t.diagnostic(`apiserver TLS handshakes per certificate serial: ${JSON.stringify(Object.fromEntries(handshakes))}`);
  assert.deepEqual(failures, []);
  assert.ok(served.size >= 3, `expected two renewals, saw ${served.size - 1}`);
  assert.ok(handshakes.size >= 3, `the apiserver handshook with ${handshakes.size} certificates`);
  assert.ok(server.server.listening, 'the same server instance kept listening throughout');
  assert.ok(admitted > 0 && refused > 0);
  // The Secret holds the latest renewal, so a restart or another replica would serve it too.
  await waitFor('the Secret to hold the served certificate', async () => {
    const s = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ name: 'engula-operator-webhook-cert', namespace: ns });
    return Buffer.from(s.data!['tls.crt']!, 'base64').toString() === w.running.certificates.current().certPem;
  });
});

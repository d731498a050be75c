// Readiness against a real TLS listener on loopback: the check handshakes with what the server
// actually serves and verifies it against the bundle the configurations are said to hold.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { staticObjectReader } from '../../../webhooks/admission/state.ts';
import { apiSchemas } from '../../../webhooks/index.ts';
import { checkServedCertificateTrusted } from '../../../webhooks/readiness.ts';
import { buildWebhookServer, type WebhookServer } from '../../../webhooks/server.ts';
import { createCertificateAuthority, issueServingCertificate, type PemPair } from '../../../webhooks/tls/authority.ts';
import { serverNameOf, type ObservedWebhook } from '../../../webhooks/tls/configuration-watch.ts';
import { StaticCertificates } from '../../../webhooks/tls/source.ts';
import { quietLogger } from '../../support/admission.ts';

const HOUR = 3600_000;
let ca: PemPair;
let stranger: PemPair;
let server: WebhookServer;
let certificates: StaticCertificates;
let port: number;

before(async () => {
  ca = await createCertificateAuthority({ commonName: 'ca', validityMs: HOUR });
  stranger = await createCertificateAuthority({ commonName: 'stranger', validityMs: HOUR });
  const serving = await issueServingCertificate(ca, { dnsNames: ['hook.ns.svc', 'localhost'], ipAddresses: ['127.0.0.1'], validityMs: HOUR });
  certificates = new StaticCertificates({ ...serving, caBundlePem: ca.certPem });
  server = await buildWebhookServer({ certificates, logger: quietLogger(), admission: { schemas: apiSchemas, reader: staticObjectReader([]), maxReplicas: 10 } });
  await server.listen({ port: 0, host: '127.0.0.1' });
  port = (server.server.address() as { port: number }).port;
});
after(async () => {
  await server.close();
});

const hook = (caBundlePem: string | undefined, serverName = '127.0.0.1'): ObservedWebhook => ({ configuration: 'ValidatingWebhookConfiguration/x', name: 'validate.x', caBundlePem, serverName });
const check = (webhooks: ObservedWebhook[] | undefined) => checkServedCertificateTrusted({ host: '127.0.0.1', port, webhooks: () => webhooks, configurationName: 'x' });

describe('readiness of the served certificate', () => {
  test('ready when every observed bundle trusts the served chain for the host the apiserver dials', async () => {
    await check([hook(ca.certPem), hook(stranger.certPem + ca.certPem, 'hook.ns.svc')]);
  });

  test('not ready before the configurations are observed, when none exists, or one has no bundle', async () => {
    await assert.rejects(check(undefined), /not observed yet/);
    await assert.rejects(check([]), /no webhook configuration named x/);
    await assert.rejects(check([hook(ca.certPem), hook(undefined)]), /has no caBundle yet/);
  });

  test('not ready when a bundle does not trust what is served, or the name is not in its SANs', async () => {
    await assert.rejects(check([hook(ca.certPem), hook(stranger.certPem)]), /not trusted by the caBundle of ValidatingWebhookConfiguration\/x webhook validate\.x for 127\.0\.0\.1/);
    await assert.rejects(check([hook(ca.certPem, 'other.ns.svc')]), /for other\.ns\.svc/);
  });

  test('follows what is served: a certificate from another CA makes it unready at once', async () => {
    const other = await issueServingCertificate(stranger, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityMs: HOUR });
    const before = certificates.current();
    certificates.set({ ...other, caBundlePem: stranger.certPem });
    try {
      await assert.rejects(check([hook(ca.certPem)]), /not trusted/);
      await check([hook(stranger.certPem)]);
    } finally {
      certificates.set(before);
    }
  });
});

describe('the host the apiserver dials', () => {
  test('the URL host (IPv6 without brackets), or the Service name', () => {
    assert.equal(serverNameOf({ url: 'https://127.0.0.1:9443/validate' }), '127.0.0.1');
    assert.equal(serverNameOf({ url: 'https://[::1]:9443/validate' }), '::1');
    assert.equal(serverNameOf({ url: 'https://hook.example:9443/x' }), 'hook.example');
    assert.equal(serverNameOf({ service: { namespace: 'engula-system', name: 'engula-operator-webhook', port: 443 } }), 'engula-operator-webhook.engula-system.svc');
  });
});

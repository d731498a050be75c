// Health of the webhook server itself, on its own port, so a probe exercises the same TLS listener
// the apiserver calls. Ready means what the probe server's `webhook-certificate` check means: the
// served certificate is trusted by the caBundle the webhook configurations hold now (readiness.ts).
// Without such a check (a server built alone, in tests), ready means a valid certificate is loaded.
import { X509Certificate } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { CertificateSource } from './tls/source.ts';

export interface WebhookHealthOptions {
  certificates: CertificateSource;
  /** Throws with the reason when not ready. */
  ready?: () => Promise<void>;
}

export const webhookHealth: FastifyPluginAsync<WebhookHealthOptions> = async (app, opts) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const cert = new X509Certificate(opts.certificates.current().certPem);
    const notAfter = new Date(cert.validTo);
    if (notAfter.getTime() <= Date.now()) return reply.code(503).send({ status: 'certificate expired', notAfter });
    if (opts.ready) {
      try {
        await opts.ready();
      } catch (err) {
        return reply.code(503).send({ status: 'not ready', reason: err instanceof Error ? err.message : String(err) });
      }
    }
    return { status: 'ok', certificate: { serial: cert.serialNumber, notAfter } };
  });
};

// Health of the webhook server itself, on its own port, so a probe exercises the same TLS listener
// the apiserver calls. Ready means a certificate is loaded and still valid.
import { X509Certificate } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { CertificateSource } from './tls/source.ts';

export const webhookHealth: FastifyPluginAsync<{ certificates: CertificateSource }> = async (app, opts) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const cert = new X509Certificate(opts.certificates.current().certPem);
    const notAfter = new Date(cert.validTo);
    if (notAfter.getTime() <= Date.now()) return reply.code(503).send({ status: 'certificate expired', notAfter });
    return { status: 'ok', certificate: { serial: cert.serialNumber, notAfter } };
  });
};

// One server for the admission benchmark, in a process of its own so the load generator does not
// share its event loop: `admission` is the real webhook server, `bare` a fastify HTTPS handler
// with the same TLS, body parsing and logger, that answers a fixed AdmissionReview. Prints
// {"port", "caPem"} as one JSON line.
import Fastify from 'fastify';
import { pino } from 'pino';
import { staticObjectReader } from '../webhooks/admission/state.ts';
import { apiSchemas } from '../webhooks/index.ts';
import { buildWebhookServer } from '../webhooks/server.ts';
import { createCertificateAuthority, issueServingCertificate } from '../webhooks/tls/authority.ts';
import { StaticCertificates } from '../webhooks/tls/source.ts';

const mode = process.argv[2];
const ca = await createCertificateAuthority({ commonName: 'bench-ca', validityMs: 24 * 3600_000 });
const serving = await issueServingCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityMs: 3600_000 });
const logger = pino({ level: 'warn' });

let listen: (port: number) => Promise<number>;
if (mode === 'admission') {
  // The Cluster a child's rules read, served from memory: the benchmark measures the server, not the apiserver.
  const cluster = JSON.parse(process.env.BENCH_CLUSTER ?? '{}') as Record<string, unknown>;
  const app = await buildWebhookServer({
    certificates: new StaticCertificates(serving),
    logger,
    admission: { schemas: apiSchemas, reader: staticObjectReader([cluster]), maxReplicas: 100 },
  });
  listen = async (port) => {
    await app.listen({ port, host: '127.0.0.1' });
    return (app.server.address() as { port: number }).port;
  };
} else if (mode === 'bare') {
  const app = Fastify({ https: { key: serving.keyPem, cert: serving.certPem, minVersion: 'TLSv1.2' }, loggerInstance: logger });
  app.post('/validate-cluster-engula-io-v1alpha1', async (request) => {
    const uid = (request.body as { request?: { uid?: string } }).request?.uid ?? '';
    return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } };
  });
  listen = async (port) => {
    await app.listen({ port, host: '127.0.0.1' });
    return (app.server.address() as { port: number }).port;
  };
} else {
  throw new Error('usage: admission-server.ts admission|bare');
}
const port = await listen(0);
process.stdout.write(`${JSON.stringify({ port, caPem: ca.certPem })}\n`);
process.on('SIGTERM', () => process.exit(0));

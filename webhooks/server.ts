// The webhook HTTPS server, assembled from plugins: admission routes, health. It is built to stay
// up whatever arrives: bounded bodies, timeouts on slow clients, JSON only, and an error handler
// that turns every failure into a 4xx/5xx JSON answer instead of an exception.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { admissionRoutes, type AdmissionRoutesOptions } from './admission/routes.ts';
import { webhookHealth } from './health.ts';
import { scalingRoutes, type ScalingRoutesOptions } from './scaling/routes.ts';
import type { CertificateSource, ServingMaterial } from './tls/source.ts';

export type WebhookServer = FastifyInstance<HttpsServer, IncomingMessage, ServerResponse, FastifyBaseLogger>;

/**
 * An AdmissionReview of ours holds an Engula object and its old version: a few KiB each, far under
 * this. Anything bigger is not worth parsing (the parse is where a large body costs), so it gets a
 * 413 before the JSON parser sees it.
 */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface WebhookServerOptions {
  certificates: CertificateSource;
  admission: AdmissionRoutesOptions;
  /** The scaling API for in-cluster clients; not served when absent. */
  scaling?: ScalingRoutesOptions;
  logger: Logger;
  bodyLimit?: number;
  /** Longest time to receive a whole request; the apiserver's own webhook timeout is shorter. */
  requestTimeoutMs?: number;
  /** A socket with no traffic for this long is closed. */
  connectionTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** The readiness check /readyz runs (readiness.ts); throws with the reason when not ready. */
  ready?: () => Promise<void>;
}

const TLS_MIN_VERSION = 'TLSv1.2';

function tlsOptions(m: ServingMaterial): { key: string; cert: string; minVersion: typeof TLS_MIN_VERSION } {
  return { key: m.keyPem, cert: m.certPem, minVersion: TLS_MIN_VERSION };
}

/** Builds the server (not listening); `certificates` must have been started. */
export async function buildWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    https: tlsOptions(opts.certificates.current()),
    loggerInstance: opts.logger,
    // One log line per request would drown the decisions; routes log what matters.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    requestTimeout: opts.requestTimeoutMs ?? 10_000,
    connectionTimeout: opts.connectionTimeoutMs ?? 60_000,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
    return503OnClosing: true,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  }) as unknown as WebhookServer;

  // New connections get the renewed certificate; established ones finish undisturbed.
  opts.certificates.onChange((m) => {
    app.server.setSecureContext(tlsOptions(m));
    app.log.info('webhook server now serves the renewed certificate');
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ err }, 'webhook request failed');
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ message: `the request body is larger than this webhook accepts (${bodyLimit} bytes)`, code: err.code });
    }
    // Parser and limit errors explain the problem in their message; internal ones must not leak details.
    return reply.code(status).send({ message: status >= 500 ? 'internal error' : err.message, code: err.code });
  });
  // JSON is the only body an AdmissionReview comes in; anything else is 415, not a parse attempt.
  app.removeContentTypeParser('text/plain');
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ message: `no route ${request.method} ${request.url}` }));

  await app.register(webhookHealth, { certificates: opts.certificates, ...(opts.ready ? { ready: opts.ready } : {}) });
  await app.register(admissionRoutes, opts.admission);
  if (opts.scaling) await app.register(scalingRoutes, opts.scaling);
  return app;
}

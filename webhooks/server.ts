// The webhook HTTPS server, assembled from plugins: admission routes, health. It is built to stay
// up whatever arrives: bounded bodies, timeouts on slow clients, JSON only, a cap on connections,
// and an error handler that turns every failure into a 4xx/5xx JSON answer instead of an exception.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { admissionRoutes, type AdmissionRoutesOptions } from './admission/routes.ts';
import { DEFAULT_MAX_CONNECTIONS } from './defaults.ts';
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

// Its home is defaults.ts (build-time code reads the defaults without the server); named here too for bench/.
export { DEFAULT_MAX_CONNECTIONS };

/** A TLS handshake takes milliseconds; Node's default lets a silent socket hold a place for 2 minutes. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** A socket this old that has sent no request yet is shed first when the cap is reached. */
const SILENT_GRACE_MS = 1_000;

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
  /** Open connections at most (DEFAULT_MAX_CONNECTIONS). */
  maxConnections?: number;
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
  // The logger type named, not inferred: from loggerInstance it would be pino's Logger, and an
  // instance of that type is not a WebhookServer (FastifyInstance is invariant in its logger).
  const app = Fastify<HttpsServer, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    https: { ...tlsOptions(opts.certificates.current()), handshakeTimeout: HANDSHAKE_TIMEOUT_MS },
    loggerInstance: opts.logger,
    // One log line per request would drown the decisions; routes log what matters.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    requestTimeout: opts.requestTimeoutMs ?? 10_000,
    connectionTimeout: opts.connectionTimeoutMs ?? 60_000,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
    return503OnClosing: true,
    // Closing stops accepting and ends idle keep-alive connections at once (endConnectionsOnClose
    // ends those Node does not count as idle); requests in flight are answered.
    forceCloseConnections: 'idle',
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });

  endConnectionsOnClose(app);

  capConnections(app, opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS);

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

/**
 * Makes close() end every connection that carries no request, at once, and each other one as soon
 * as its request is answered (with `Connection: close`). Node's closeIdleConnections() (what
 * `forceCloseConnections: 'idle'` does) leaves out a connection that has not sent a request yet:
 * its parser counts it busy from the start, for the headers timeout. The API server's client keeps
 * such connections (dialled for a request another connection served first) in its pool and never
 * closes them, so close() would wait for them until connectionTimeout, and shutdown with it.
 */
function endConnectionsOnClose(app: WebhookServer): void {
  // Per open connection: the bytes it had read when it last had no request in flight (more means
  // a request is arriving: it is answered, 503 while closing, rather than cut), and the responses
  // it waits for.
  const atRest = new Map<Socket, number>();
  const inFlight = new Map<Socket, Set<ServerResponse>>();
  let closing = false;
  app.server.on('secureConnection', (socket: Socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    atRest.set(socket, 0);
    socket.once('close', () => atRest.delete(socket));
  });
  app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const pending = inFlight.get(socket) ?? new Set<ServerResponse>();
    inFlight.set(socket, pending.add(res));
    res.once('close', () => {
      pending.delete(res);
      if (pending.size > 0) return;
      inFlight.delete(socket);
      if (socket.destroyed) return;
      if (closing) socket.destroySoon();
      else atRest.set(socket, socket.bytesRead);
    });
  });
  app.addHook('preClose', (done) => {
    closing = true;
    for (const [socket, bytes] of atRest) if (!inFlight.has(socket) && socket.bytesRead === bytes) socket.destroy();
    for (const pending of inFlight.values()) for (const res of pending) if (!res.headersSent) res.setHeader('Connection', 'close');
    done();
  });
}

/**
 * Node drops a connection beyond `maxConnections` before its handshake, whatever route it was for:
 * the one limit admission shares with the scaling API. So that sockets holding a place without
 * asking anything cannot keep the API server's calls out, a drop sheds them: keep-alive sockets
 * between requests, and sockets that have sent no request a second after they opened. A request
 * in flight is never cut; those the scaling API can hold are few (its reviews are capped, its
 * refusals immediate), so the next connection finds a place.
 */
function capConnections(app: WebhookServer, max: number): void {
  if (!(max >= 1)) throw new Error('maxConnections must be 1 or more');
  const server = app.server;
  server.maxConnections = max;
  // By peer address and port, which the TCP socket and the TLS socket on it share.
  const silent = new Map<string, { socket: Socket; since: number }>();
  const keyOf = (s: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string => `${s.remoteAddress}|${s.remotePort}`;
  server.on('connection', (socket: Socket) => {
    const key = keyOf(socket);
    silent.set(key, { socket, since: performance.now() });
    socket.once('close', () => {
      if (silent.get(key)?.socket === socket) silent.delete(key);
    });
  });
  server.on('request', (request: IncomingMessage) => silent.delete(keyOf(request.socket)));
  let shedAt = Number.NEGATIVE_INFINITY;
  let warnedAt = Number.NEGATIVE_INFINITY;
  server.on('drop', () => {
    const now = performance.now();
    // A burst of drops needs one pass, not one each.
    if (now - shedAt < 100) return;
    shedAt = now;
    server.closeIdleConnections();
    let shed = 0;
    for (const [key, s] of silent) {
      if (now - s.since < SILENT_GRACE_MS) continue;
      silent.delete(key);
      s.socket.destroy();
      shed++;
    }
    if (now - warnedAt >= 10_000) {
      warnedAt = now;
      app.log.warn({ maxConnections: max, shedSilent: shed }, 'webhook server at its connection limit: a new connection was dropped, idle and silent ones closed');
    }
  });
}

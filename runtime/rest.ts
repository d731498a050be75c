// A small REST client for any resource, over node:http(s) so the runtime owns every socket: a
// request is destroyed on abort or stall, and close() destroys the pool. Authentication and TLS
// material come from the ClusterAccess on every request, so rotated tokens and exec credentials work.
import http from 'node:http';
import https from 'node:https';
import { Agents, serverOf } from './agents.ts';
import { ApiError, WatchStalledError, type StatusCause } from './errors.ts';
import type { ClusterAccess } from './kubeconfig/access.ts';
import type { WriteGate } from './write-gate.ts';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Whole-request deadline for ordinary calls (default 60 s). */
  timeoutMs?: number;
  /** A write is sent only if the gate admits it, and destroyed when the gate's signal aborts. */
  gate?: WriteGate;
}

export interface StreamOptions {
  signal?: AbortSignal;
  /** Destroy the request when no byte has arrived for this long (the watch watchdog). */
  inactivityMs?: number;
  /** Called once the server answered 200, before the first line. */
  onOpen?: () => void;
}

/** One request, as a RequestObserver sees it. */
export interface RequestInfo {
  method: string;
  host: string;
  path: string;
  /** '' or '?a=b&...' */
  query: string;
  startedMs: number;
}

/**
 * Watches a RestClient's traffic: rest_client_requests_total, the request log (request-log.ts).
 * Observers are called synchronously and must not throw.
 */
export interface RequestObserver {
  /** As the request leaves: a write only once its gate admitted it. */
  sent?(r: RequestInfo): void;
  /** After its answer, or a transport failure (code '<error>'). */
  done?(r: RequestInfo, code: number | '<error>'): void;
}

export const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class RestClient {
  readonly access: ClusterAccess;
  private readonly observers: RequestObserver[] = [];
  private readonly agents = new Agents();
  /** The requests each abort signal is to destroy: see abortOn. */
  private readonly inFlight = new WeakMap<AbortSignal, Set<http.ClientRequest>>();
  private closed = false;

  constructor(access: ClusterAccess) {
    this.access = access;
  }

  observe(observer: RequestObserver): void {
    this.observers.push(observer);
  }

  /** Destroys idle pooled sockets. After a stall the path to the server may be dead, and an idle
   * socket on it would hang the next request until its timeout. */
  dropIdleConnections(): void {
    this.agents.dropIdle();
  }

  /** Destroys every pooled socket; requests still in flight fail. */
  close(): void {
    this.closed = true;
    this.agents.close();
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const { req, info, release } = await this.open(method, path, opts.query, opts.signal, opts.gate);
    const payload = opts.body === undefined ? undefined : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
    if (payload !== undefined) {
      req.setHeader('Content-Type', opts.contentType ?? 'application/json');
      req.setHeader('Content-Length', payload.length);
    }
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const timer = setTimeout(() => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)), timeoutMs);
    try {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        req.once('response', resolve);
        req.once('error', reject);
        req.end(payload);
      });
      const body = await readAll(res);
      this.done(info, res.statusCode ?? 0);
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) throw apiErrorFrom(status, body, method, path);
      if (body.length === 0) return undefined as T;
      return JSON.parse(body.toString('utf8')) as T;
    } catch (err) {
      if (!(err instanceof ApiError)) {
        this.done(info, '<error>');
      }
      throw err;
    } finally {
      clearTimeout(timer);
      release();
    }
  }

  /**
   * GETs a streaming endpoint (a watch) and calls onLine for each newline-terminated line.
   * Resolves when the server ends the stream, rejects on any failure (ApiError for a non-200,
   * WatchStalledError on inactivity, the abort reason on abort). The request is always destroyed
   * before this settles, so a restarted watch never leaves the previous socket open.
   */
  async stream(path: string, query: Query, onLine: (line: string) => void, opts: StreamOptions = {}): Promise<void> {
    const { req, info, release } = await this.open('GET', path, query, opts.signal, undefined);
    let timer: NodeJS.Timeout | undefined;
    const inactivityMs = opts.inactivityMs;
    const arm = (): void => {
      if (inactivityMs === undefined) return;
      if (timer !== undefined) timer.refresh();
      else timer = setTimeout(() => req.destroy(new WatchStalledError(inactivityMs)), inactivityMs);
    };
    try {
      arm();
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        req.once('response', resolve);
        req.once('error', reject);
        req.end();
      });
      const status = res.statusCode ?? 0;
      this.done(info, status);
      if (status !== 200) throw apiErrorFrom(status, await readAll(res), 'GET', path);
      opts.onOpen?.();
      await new Promise<void>((resolve, reject) => {
        let rest = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          arm();
          rest += chunk;
          let nl = rest.indexOf('\n');
          while (nl >= 0) {
            const line = rest.slice(0, nl);
            rest = rest.slice(nl + 1);
            if (line.trim() !== '') onLine(line);
            nl = rest.indexOf('\n');
          }
        });
        res.once('end', resolve);
        // 'aborted'/'error' cover a reset connection; req errors cover our own destroy().
        res.once('error', reject);
        req.once('error', reject);
        res.once('close', () => {
          if (!res.complete) reject(req.destroyed && opts.signal?.aborted ? opts.signal.reason : new Error(`${path}: watch connection closed before the end of the stream`));
        });
      });
    } catch (err) {
      if (!(err instanceof ApiError)) this.done(info, '<error>');
      throw err;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      req.destroy();
      release();
    }
  }

  private async open(method: string, path: string, query: Query | undefined, callerSignal: AbortSignal | undefined, gate: WriteGate | undefined): Promise<{ req: http.ClientRequest; info: RequestInfo; release: () => void }> {
    const startedMs = Date.now();
    if (this.closed) throw new Error('RestClient is closed');
    callerSignal?.throwIfAborted();
    const cluster = this.access.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const server = serverOf(cluster.server);
    const info: RequestInfo = { method, host: server.host, path: server.pathPrefix + path, query: queryString(query), startedMs };
    const tlsOpts: https.RequestOptions = {};
    await this.access.applyToHTTPSOptions(tlsOpts);
    const secure = server.secure;
    const agent = this.agents.agentFor(secure, tlsOpts);
    const headers: http.OutgoingHttpHeaders = { Accept: 'application/json', 'User-Agent': 'engula-operator', ...(tlsOpts.headers as http.OutgoingHttpHeaders | undefined) };
    // Admitted last, after every await, so nothing can delay the send past the gate's decision.
    const write = WRITE_METHODS.has(method);
    const gateSignal = write && gate ? gate.admit(method, path) : undefined;
    const options: https.RequestOptions = { method, headers, agent, hostname: server.hostname, port: server.port, path: info.path + info.query };
    if (tlsOpts.auth !== undefined) options.auth = tlsOpts.auth;
    const req = secure ? https.request(options) : http.request(options);
    const release = this.abortOn(req, gateSignal, callerSignal);
    for (const o of this.observers) o.sent?.(info);
    return { req, info, release };
  }

  /**
   * Destroys `req`, with the signal's reason, when either signal aborts; returns what undoes that.
   * Each signal gets one listener, for all the requests it covers. Node's own `signal` option put
   * a listener and an end-of-stream watcher on every request, and joining the gate's signal to the
   * caller's (AbortSignal.any) made a third signal per write: together a sixth of a request's CPU.
   */
  private abortOn(req: http.ClientRequest, ...signals: Array<AbortSignal | undefined>): () => void {
    const sets: Array<Set<http.ClientRequest>> = [];
    for (const signal of signals) {
      if (signal === undefined) continue;
      if (signal.aborted) {
        req.destroy(abortReason(signal));
        break;
      }
      let set = this.inFlight.get(signal);
      if (set === undefined) {
        const requests = new Set<http.ClientRequest>();
        signal.addEventListener(
          'abort',
          () => {
            for (const r of requests) r.destroy(abortReason(signal));
            requests.clear();
          },
          { once: true },
        );
        this.inFlight.set(signal, requests);
        set = requests;
      }
      set.add(req);
      sets.push(set);
    }
    return () => {
      for (const set of sets) set.delete(req);
    };
  }

  private done(info: RequestInfo, code: number | '<error>'): void {
    for (const o of this.observers) o.done?.(info, code);
  }
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(`request aborted: ${String(reason)}`);
}

function ignoreError(): void {}

/**
 * The whole body. The listeners go when it is read: a kept-alive socket holds on to the request
 * that opened it (Node's agent keeps it in a closure), and through it this response, so listeners
 * left on the response would keep the body of that first request, a page of a list among them, for
 * the socket's whole life.
 */
function readAll(res: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    const onData = (c: Buffer): void => {
      chunks.push(c);
    };
    const settle = (err: Error | undefined): void => {
      res.off('data', onData);
      res.off('end', onEnd);
      res.off('error', onError);
      // A late error (the socket reset after the end) must find a listener, and one that holds nothing.
      res.on('error', ignoreError);
      const body = Buffer.concat(chunks);
      chunks = [];
      if (err) reject(err);
      else resolve(body);
    };
    const onEnd = (): void => settle(undefined);
    const onError = (err: Error): void => settle(err);
    res.on('data', onData);
    res.on('end', onEnd);
    res.on('error', onError);
  });
}

function apiErrorFrom(status: number, body: Buffer, method: string, path: string): ApiError {
  let reason = http.STATUS_CODES[status] ?? 'Unknown';
  const text = body.toString('utf8');
  let message = text.slice(0, 500);
  let causes: StatusCause[] = [];
  try {
    const parsed = JSON.parse(text) as { reason?: unknown; message?: unknown; details?: { causes?: unknown } };
    if (typeof parsed.reason === 'string') reason = parsed.reason;
    if (typeof parsed.message === 'string') message = parsed.message;
    if (Array.isArray(parsed.details?.causes)) causes = parsed.details.causes.filter((c): c is StatusCause => typeof c === 'object' && c !== null);
  } catch {
    // A non-Status body (a proxy's HTML page): keep the raw text.
  }
  return new ApiError(status, reason, message, method, path, causes);
}

function queryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const k of Object.keys(query)) {
    const v = query[k];
    if (v !== undefined) params.set(k, String(v));
  }
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

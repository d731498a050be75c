// A small REST client for any resource, over node:http(s) so the runtime owns every socket: a
// request is destroyed on abort or stall, and close() destroys the pool. Authentication and TLS
// material come from the ClusterAccess on every request, so rotated tokens and exec credentials work.
import { writeSync } from 'node:fs';
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

/** Called after every answer (or transport failure, code '<error>'): feeds rest_client_requests_total. */
export type ResponseObserver = (method: string, code: string, host: string) => void;

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Where each request is written down, one JSON line each, synchronously so that a process killed
 * the next moment still leaves the record of what it sent: `{"at":"sent",...}` when a write leaves
 * and `{"at":"done",...}` with the code when any request ends. Audits use it (which calls does the
 * operator make; did a replica write after it lost the lease).
 */
export interface RequestRecorder {
  fd: number;
}

interface SharedState {
  counts: Map<string, number>;
  observers: ResponseObserver[];
  agents: Agents;
  /** The requests each abort signal is to destroy: see abortOn. */
  inFlight: WeakMap<AbortSignal, Set<http.ClientRequest>>;
  closed: boolean;
  recorder: RequestRecorder | undefined;
}

export class RestClient {
  readonly access: ClusterAccess;
  private readonly shared: SharedState;

  constructor(access: ClusterAccess, opts: { recorder?: RequestRecorder } = {}) {
    this.access = access;
    this.shared = { counts: new Map(), observers: [], agents: new Agents(), inFlight: new WeakMap(), closed: false, recorder: opts.recorder };
  }

  /** Requests sent, by method: tests assert "no write" with `writes`. */
  get counts(): Map<string, number> {
    return this.shared.counts;
  }

  get writes(): number {
    let n = 0;
    for (const [m, c] of this.counts) if (WRITE_METHODS.has(m)) n += c;
    return n;
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  onResponse(observer: ResponseObserver): void {
    this.shared.observers.push(observer);
  }

  /** Destroys idle pooled sockets. After a stall the path to the server may be dead, and an idle
   * socket on it would hang the next request until its timeout. */
  dropIdleConnections(): void {
    this.shared.agents.dropIdle();
  }

  /** Destroys every pooled socket; requests still in flight fail. */
  close(): void {
    this.shared.closed = true;
    this.shared.agents.close();
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const started = Date.now();
    const { req, url, release } = await this.open(method, path, opts.query, opts.signal, opts.gate);
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
      this.observe(method, String(res.statusCode ?? 0), url.host);
      this.record('done', method, url, started, res.statusCode ?? 0);
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) throw apiErrorFrom(status, body, method, path);
      if (body.length === 0) return undefined as T;
      return JSON.parse(body.toString('utf8')) as T;
    } catch (err) {
      if (!(err instanceof ApiError)) {
        this.observe(method, '<error>', url.host);
        this.record('done', method, url, started, '<error>');
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
    const started = Date.now();
    const { req, url, release } = await this.open('GET', path, query, opts.signal, undefined);
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
      this.observe('GET', String(status), url.host);
      this.record('done', 'GET', url, started, status);
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
      if (!(err instanceof ApiError)) this.observe('GET', '<error>', url.host);
      throw err;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      req.destroy();
      release();
    }
  }

  private async open(method: string, path: string, query: Query | undefined, callerSignal: AbortSignal | undefined, gate: WriteGate | undefined): Promise<{ req: http.ClientRequest; url: Target; release: () => void }> {
    if (this.shared.closed) throw new Error('RestClient is closed');
    callerSignal?.throwIfAborted();
    const cluster = this.access.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const server = serverOf(cluster.server);
    const url: Target = { host: server.host, pathname: server.pathPrefix + path, search: queryString(query) };
    const tlsOpts: https.RequestOptions = {};
    await this.access.applyToHTTPSOptions(tlsOpts);
    const secure = server.secure;
    const agent = this.shared.agents.agentFor(secure, tlsOpts);
    const headers: http.OutgoingHttpHeaders = { Accept: 'application/json', 'User-Agent': 'engula-operator', ...(tlsOpts.headers as http.OutgoingHttpHeaders | undefined) };
    // Admitted last, after every await, so nothing can delay the send past the gate's decision.
    const write = WRITE_METHODS.has(method);
    const gateSignal = write && gate ? gate.admit(method, path) : undefined;
    const options: https.RequestOptions = { method, headers, agent, hostname: server.hostname, port: server.port, path: url.pathname + url.search };
    if (tlsOpts.auth !== undefined) options.auth = tlsOpts.auth;
    const req = secure ? https.request(options) : http.request(options);
    const release = this.abortOn(req, gateSignal, callerSignal);
    this.shared.counts.set(method, (this.shared.counts.get(method) ?? 0) + 1);
    if (write) this.record('sent', method, url, Date.now(), undefined);
    return { req, url, release };
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
      let set = this.shared.inFlight.get(signal);
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
        this.shared.inFlight.set(signal, requests);
        set = requests;
      }
      set.add(req);
      sets.push(set);
    }
    return () => {
      for (const set of sets) set.delete(req);
    };
  }

  private observe(method: string, code: string, host: string): void {
    for (const o of this.shared.observers) o(method, code, host);
  }

  private record(at: 'sent' | 'done', method: string, url: Target, startedMs: number, code: number | string | undefined): void {
    const r = this.shared.recorder;
    if (!r) return;
    const line = { at, time: new Date(startedMs).toISOString(), ms: at === 'done' ? Date.now() - startedMs : undefined, method, path: url.pathname, query: url.search || undefined, code };
    try {
      writeSync(r.fd, `${JSON.stringify(line)}\n`);
    } catch {
      // A full disk must not fail the request the record is about.
    }
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

/** Where a request goes: host for the metrics' label, path and query for the request record. */
interface Target {
  host: string;
  pathname: string;
  /** '' or '?a=b&...' */
  search: string;
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

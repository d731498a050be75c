// The probe server (/healthz, /readyz, with named checks as controller-runtime's healthz package)
// and the metrics server (/metrics), each on its own bind address.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { DelegatedAuth } from './auth/delegated-auth.ts';
import { accessRefusal } from './auth/refusal.ts';
import type { TlsMaterial } from './auth/self-signed.ts';
import { errorMessage } from './errors.ts';

/** Throws (or rejects) when not healthy/ready; the message is shown in the probe's body. */
export type Check = () => void | Promise<void>;

export interface BindAddress {
  host: string | undefined;
  port: number;
}

/** ':8080', '127.0.0.1:8080', '[::1]:8080' → host and port; '0' (kubebuilder's "disabled") → undefined. */
export function parseBindAddress(addr: string): BindAddress | undefined {
  if (addr === '0' || addr === '') return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) throw new Error(`invalid bind address ${JSON.stringify(addr)}: want host:port or :port`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port: Number(m[3]) };
}

export class HttpEndpoint {
  private readonly server: http.Server;
  private readonly bind: BindAddress;

  /** With `tls`, HTTPS (TLS 1.2 or later). */
  constructor(bind: BindAddress, handler: (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>, tls?: TlsMaterial) {
    this.bind = bind;
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      Promise.resolve(handler(req, res)).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(errorMessage(err));
      });
    };
    this.server = tls ? https.createServer({ key: tls.keyPem, cert: tls.certPem, minVersion: 'TLSv1.2' }, listener) : http.createServer(listener);
    // Probes and scrapes are short: do not let an idle keep-alive connection hold shutdown.
    this.server.keepAliveTimeout = 5_000;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.bind.port, this.bind.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  get port(): number | undefined {
    const a = this.server.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

export class ProbeServer {
  private readonly healthz = new Map<string, Check>();
  private readonly readyz = new Map<string, Check>();
  readonly endpoint: HttpEndpoint;

  constructor(bind: BindAddress) {
    this.endpoint = new HttpEndpoint(bind, (req, res) => this.handle(req, res));
    this.healthz.set('ping', () => undefined);
    this.readyz.set('ping', () => undefined);
  }

  addHealthzCheck(name: string, check: Check): void {
    this.healthz.set(name, check);
  }

  addReadyzCheck(name: string, check: Check): void {
    this.readyz.set(name, check);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://probe');
    const [, kind, only] = url.pathname.split('/');
    const checks = kind === 'healthz' || kind === 'livez' ? this.healthz : kind === 'readyz' ? this.readyz : undefined;
    if (!checks) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    const selected = only ? [...checks].filter(([n]) => n === only) : [...checks];
    if (only && selected.length === 0) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`no check named ${only}\n`);
      return;
    }
    const lines: string[] = [];
    let ok = true;
    for (const [name, check] of selected) {
      try {
        await check();
        lines.push(`[+]${name} ok`);
      } catch (err) {
        ok = false;
        lines.push(`[-]${name} failed: ${errorMessage(err)}`);
      }
    }
    const verbose = url.searchParams.has('verbose');
    const body = ok && !verbose ? 'ok' : `${lines.join('\n')}\n${kind} check ${ok ? 'passed' : 'failed'}`;
    res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end(`${body}\n`);
  }
}

/**
 * kubebuilder's --metrics-secure: HTTPS, and only for callers whose bearer token Kubernetes
 * authenticates and whom RBAC lets `get` the /metrics non-resource URL (controller-runtime's
 * filters.WithAuthenticationAndAuthorization).
 */
export interface SecureMetrics {
  auth: DelegatedAuth;
  tls: TlsMaterial;
}

export function metricsEndpoint(bind: BindAddress, registry: Registry, secure?: SecureMetrics): HttpEndpoint {
  return new HttpEndpoint(bind, async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://metrics').pathname;
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    if (secure) {
      const decision = await secure.auth.check(req.headers.authorization, () => ({ nonResource: { verb: 'get', path } }));
      if (decision.outcome !== 'allowed') {
        const { code, headers } = accessRefusal(decision);
        res.writeHead(code, { 'Content-Type': 'text/plain', ...headers }).end(`${http.STATUS_CODES[code]}: ${decision.reason}\n`);
        return;
      }
    }
    const body = await registry.metrics();
    res.writeHead(200, { 'Content-Type': registry.contentType }).end(body);
  }, secure?.tls);
}

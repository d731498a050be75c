// Where the REST client's requests go, and on which connections: the kubeconfig's server URL
// parsed once, and one keep-alive agent per TLS identity (a rotated client certificate gets fresh
// connections). Both are looked up on every request, so each is made cheap to find again. The
// agents are few and bounded: an exec plugin or a kubelet-rotated certificate makes a new identity
// every few hours, and the agent of one no longer used is retired, its sockets closed once idle.
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

export interface Server {
  secure: boolean;
  /** host:port as the URL writes it, for the metrics' host label. */
  host: string;
  /** Without brackets around an IPv6 address, as http.request wants it. */
  hostname: string;
  port: number;
  /** The server URL's own path (a proxy's prefix), without a trailing slash. */
  pathPrefix: string;
}

const servers = new Map<string, Server>();

export function serverOf(url: string): Server {
  let server = servers.get(url);
  if (server === undefined) {
    const u = new URL(url);
    const secure = u.protocol === 'https:';
    server = {
      secure,
      host: u.host,
      hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
      port: u.port !== '' ? Number(u.port) : secure ? 443 : 80,
      pathPrefix: u.pathname.replace(/\/+$/, ''),
    };
    if (servers.size > 16) servers.clear();
    servers.set(url, server);
  }
  return server;
}

/** What a ClusterAccess puts in a request's TLS options: the CA and this client's identity. */
type ClientTls = Pick<https.RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>;

function sameMaterial(a: ClientTls, b: ClientTls): boolean {
  return a.ca === b.ca && a.cert === b.cert && a.key === b.key && a.rejectUnauthorized === b.rejectUnauthorized && a.servername === b.servername;
}

const materialKeys = new WeakMap<object, string>();

function materialId(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'object') return String(v);
  let key = materialKeys.get(v);
  if (key === undefined) {
    key = String(v);
    materialKeys.set(v, key);
  }
  return key;
}

/** Agents kept at most: the current identity, and a few before it whose requests may still run. */
export const MAX_AGENTS = 4;

export class Agents {
  /** By TLS identity, least recently chosen first. */
  private readonly agents = new Map<string, http.Agent>();
  /** The agent of the last request and the material it was chosen for. */
  private last: { secure: boolean; tls: ClientTls; agent: http.Agent } | undefined;

  /** SO_KEEPALIVE lets the kernel notice a vanished peer. */
  agentFor(secure: boolean, o: ClientTls): http.Agent {
    // Nearly every request has the material of the one before (the same strings or buffers until
    // a rotation): compared by identity, without building the key of the map below.
    const last = this.last;
    if (last !== undefined && last.secure === secure && sameMaterial(last.tls, o)) return last.agent;
    const key = secure ? [materialId(o.ca), materialId(o.cert), materialId(o.key), o.rejectUnauthorized, o.servername].join('|') : 'http';
    let agent = this.agents.get(key);
    if (agent !== undefined) {
      this.agents.delete(key);
      this.agents.set(key, agent);
    } else {
      // Enough idle sockets for the bursts of parallel reconciles: a socket closed after a burst
      // is a TLS handshake to pay again on the next one.
      const common = { keepAlive: true, keepAliveMsecs: 30_000, maxFreeSockets: 64 };
      agent = secure
        ? new https.Agent({
            ...common,
            // The CA and client identity as one SecureContext: made once, not parsed again for
            // every new socket, and kept out of the name the agent files each request under
            // (which otherwise holds the PEM text of all three, built for every request).
            secureContext: tls.createSecureContext({
              ...(o.ca !== undefined ? { ca: o.ca } : {}),
              ...(o.cert !== undefined ? { cert: o.cert } : {}),
              ...(o.key !== undefined ? { key: o.key } : {}),
            }),
            ...(o.rejectUnauthorized !== undefined ? { rejectUnauthorized: o.rejectUnauthorized } : {}),
            ...(o.servername !== undefined ? { servername: o.servername } : {}),
          })
        : new http.Agent(common);
      this.agents.set(key, agent);
      if (this.agents.size > MAX_AGENTS) this.retireOldest();
    }
    this.last = { secure, tls: { ca: o.ca, cert: o.cert, key: o.key, rejectUnauthorized: o.rejectUnauthorized, servername: o.servername }, agent };
    return agent;
  }

  /** Forgets the least recently chosen agent. Its requests in flight finish; each socket is closed
   * when it comes free instead of being pooled, so the agent and its TLS context can go. */
  private retireOldest(): void {
    const [key, agent] = this.agents.entries().next().value ?? [];
    if (key === undefined || agent === undefined) return;
    this.agents.delete(key);
    agent.maxFreeSockets = 0;
    for (const sockets of Object.values(agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
  }

  /** Destroys idle pooled sockets. */
  dropIdle(): void {
    for (const agent of this.agents.values()) {
      for (const sockets of Object.values(agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
    }
  }

  /** Destroys every pooled socket; requests still in flight fail. */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
    this.last = undefined;
  }
}

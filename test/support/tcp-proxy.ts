// A loopback TCP proxy between a client and kube-apiserver, for tests of broken connections:
// cut every connection, refuse new ones (an outage), or stall existing ones (the socket stays
// open but no byte moves in either direction: a dead NAT entry or a hung peer).
import net from 'node:net';

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  stalled: boolean;
}

export class TcpProxy {
  private readonly server: net.Server;
  private readonly target: { host: string; port: number };
  private readonly pairs = new Set<Pair>();
  private refusing = false;
  /** Connections accepted since start (refused ones included). */
  accepted = 0;

  private constructor(target: { host: string; port: number }) {
    this.target = target;
    this.server = net.createServer((client) => this.onConnection(client));
  }

  /** Listens on 127.0.0.1 (a free port) and forwards to target, which must be a loopback address. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    if (!['127.0.0.1', 'localhost', '::1'].includes(target.host)) throw new Error(`TcpProxy forwards to loopback only, not ${target.host}`);
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Client connections currently open (stalled ones included). */
  get open(): number {
    return this.pairs.size;
  }

  get stalledOpen(): number {
    return [...this.pairs].filter((p) => p.stalled).length;
  }

  /** New connections are reset at once (existing ones are untouched; see cutAll). */
  refuse(on: boolean): void {
    this.refusing = on;
  }

  /** Resets every open connection; returns how many. */
  cutAll(): number {
    const n = this.pairs.size;
    for (const p of [...this.pairs]) {
      p.client.resetAndDestroy();
      p.upstream.destroy();
      this.pairs.delete(p);
    }
    return n;
  }

  /** Stops forwarding on every open connection but keeps both sockets open; returns how many.
   * New connections forward normally. */
  stallAll(): number {
    let n = 0;
    for (const p of this.pairs) {
      if (p.stalled) continue;
      p.stalled = true;
      p.client.unpipe(p.upstream);
      p.upstream.unpipe(p.client);
      p.client.pause();
      p.upstream.pause();
      n++;
    }
    return n;
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(client: net.Socket): void {
    this.accepted++;
    if (this.refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    const pair: Pair = { client, upstream, stalled: false };
    this.pairs.add(pair);
    const end = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

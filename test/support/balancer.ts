// A loopback TCP balancer in front of several operator replicas, as a Service is in front of the
// Deployment's pods: new connections go round-robin to the backends whose /readyz answers 200
// (the endpoints a Service would list), and to the next backend when a connect fails. TLS passes
// through untouched, so the apiserver sees the replicas' own certificates.
import net from 'node:net';

export interface Backend {
  /** Port of the replica's HTTPS listener on 127.0.0.1. */
  port: number;
  /** Port of its health probe server (GET /readyz), polled to decide whether it gets traffic. */
  probePort: number;
  ready: boolean;
}

export class LoopbackBalancer {
  private readonly server: net.Server;
  private readonly backends = new Map<string, Backend>();
  private readonly sockets = new Set<net.Socket>();
  private next = 0;
  private poller: NodeJS.Timeout | undefined;
  /** Connections that found no backend to connect to. */
  failedConnections = 0;
  acceptedConnections = 0;

  private constructor() {
    this.server = net.createServer((client) => this.onConnection(client));
  }

  static async start(opts: { probeIntervalMs?: number } = {}): Promise<LoopbackBalancer> {
    const lb = new LoopbackBalancer();
    await new Promise<void>((resolve, reject) => {
      lb.server.once('error', reject);
      lb.server.listen(0, '127.0.0.1', () => resolve());
    });
    lb.poller = setInterval(() => void lb.probeAll(), opts.probeIntervalMs ?? 250);
    lb.poller.unref();
    return lb;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Adds (or replaces) a backend; it gets traffic once its /readyz answers 200. */
  set(name: string, backend: { port: number; probePort: number }): void {
    this.backends.set(name, { ...backend, ready: false });
    void this.probeAll();
  }

  remove(name: string): void {
    this.backends.delete(name);
  }

  readyBackends(): string[] {
    return [...this.backends].filter(([, b]) => b.ready).map(([n]) => n);
  }

  async close(): Promise<void> {
    clearInterval(this.poller);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async probeAll(): Promise<void> {
    await Promise.all(
      [...this.backends.values()].map(async (b) => {
        try {
          const r = await fetch(`http://127.0.0.1:${b.probePort}/readyz`, { signal: AbortSignal.timeout(1_000) });
          await r.arrayBuffer();
          b.ready = r.status === 200;
        } catch {
          b.ready = false;
        }
      }),
    );
  }

  /** Ready backends first in round-robin order, then the others (a Service with no ready endpoint
   * refuses, but a replica that just started may well be able to answer: fail only if none does). */
  private candidates(): Backend[] {
    const all = [...this.backends.values()];
    if (all.length === 0) return [];
    const start = this.next++ % all.length;
    const rotated = [...all.slice(start), ...all.slice(0, start)];
    return [...rotated.filter((b) => b.ready), ...rotated.filter((b) => !b.ready)];
  }

  private onConnection(client: net.Socket): void {
    this.acceptedConnections++;
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const tryNext = (queue: Backend[]): void => {
      const b = queue.shift();
      if (!b) {
        this.failedConnections++;
        client.destroy();
        return;
      }
      const upstream = net.connect({ host: '127.0.0.1', port: b.port });
      const onError = (): void => {
        upstream.destroy();
        tryNext(queue);
      };
      upstream.once('error', onError);
      upstream.once('connect', () => {
        upstream.off('error', onError);
        this.sockets.add(upstream);
        upstream.on('close', () => {
          this.sockets.delete(upstream);
          client.destroy();
        });
        upstream.on('error', () => upstream.destroy());
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    tryNext(this.candidates());
  }
}

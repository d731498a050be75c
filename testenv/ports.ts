// Listening ports for the control plane's components. A port the kernel hands out for `listen(0)`
// comes from the ephemeral range, the same range outgoing connections draw from: between probing
// it and the component binding it (seconds later, after etcd and kube-apiserver start), one of
// their own client connections can take it, and the component fails with "address already in
// use" (seen with kube-controller-manager). Ports below the ephemeral range are never given to an
// outgoing connection, so one that is free when probed stays free for us.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Below this, ports are left to well-known and registered services. */
const LOWEST = 10_000;
const ATTEMPTS = 50;

/** The kernel's ephemeral range ([32768, 60999] when it cannot be read). */
export function ephemeralRange(text?: string): [number, number] {
  let raw = text;
  try {
    raw ??= readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
  } catch {
    raw = '';
  }
  const [low, high] = raw.trim().split(/\s+/).map(Number);
  return low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high) && low > 0 && high >= low ? [low, high] : [32768, 60999];
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function kernelPicked(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not read the address of a probe socket'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

/** A TCP port on 127.0.0.1 that is free now and, being below the ephemeral range, is not taken by
 * an outgoing connection later. Falls back to one the kernel picks when the range leaves no room. */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const span = low - LOWEST;
  if (span > 0) {
    for (let i = 0; i < ATTEMPTS; i++) {
      const port = LOWEST + Math.floor(Math.random() * span);
      if (await bindable(port)) return port;
    }
  }
  return kernelPicked();
}

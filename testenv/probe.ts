// Health probes for the control plane's processes, on loopback. Fails fast, with the log's last
// lines, when the process died instead of becoming healthy.
import http from 'node:http';
import https from 'node:https';
import { isAlive, tailOf, type RunningProcess } from './process.ts';

export interface TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
  /** For components that serve a self-signed in-memory certificate (controller-manager, scheduler). */
  insecure?: boolean;
}

export function get(url: string, tls: TlsOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const opts = u.protocol === 'https:' ? { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: !tls.insecure } : {};
    const req = (u.protocol === 'https:' ? https : http).get(u, { ...opts, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout on ${url}`)));
    req.on('error', reject);
  });
}

export async function waitHealthy(proc: RunningProcess, url: string, tls: TlsOptions, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!isAlive(proc.pid)) {
      throw new Error(`${proc.name} exited before it became healthy; last lines of ${proc.logFile}:\n${tailOf(proc.logFile)}`);
    }
    try {
      const r = await get(url, tls);
      if (r.status === 200) return;
      last = `HTTP ${r.status}: ${r.body.slice(0, 300)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${proc.name} not healthy at ${url} after ${timeoutMs} ms (last: ${last}); log tail:\n${tailOf(proc.logFile)}`);
}

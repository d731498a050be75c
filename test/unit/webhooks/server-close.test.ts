// Closing the webhook server (on SIGTERM, or Ctrl-C of `make run`) takes no new connection, ends
// the ones that carry no request at once (a keep-alive connection between requests, and one that
// never sent a request, as the API server's client keeps in its pool), and answers the requests in
// flight before it ends their connections. Before, close() waited for the API server's idle
// connections to go, which they never do by themselves.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import tls from 'node:tls';
import { apiSchemas } from '../../../webhooks/index.ts';
import { staticObjectReader } from '../../../webhooks/admission/state.ts';
import { buildWebhookServer } from '../../../webhooks/server.ts';
import { StaticCertificates } from '../../../webhooks/tls/source.ts';
import { loopbackCertificates, quietLogger } from '../../support/admission.ts';

interface RawConnection {
  socket: tls.TLSSocket;
  /** Everything received so far. */
  received(): string;
  closed: Promise<unknown>;
}

async function connect(port: number, caPem: string): Promise<RawConnection> {
  const socket = tls.connect({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost' });
  let data = '';
  socket.on('data', (d: Buffer) => (data += d.toString()));
  socket.on('error', () => undefined);
  const closed = once(socket, 'close');
  await once(socket, 'secureConnect');
  return { socket, received: () => data, closed };
}

function get(path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n`;
}

async function waitUntil(what: string, check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), what);
}

test('close() ends idle and silent connections at once, answers the request in flight, and takes no new connection', { timeout: 20_000 }, async () => {
  const certs = await loopbackCertificates();
  const app = await buildWebhookServer({
    certificates: new StaticCertificates(certs),
    logger: quietLogger(),
    admission: { schemas: apiSchemas, reader: staticObjectReader([]), maxReplicas: 10 },
  });
  let release: () => void = () => undefined;
  const slowStarted = new Promise<void>((started) => {
    app.get('/test/slow', async () => {
      started();
      await new Promise<void>((r) => (release = r));
      return { slow: 'answered' };
    });
  });
  app.get('/test/fast', async () => ({ fast: true }));
  const serverSide = new Map<number, tls.TLSSocket>();
  app.server.on('secureConnection', (s: tls.TLSSocket) => serverSide.set(s.remotePort ?? 0, s));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as net.AddressInfo).port;

  // Connected, handshaken, never asked anything: Node counts it busy, not idle.
  const silent = await connect(port, certs.caPem);
  // Kept alive after one answered request.
  const idle = await connect(port, certs.caPem);
  idle.socket.write(get('/test/fast'));
  await waitUntil('the keep-alive connection got its answer', () => idle.received().includes('"fast":true'));
  // A request in flight when close() is called.
  const busy = await connect(port, certs.caPem);
  busy.socket.write(get('/test/slow'));
  await slowStarted;
  // A request half sent when close() is called.
  const arriving = await connect(port, certs.caPem);
  arriving.socket.write('GET /test/fast HTTP/1.1\r\n');
  await waitUntil('the server read the first line', () => (serverSide.get(arriving.socket.localPort ?? 0)?.bytesRead ?? 0) > 0);

  let serverClosed = false;
  const closing = app.close().then(() => (serverClosed = true));
  await Promise.all([silent.closed, idle.closed]);
  assert.equal(serverClosed, false, 'the server still waits for the request in flight');
  assert.equal(busy.socket.destroyed, false, 'the connection with a request in flight stays open');

  // No new connection is taken.
  const refused = await new Promise<string>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
  assert.equal(refused, 'ECONNREFUSED');

  // The half-sent request is answered (503: the server is closing), not cut, and its connection ends.
  arriving.socket.write('Host: localhost\r\n\r\n');
  await arriving.closed;
  assert.match(arriving.received(), /^HTTP\/1\.1 503 /);
  assert.match(arriving.received(), /\r\nconnection: close\r\n/i);

  // The request in flight is answered, told the connection closes, and then it does.
  release();
  await busy.closed;
  assert.match(busy.received(), /^HTTP\/1\.1 200 /);
  assert.match(busy.received(), /\r\nconnection: close\r\n/i);
  assert.match(busy.received(), /"slow":"answered"/);
  await closing;
  assert.equal(serverClosed, true);
});

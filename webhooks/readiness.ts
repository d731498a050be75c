// Readiness that tells the truth: a replica is ready only when the certificate its HTTPS listener
// actually serves is trusted by the caBundle the apiserver holds right now, for the host name the
// apiserver dials. The check opens a TLS connection to its own listener on loopback and lets
// OpenSSL verify the served chain against each distinct bundle last observed in the webhook
// configurations (ours, or cert-manager's cainjector's with --webhook-cert-dir).
import { connect, checkServerIdentity, type PeerCertificate } from 'node:tls';
import { isIP } from 'node:net';
import type { ObservedWebhook } from './tls/configuration-watch.ts';

export interface ServedCertificateCheck {
  /** Address and port of our own listener (loopback for a wildcard bind). */
  host: string;
  port: number;
  /** The webhooks as last observed; undefined until observed. */
  webhooks: () => ObservedWebhook[] | undefined;
  /** Name of the configurations, for messages. */
  configurationName: string;
  timeoutMs?: number;
}

/** Opens a TLS connection trusting only `caBundlePem` and checking `serverName`; rejects with OpenSSL's reason. */
function handshake(host: string, port: number, caBundlePem: string, serverName: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      ca: caBundlePem,
      ...(isIP(serverName) === 0 && serverName !== '' ? { servername: serverName } : {}),
      rejectUnauthorized: true,
      checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(serverName, cert),
      ALPNProtocols: ['http/1.1'],
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)));
    socket.once('secureConnect', () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.once('error', (err) => {
      socket.destroy();
      reject(err);
    });
  });
}

/** Throws (with the reason) unless every observed webhook's caBundle trusts what we serve. */
export async function checkServedCertificateTrusted(c: ServedCertificateCheck): Promise<void> {
  const webhooks = c.webhooks();
  if (webhooks === undefined) throw new Error(`webhook configurations ${c.configurationName} not observed yet`);
  if (webhooks.length === 0) throw new Error(`no webhook configuration named ${c.configurationName}: the apiserver cannot call us`);
  const distinct = new Map<string, ObservedWebhook>();
  for (const w of webhooks) {
    if (w.caBundlePem === undefined) throw new Error(`${w.configuration} webhook ${w.name} has no caBundle yet`);
    distinct.set(`${w.serverName}\n${w.caBundlePem}`, w);
  }
  for (const w of distinct.values()) {
    try {
      await handshake(c.host, c.port, w.caBundlePem!, w.serverName, c.timeoutMs ?? 2_000);
    } catch (err) {
      throw new Error(`the served certificate is not trusted by the caBundle of ${w.configuration} webhook ${w.name} for ${w.serverName}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

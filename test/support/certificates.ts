// What tests read of the webhook server's certificates: a certificate's facts, and whether a CA
// bundle (as the webhook configurations carry it) trusts a serving certificate.
import { X509Certificate } from 'node:crypto';
import { splitPemBundle } from '../../webhooks/tls/authority.ts';

export interface CertificateFacts {
  serial: string;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
}

export function certificateFacts(pem: string): CertificateFacts {
  const x = new X509Certificate(pem);
  return { serial: x.serialNumber, notBefore: new Date(x.validFrom), notAfter: new Date(x.validTo), isCA: x.ca };
}

/** Whether `certPem` was signed by a CA of `bundlePem` that is valid at `now`. */
export function bundleTrusts(bundlePem: string | undefined, certPem: string, now: number): boolean {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return false;
  }
  return splitPemBundle(bundlePem ?? '').some((pem) => {
    let x: X509Certificate;
    try {
      x = new X509Certificate(pem);
    } catch {
      return false;
    }
    if (Date.parse(x.validTo) <= now || Date.parse(x.validFrom) > now) return false;
    return cert.checkIssued(x) && cert.verify(x.publicKey);
  });
}

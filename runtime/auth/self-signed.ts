// The certificate /metrics serves when it is secure and no other is given: self-signed, made in
// memory at start, as controller-runtime does. Prometheus scrapes it with insecureSkipVerify (the
// token, not the certificate, is what proves anything here), or with a cert-manager certificate
// mounted in its place.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import forge from 'node-forge';

export interface TlsMaterial {
  keyPem: string;
  certPem: string;
}

export function selfSignedCertificate(opts: { validityMs?: number; dnsNames?: string[] } = {}): TlsMaterial {
  // Native key generation: forge's pure-JS RSA takes seconds.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x3f) | 0x40; // positive and DER-minimal
  cert.serialNumber = serial.toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + (opts.validityMs ?? 365 * 24 * 3600 * 1000));
  const subject = [{ name: 'commonName', value: `${hostname()}-metrics` }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  const dnsNames = opts.dnsNames ?? ['localhost', hostname()];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [...dnsNames.map((value) => ({ type: 2, value })), { type: 7, ip: '127.0.0.1' }] },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { keyPem: privateKey, certPem: forge.pki.certificateToPem(cert) };
}

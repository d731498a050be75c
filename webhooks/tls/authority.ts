// A small certificate authority for the webhook: node-forge builds and signs the certificates, and
// Node's own X509Certificate reads them back (validity, SANs, issuer, key match), so checking a
// certificate does not depend on the code that made it.
import { X509Certificate, createPrivateKey, generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

export interface PemPair {
  certPem: string;
  keyPem: string;
}

const generateRsa = promisify(generateKeyPair);

/** Native key generation: forge's pure-JS RSA would block the event loop for seconds. */
async function newKeyPair(): Promise<{ privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string }> {
  const { privateKey } = await generateRsa('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), keyPem: privateKey };
}

/**
 * 126 random bits, DER-minimal and positive: the first byte is 0x40–0x7f. A clear high bit keeps it
 * positive (Go's crypto/x509 refuses negative serials); a non-zero first byte keeps OpenSSL from
 * refusing the encoding ("illegal padding"), which a 0x00 byte before one below 0x80 would be.
 */
export function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x3f) | 0x40;
  return bytes.toString('hex');
}

/** Clocks of the apiserver and this process may differ a little; a certificate must not look early. */
const CLOCK_SKEW_MS = 60_000;

function validity(cert: forge.pki.Certificate, now: number, validityMs: number, notAfterCap?: Date): void {
  // Bounded by a tenth of the lifetime, so a short-lived certificate does not start life half used.
  cert.validity.notBefore = new Date(now - Math.min(CLOCK_SKEW_MS, validityMs / 10));
  const notAfter = new Date(now + validityMs);
  cert.validity.notAfter = notAfterCap !== undefined && notAfterCap < notAfter ? notAfterCap : notAfter;
}

export async function createCertificateAuthority(opts: { commonName: string; validityMs: number; now?: number }): Promise<PemPair> {
  const keys = await newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, opts.now ?? Date.now(), opts.validityMs);
  const subject = [{ name: 'commonName', value: opts.commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: normalizePem(forge.pki.certificateToPem(cert)), keyPem: keys.keyPem };
}

export interface ServingCertificateRequest {
  dnsNames: string[];
  ipAddresses: string[];
  validityMs: number;
  now?: number;
}

export async function issueServingCertificate(ca: PemPair, req: ServingCertificateRequest): Promise<PemPair> {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = await newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  // A certificate that outlives its CA would fail verification at the CA's expiry anyway.
  validity(cert, req.now ?? Date.now(), req.validityMs, caCert.validity.notAfter);
  cert.setSubject([{ name: 'commonName', value: req.dnsNames[0] ?? req.ipAddresses[0] ?? 'webhook' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    // Go verifies hostnames against SANs only (never the CN), and IP hosts against IP SANs.
    { name: 'subjectAltName', altNames: [...req.dnsNames.map((value) => ({ type: 2, value })), ...req.ipAddresses.map((ip) => ({ type: 7, ip }))] },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: normalizePem(forge.pki.certificateToPem(cert)), keyPem: keys.keyPem };
}


/** forge writes CRLF; one spelling of each PEM lets bundles be compared and deduplicated as text. */
function normalizePem(pem: string): string {
  return `${pem.replaceAll('\r\n', '\n').trimEnd()}\n`;
}

/** Splits a PEM bundle into its certificates, each in the form the functions here return. */
export function splitPemBundle(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map(normalizePem) ?? [];
}

/** Why a serving certificate cannot be used as it is, or undefined when it can. */
export function servingCertificateProblem(
  pair: PemPair,
  trusted: string[],
  want: { dnsNames: string[]; ipAddresses: string[]; now: number; renewFraction: number },
): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pair.certPem);
    if (!cert.checkPrivateKey(createPrivateKey(pair.keyPem))) return 'the key does not match the certificate';
  } catch (err) {
    return `unreadable certificate or key: ${err instanceof Error ? err.message : String(err)}`;
  }
  const issuer = trusted.map((pem) => new X509Certificate(pem)).find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
  if (issuer === undefined) return 'not signed by a trusted CA';
  for (const dns of want.dnsNames) if (cert.checkHost(dns, { wildcards: false }) === undefined) return `no SAN for ${dns}`;
  for (const ip of want.ipAddresses) if (cert.checkIP(ip) === undefined) return `no SAN for ${ip}`;
  return renewalProblem(cert, want.now, want.renewFraction);
}

/** A certificate is renewed once less than `renewFraction` of its lifetime is left. */
export function renewalProblem(cert: X509Certificate | string, now: number, renewFraction: number): string | undefined {
  const x = typeof cert === 'string' ? new X509Certificate(cert) : cert;
  const from = new Date(x.validFrom).getTime();
  const to = new Date(x.validTo).getTime();
  if (now >= to) return `expired at ${x.validTo}`;
  if (now < from) return `not valid before ${x.validFrom}`;
  if (to - now < (to - from) * renewFraction) return `expires at ${new Date(to).toISOString()}, within the renewal window`;
  return undefined;
}

/** The moment a certificate enters its renewal window. */
export function renewalTime(pem: string, renewFraction: number): number {
  const x = new X509Certificate(pem);
  const from = new Date(x.validFrom).getTime();
  const to = new Date(x.validTo).getTime();
  return to - (to - from) * renewFraction;
}

export function isExpired(pem: string, now: number): boolean {
  return new Date(new X509Certificate(pem).validTo).getTime() <= now;
}

// The local control plane's certificates: one CA that signs the apiserver's serving certificate
// (which also serves local webhooks: SANs localhost and 127.0.0.1) and the admin client certificate,
// plus the key pair that signs ServiceAccount tokens. Keys come from node:crypto (native, fast);
// node-forge only assembles and signs the X.509 certificates, which node:crypto cannot make.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface ControlPlanePki {
  ca: KeyPairPem;
  serving: KeyPairPem;
  admin: KeyPairPem;
  serviceAccountKeyPem: string;
  serviceAccountPubPem: string;
}

function rsaKeys(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

type Extension = Record<string, unknown>;

/**
 * A positive, DER-minimal serial (first byte 0x40–0x7f): OpenSSL refuses a certificate whose serial
 * starts with a 0x00 byte it did not need ("illegal padding"), and such a serial once came up by chance.
 */
export function randomSerial(): string {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x3f) | 0x40;
  return serial.toString('hex');
}

function certificate(opts: {
  subject: forge.pki.CertificateField[];
  publicPem: string;
  issuer: { subject: forge.pki.CertificateField[]; keyPem: string } | 'self';
  selfKeyPem?: string;
  extensions: Extension[];
  days: number;
}): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(opts.publicPem);
  cert.serialNumber = randomSerial();
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + opts.days * 24 * 3600_000);
  cert.setSubject(opts.subject);
  const issuerKeyPem = opts.issuer === 'self' ? opts.selfKeyPem : opts.issuer.keyPem;
  if (!issuerKeyPem) throw new Error('a self-signed certificate needs its own private key');
  cert.setIssuer(opts.issuer === 'self' ? opts.subject : opts.issuer.subject);
  cert.setExtensions(opts.extensions);
  cert.sign(forge.pki.privateKeyFromPem(issuerKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

export function createControlPlanePki(extraServingIps: string[] = []): ControlPlanePki {
  const caKeys = rsaKeys();
  const caSubject = [{ name: 'commonName', value: 'engula-testenv-ca' }];
  const caCert = certificate({
    subject: caSubject,
    publicPem: caKeys.publicPem,
    issuer: 'self',
    selfKeyPem: caKeys.privatePem,
    days: 365,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const issuer = { subject: caSubject, keyPem: caKeys.privatePem };

  const servingKeys = rsaKeys();
  const servingCert = certificate({
    subject: [{ name: 'commonName', value: 'kube-apiserver' }],
    publicPem: servingKeys.publicPem,
    issuer,
    days: 365,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: 'kubernetes' },
          { type: 2, value: 'kubernetes.default' },
          { type: 2, value: 'kubernetes.default.svc' },
          { type: 2, value: 'kubernetes.default.svc.cluster.local' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '10.0.0.1' },
          ...extraServingIps.map((ip) => ({ type: 7, ip })),
        ],
      },
    ],
  });

  const adminKeys = rsaKeys();
  const adminCert = certificate({
    // system:masters is bound to cluster-admin by RBAC's bootstrap policy.
    subject: [
      { name: 'commonName', value: 'engula-testenv-admin' },
      { name: 'organizationName', value: 'system:masters' },
    ],
    publicPem: adminKeys.publicPem,
    issuer,
    days: 365,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });

  const saKeys = rsaKeys();
  return {
    ca: { certPem: caCert, keyPem: caKeys.privatePem },
    serving: { certPem: servingCert, keyPem: servingKeys.privatePem },
    admin: { certPem: adminCert, keyPem: adminKeys.privatePem },
    serviceAccountKeyPem: saKeys.privatePem,
    serviceAccountPubPem: saKeys.publicPem,
  };
}

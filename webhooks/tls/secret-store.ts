// The webhook's CA and serving certificate, kept in one Secret so that a restart and every replica
// of the operator serve certificates from the same CA. Writes carry the resourceVersion they read:
// when two replicas renew at once, one write wins and the other adopts it. They go through the
// runtime's Client: a create, or a merge patch that names the version read (409 when it moved on).
import { ApiError, coreResources, type Client, type KubeObject } from '../../runtime/index.ts';
import { WEBHOOK_LABELS } from '../defaults.ts';

export interface StoredCertificates {
  caCertPem: string;
  caKeyPem: string;
  /** Every CA clients should trust: the current one, then older ones not yet expired. */
  caBundlePem: string;
  certPem: string;
  keyPem: string;
}

export interface Versioned<T> {
  value: T;
  /** Opaque version to pass back to write(); undefined when nothing is stored. */
  version: string | undefined;
}

export type CertificateWrite = 'written' | 'conflict';

export interface CertificateStore {
  /** What is stored (value undefined when there is nothing, or it is incomplete). */
  read(): Promise<Versioned<StoredCertificates | undefined>>;
  /** Writes if the stored version is still `version` (undefined: only if nothing exists yet). */
  write(value: StoredCertificates, version: string | undefined): Promise<CertificateWrite>;
}

const KEYS = { caCert: 'ca.crt', caKey: 'ca.key', caBundle: 'ca-bundle.crt', cert: 'tls.crt', key: 'tls.key' } as const;

function decode(data: Record<string, string> | undefined, key: string): string | undefined {
  const b64 = data?.[key];
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8');
}

function encode(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

/** Every call the store makes has this deadline; the caller retries with backoff. */
export const SECRET_REQUEST_TIMEOUT_MS = 10_000;

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

export function secretCertificateStore(client: Client, namespace: string, name: string, opts: { timeoutMs?: number } = {}): CertificateStore {
  const timeoutMs = opts.timeoutMs ?? SECRET_REQUEST_TIMEOUT_MS;
  const secrets = coreResources.secrets;
  const toData = (v: StoredCertificates): Record<string, string> => ({
    [KEYS.caCert]: encode(v.caCertPem),
    [KEYS.caKey]: encode(v.caKeyPem),
    [KEYS.caBundle]: encode(v.caBundlePem),
    [KEYS.cert]: encode(v.certPem),
    [KEYS.key]: encode(v.keyPem),
  });
  return {
    async read() {
      const secret = (await client.get(secrets, namespace, name, AbortSignal.timeout(timeoutMs))) as SecretObject | undefined;
      if (secret === undefined) return { value: undefined, version: undefined };
      const d = secret.data;
      const caCertPem = decode(d, KEYS.caCert);
      const caKeyPem = decode(d, KEYS.caKey);
      const certPem = decode(d, KEYS.cert);
      const keyPem = decode(d, KEYS.key);
      const version = secret.metadata.resourceVersion;
      if (!caCertPem || !caKeyPem || !certPem || !keyPem) return { value: undefined, version };
      return { value: { caCertPem, caKeyPem, caBundlePem: decode(d, KEYS.caBundle) || caCertPem, certPem, keyPem }, version };
    },
    async write(value, version) {
      const labels = { ...WEBHOOK_LABELS };
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        if (version === undefined) {
          await client.create(secrets, { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name, namespace, labels }, data: toData(value) }, signal);
        } else {
          await client.patch(secrets, namespace, name, { type: 'merge', body: { metadata: { resourceVersion: version, labels }, data: toData(value) } }, { signal });
        }
        return 'written';
      } catch (err) {
        // 409: Conflict (a stale resourceVersion) or AlreadyExists (another replica created it first).
        if (err instanceof ApiError && err.statusCode === 409) return 'conflict';
        throw err;
      }
    },
  };
}

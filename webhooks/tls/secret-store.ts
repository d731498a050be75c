// The webhook's CA and serving certificate, kept in one Secret so that a restart and every replica
// of the operator serve certificates from the same CA. Writes carry the resourceVersion they read:
// when two replicas renew at once, one write wins and the other adopts it.
import { ApiError, coreResources, isNotFound, resourcePath, type RestClient } from '../../runtime/index.ts';

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

export type WriteResult = 'written' | 'conflict';

export interface CertificateStore {
  /** What is stored (value undefined when there is nothing, or it is incomplete). */
  read(): Promise<Versioned<StoredCertificates | undefined>>;
  /** Writes if the stored version is still `version` (undefined: only if nothing exists yet). */
  write(value: StoredCertificates, version: string | undefined): Promise<WriteResult>;
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

interface SecretObject {
  metadata?: { resourceVersion?: string };
  data?: Record<string, string>;
}

export function secretCertificateStore(rest: RestClient, namespace: string, name: string, opts: { timeoutMs?: number } = {}): CertificateStore {
  const timeoutMs = opts.timeoutMs ?? SECRET_REQUEST_TIMEOUT_MS;
  const path = resourcePath(coreResources.secrets, namespace, name);
  const toData = (v: StoredCertificates): Record<string, string> => ({
    [KEYS.caCert]: encode(v.caCertPem),
    [KEYS.caKey]: encode(v.caKeyPem),
    [KEYS.caBundle]: encode(v.caBundlePem),
    [KEYS.cert]: encode(v.certPem),
    [KEYS.key]: encode(v.keyPem),
  });
  return {
    async read() {
      let secret: SecretObject;
      try {
        secret = await rest.request<SecretObject>('GET', path, { timeoutMs });
      } catch (err) {
        if (isNotFound(err)) return { value: undefined, version: undefined };
        throw err;
      }
      const d = secret.data;
      const caCertPem = decode(d, KEYS.caCert);
      const caKeyPem = decode(d, KEYS.caKey);
      const certPem = decode(d, KEYS.cert);
      const keyPem = decode(d, KEYS.key);
      const version = secret.metadata?.resourceVersion;
      if (!caCertPem || !caKeyPem || !certPem || !keyPem) return { value: undefined, version };
      return { value: { caCertPem, caKeyPem, caBundlePem: decode(d, KEYS.caBundle) || caCertPem, certPem, keyPem }, version };
    },
    async write(value, version) {
      const body = {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: {
          name,
          namespace,
          ...(version === undefined ? {} : { resourceVersion: version }),
          labels: { 'app.kubernetes.io/name': 'engula-operator', 'app.kubernetes.io/component': 'webhook' },
        },
        data: toData(value),
      };
      try {
        if (version === undefined) await rest.request('POST', resourcePath(coreResources.secrets, namespace), { body, timeoutMs });
        else await rest.request('PUT', path, { body, timeoutMs });
        return 'written';
      } catch (err) {
        // 409: Conflict (a stale resourceVersion) or AlreadyExists (another replica created it first).
        if (err instanceof ApiError && err.statusCode === 409) return 'conflict';
        throw err;
      }
    },
  };
}

/** A store in memory, for unit tests: the same versioning as the Secret. */
export function memoryCertificateStore(): CertificateStore & { writes: number } {
  let stored: StoredCertificates | undefined;
  let version = 0;
  const store = {
    writes: 0,
    async read(): Promise<Versioned<StoredCertificates | undefined>> {
      return { value: stored && { ...stored }, version: stored ? String(version) : undefined };
    },
    async write(value: StoredCertificates, v: string | undefined): Promise<WriteResult> {
      if ((v === undefined) !== (stored === undefined) || (v !== undefined && v !== String(version))) return 'conflict';
      stored = { ...value };
      version++;
      store.writes++;
      return 'written';
    },
  };
  return store;
}

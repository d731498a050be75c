// The certificate store in memory, for unit tests of the rotation: the same versioning as the Secret.
import type { CertificateStore, CertificateWrite, StoredCertificates, Versioned } from '../../webhooks/tls/secret-store.ts';

export function memoryCertificateStore(): CertificateStore & { writes: number } {
  let stored: StoredCertificates | undefined;
  let version = 0;
  const store = {
    writes: 0,
    async read(): Promise<Versioned<StoredCertificates | undefined>> {
      return { value: stored && { ...stored }, version: stored ? String(version) : undefined };
    },
    async write(value: StoredCertificates, v: string | undefined): Promise<CertificateWrite> {
      if ((v === undefined) !== (stored === undefined) || (v !== undefined && v !== String(version))) return 'conflict';
      stored = { ...value };
      version++;
      store.writes++;
      return 'written';
    },
  };
  return store;
}

// CA bundles as values: one canonical spelling, so two replicas that know the same CAs write the
// same bytes (a bundle that differs only in order would be "changed" by each replica in turn), and
// the questions the rotation asks of a bundle. Pure functions, no I/O.
import { X509Certificate } from 'node:crypto';
import { splitPemBundle } from './authority.ts';

interface Ca {
  pem: string;
  notBefore: number;
  notAfter: number;
  serial: string;
}

function parse(pem: string): Ca | undefined {
  try {
    const x = new X509Certificate(pem);
    return { pem, notBefore: Date.parse(x.validFrom), notAfter: Date.parse(x.validTo), serial: x.serialNumber };
  } catch {
    // An unreadable entry (a hand edit) trusts nothing: leave it out rather than fail the bundle.
    return undefined;
  }
}

/**
 * The canonical bundle of every CA in `bundles`: unreadable and expired entries dropped, each CA
 * once, newest first (by notBefore, then serial). The same set of CAs always gives the same text.
 */
export function canonicalBundle(bundles: Array<string | undefined>, now: number): string {
  const byPem = new Map<string, Ca>();
  for (const b of bundles) {
    for (const pem of splitPemBundle(b ?? '')) {
      const ca = parse(pem);
      if (ca !== undefined && ca.notAfter > now) byPem.set(pem, ca);
    }
  }
  const sorted = [...byPem.values()].sort((a, b) => b.notBefore - a.notBefore || (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0));
  return sorted.map((c) => c.pem).join('');
}

/** Whether `bundlePem` holds the CA `caPem` (compared as canonical PEM text). */
export function bundleHolds(bundlePem: string | undefined, caPem: string): boolean {
  const want = splitPemBundle(caPem)[0];
  return want !== undefined && splitPemBundle(bundlePem ?? '').includes(want);
}


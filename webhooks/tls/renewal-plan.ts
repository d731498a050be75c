// What the certificate loop should do next with what is stored, as a pure function, so every step
// of a CA rotation is decided in one place and tested without a cluster or a clock.
//
// A CA rotation takes three observed steps, each one a write of the shared Secret:
//   1. rotate-ca: a new CA signs from now on and joins the bundle beside the old one; the serving
//      certificate (signed by the old CA) is kept, so what is served stays trusted.
//   2. issue:     only once every webhook configuration was SEEN holding the new CA (`caPublished`)
//      is a serving certificate signed by it made and served. Until then: wait.
//   3. rebundle:  the old CA leaves the bundle once it has expired; no certificate can chain to it
//      then, since a certificate never outlives the CA that signed it.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { renewalProblem, servingCertificateProblem, splitPemBundle } from './authority.ts';
import { canonicalBundle } from './bundle.ts';
import type { StoredCertificates } from './secret-store.ts';

export type RenewalPlan =
  /** Nothing to do. */
  | { action: 'keep' }
  /** Nothing usable is stored: a new CA and a serving certificate at once (first start). */
  | { action: 'create'; reason: string }
  /** Step 1. `keepServing`: the stored serving certificate is still good and stays until step 2. */
  | { action: 'rotate-ca'; reason: string; keepServing: boolean }
  /** A new serving certificate from the stored CA. */
  | { action: 'issue'; reason: string }
  /** The bundle is rewritten (canonical, expired CAs dropped, the signing CA in it). */
  | { action: 'rebundle'; reason: string }
  /** Step 2 must wait until the new CA is in every webhook configuration. */
  | { action: 'wait'; reason: string };

export interface PlanInput {
  stored: StoredCertificates | undefined;
  now: number;
  dnsNames: string[];
  ipAddresses: string[];
  renewFraction: number;
  /** Whether the stored CA was seen in the caBundle of every webhook configuration. */
  caPublished: boolean;
}

function caProblem(s: StoredCertificates, now: number, renewFraction: number): string | undefined {
  try {
    const ca = new X509Certificate(s.caCertPem);
    if (!ca.ca) return 'the stored CA is not a CA certificate';
    if (!ca.checkPrivateKey(createPrivateKey(s.caKeyPem))) return 'the stored CA key does not match the CA';
    return renewalProblem(ca, now, renewFraction);
  } catch (err) {
    return `unreadable CA: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Whether `certPem` was signed by `caPem`. */
export function issuedBy(certPem: string, caPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}

/** A certificate that may still be served: readable, matching key, SANs, trusted by the bundle, not expired. */
function stillServable(s: StoredCertificates, input: PlanInput): boolean {
  // A renewal fraction of 0 asks only "valid now?".
  return servingCertificateProblem(s, splitPemBundle(s.caBundlePem), { dnsNames: input.dnsNames, ipAddresses: input.ipAddresses, now: input.now, renewFraction: 0 }) === undefined;
}

export function planRenewal(input: PlanInput): RenewalPlan {
  const s = input.stored;
  if (s === undefined) return { action: 'create', reason: 'no certificates stored' };
  const ca = caProblem(s, input.now, input.renewFraction);
  if (ca !== undefined) return { action: 'rotate-ca', reason: `CA: ${ca}`, keepServing: stillServable(s, input) };
  const caPem = splitPemBundle(s.caCertPem)[0] ?? s.caCertPem;
  const bundle = canonicalBundle([caPem, s.caBundlePem], input.now);
  if (bundle !== s.caBundlePem) return { action: 'rebundle', reason: 'the CA bundle is not canonical (an expired CA, a missing current CA, or another order)' };
  const problem = servingCertificateProblem(s, [caPem], { dnsNames: input.dnsNames, ipAddresses: input.ipAddresses, now: input.now, renewFraction: input.renewFraction });
  if (problem === undefined) return { action: 'keep' };
  if (issuedBy(s.certPem, caPem)) return { action: 'issue', reason: `serving certificate: ${problem}` };
  // Signed by an older CA: step 2 of a rotation.
  if (input.caPublished) return { action: 'issue', reason: 'the new CA is in every webhook configuration' };
  if (!stillServable(s, input)) return { action: 'issue', reason: `serving certificate: ${problem}, and nothing better can be served until the new CA is published` };
  return { action: 'wait', reason: 'the new CA is not yet in every webhook configuration' };
}

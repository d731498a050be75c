// Certificates the operator makes and renews itself. Every replica runs this loop: it reads the
// shared store, decides what to do (renewal-plan.ts: keep, create, rotate the CA in steps, issue,
// rebundle, or wait), and writes back with the version it read; a replica that loses the write
// race reads again and adopts the winner's certificates.
//
// Serving certificates are renewed under the same CA once less than a third of their lifetime is
// left, so clients that trust the bundle never notice. A CA near its end is rotated in observed
// steps (see renewal-plan.ts): no certificate signed by a new CA is served before every webhook
// configuration was seen holding that CA. A failed pass is logged, counted, and retried with
// exponential backoff and jitter (capped), never in a tight loop.
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { errorMessage } from '../../runtime/errors.ts';
import { Backoff, type BackoffOptions } from '../../runtime/index.ts';
import { createCertificateAuthority, isExpired, issueServingCertificate, renewalTime, splitPemBundle, type PemPair } from './authority.ts';
import { canonicalBundle } from './bundle.ts';
import { CoalescedPasses } from './passes.ts';
import { issuedBy, planRenewal, type RenewalPlan } from './renewal-plan.ts';
import type { CertificateStore, StoredCertificates } from './secret-store.ts';
import { Listeners, type CertificateSource, type MaterialListener, type ServingMaterial } from './source.ts';

const DAY = 24 * 3600 * 1000;

export interface ManagedCertificateOptions {
  store: CertificateStore;
  /** SANs of the serving certificate: the Service's DNS names, and for local runs localhost. */
  dnsNames: string[];
  /** IP SANs: 127.0.0.1 for local runs (the apiserver checks IP hosts against IP SANs only). */
  ipAddresses: string[];
  caValidityMs?: number;
  certValidityMs?: number;
  /** Renew when less than this part of a certificate's lifetime is left. Default 1/3. */
  renewFraction?: number;
  /** How often the store is read again besides the watch on it. Default 1 minute. */
  resyncMs?: number;
  /** While a new CA waits to be published, how often to look again besides the watch. Default 2 s. */
  publicationPollMs?: number;
  /**
   * Whether every webhook configuration was seen holding this CA (step 2 of a rotation waits for
   * it). Default: always (no configurations to wait for, as in unit tests).
   */
  published?: (caPem: string) => boolean;
  /** Backoff after a failed pass. Default 1 s doubling to 5 min, jitter 1. */
  backoff?: BackoffOptions;
  metrics?: Registry;
  log: Logger;
  now?: () => number;
}

export const DEFAULT_CA_VALIDITY_MS = 10 * 365 * DAY;
export const DEFAULT_CERT_VALIDITY_MS = 365 * DAY;
export const DEFAULT_RENEWAL_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 5 * 60_000, factor: 2, jitter: 1 };

const MIN_CHECK_INTERVAL_MS = 500;
const RENEWALS = 'webhook_certificate_renewals_total';
const FAILURES = 'webhook_certificate_renewal_failures_total';

type ResolvedOptions = Required<Omit<ManagedCertificateOptions, 'log' | 'store' | 'metrics'>> & Pick<ManagedCertificateOptions, 'log' | 'store' | 'metrics'>;

export class ManagedCertificates implements CertificateSource {
  readonly #opts: ResolvedOptions;
  readonly #listeners = new Listeners();
  readonly #backoff: Backoff;
  readonly #renewals: Counter<string> | undefined;
  readonly #failuresMetric: Counter<string> | undefined;
  #stored: StoredCertificates | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #passes = new CoalescedPasses(() => this.#reconcilePass());
  /** Passes that failed, for the log line: the metric is per registry, this per replica. */
  #failures = 0;
  #awaitingPublication = false;
  #loaded: { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void };

  constructor(opts: ManagedCertificateOptions) {
    this.#opts = {
      caValidityMs: DEFAULT_CA_VALIDITY_MS,
      certValidityMs: DEFAULT_CERT_VALIDITY_MS,
      renewFraction: 1 / 3,
      resyncMs: 60_000,
      publicationPollMs: 2_000,
      published: () => true,
      backoff: DEFAULT_RENEWAL_BACKOFF,
      now: Date.now,
      ...opts,
    };
    this.#backoff = new Backoff(this.#opts.backoff);
    const registry = opts.metrics;
    this.#renewals = registry && ((registry.getSingleMetric(RENEWALS) as Counter<string> | undefined) ??
      new Counter({ name: RENEWALS, help: 'Webhook certificate writes by this replica, by step (create, rotate-ca, issue, rebundle)', labelNames: ['action'], registers: [registry] }));
    this.#failuresMetric = registry && ((registry.getSingleMetric(FAILURES) as Counter<string> | undefined) ??
      new Counter({ name: FAILURES, help: 'Webhook certificate passes that failed (retried with backoff)', registers: [registry] }));
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined);
    this.#loaded = { promise, resolve, reject };
  }

  current(): ServingMaterial {
    const s = this.#stored;
    if (s === undefined) throw new Error('certificates are not loaded yet: call start() first');
    return { certPem: s.certPem, keyPem: s.keyPem, caBundlePem: s.caBundlePem };
  }

  get loaded(): boolean {
    return this.#stored !== undefined;
  }

  /** True while a new CA's serving certificate waits for the CA to reach every configuration. */
  get awaitingPublication(): boolean {
    return this.#awaitingPublication;
  }

  onChange(listener: MaterialListener): void {
    this.#listeners.add(listener);
  }

  /** Resolves once certificates are loaded; failed passes are retried with backoff meanwhile. */
  async start(): Promise<void> {
    this.reconcile().catch(() => undefined);
    await this.#loaded.promise;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#loaded.reject(new Error('stopped before the webhook certificates were loaded'));
  }

  /**
   * Reads the store and does what the plan says, until there is nothing left to do; calls made
   * while a pass runs coalesce into one more pass. Rejects when the pass failed (already logged,
   * counted and rescheduled with backoff).
   */
  reconcile(): Promise<void> {
    return this.#passes.run();
  }

  async #reconcilePass(): Promise<boolean> {
    try {
      await this.#pass();
    } catch (err) {
      this.#failures++;
      this.#failuresMetric?.inc();
      const wait = this.#backoff.next(this.#opts.now());
      this.#opts.log.error({ err: errorMessage(err), failures: this.#failures, retryInMs: Math.round(wait) }, 'webhook certificate pass failed; retrying with backoff');
      this.#schedule(wait);
      throw err;
    }
    // Not stopped by stop(): that only ends the timer; a pass asked for explicitly still runs.
    this.#backoff.reset();
    this.#schedule(this.#nextCheckIn());
    return true;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    // setTimeout takes at most 2^31-1 ms; the loop comes back anyway before a renewal is due.
    this.#timer = setTimeout(() => void this.reconcile().catch(() => undefined), Math.min(Math.max(delayMs, 50), 2 ** 31 - 1));
    this.#timer.unref();
  }

  /** Until the next renewal or CA expiry is due, the resync, or the publication poll. */
  #nextCheckIn(): number {
    const now = this.#opts.now();
    let next = now + (this.#awaitingPublication ? Math.min(this.#opts.resyncMs, this.#opts.publicationPollMs) : this.#opts.resyncMs);
    const s = this.#stored;
    if (s) {
      // While waiting for publication the old serving certificate may be due; the poll covers it.
      if (!this.#awaitingPublication) next = Math.min(next, renewalTime(s.certPem, this.#opts.renewFraction));
      next = Math.min(next, renewalTime(s.caCertPem, this.#opts.renewFraction));
      for (const ca of splitPemBundle(s.caBundlePem)) next = Math.min(next, renewalTime(ca, 0) + 1);
    }
    // A floor, so a certificate whose due time is already past can never make a tight loop.
    return Math.max(next - now, MIN_CHECK_INTERVAL_MS);
  }

  async #pass(): Promise<void> {
    let conflicts = 0;
    // Each write is followed by a fresh read and a new plan: create → keep; rotate-ca → wait → issue.
    for (let step = 0; step < 8; step++) {
      const { value, version } = await this.#opts.store.read();
      const plan = planRenewal({
        stored: value,
        now: this.#opts.now(),
        dnsNames: this.#opts.dnsNames,
        ipAddresses: this.#opts.ipAddresses,
        renewFraction: this.#opts.renewFraction,
        caPublished: value !== undefined && this.#opts.published(value.caCertPem),
      });
      if (plan.action === 'keep' || plan.action === 'wait') {
        if (plan.action === 'wait' && !this.#awaitingPublication) this.#opts.log.info({ reason: plan.reason }, 'new webhook CA stored; its serving certificate waits until every webhook configuration holds it');
        this.#awaitingPublication = plan.action === 'wait';
        this.#adopt(value!);
        return;
      }
      const next = await this.#carryOut(plan, value);
      if ((await this.#opts.store.write(next, version)) === 'conflict') {
        // Another replica wrote first: read again and go by what it wrote.
        if (++conflicts >= 5) throw new Error('could not store renewed webhook certificates: the Secret kept changing');
        continue;
      }
      this.#count(plan);
      this.#opts.log.info({ action: plan.action, reason: plan.reason }, 'webhook certificates written');
      this.#adopt(next);
    }
    throw new Error('the webhook certificates did not settle after 8 steps');
  }

  #count(plan: Exclude<RenewalPlan, { action: 'keep' | 'wait' }>): void {
    this.#renewals?.inc({ action: plan.action });
  }

  async #carryOut(plan: Exclude<RenewalPlan, { action: 'keep' | 'wait' }>, old: StoredCertificates | undefined): Promise<StoredCertificates> {
    const now = this.#opts.now();
    const issue = (ca: PemPair): Promise<PemPair> =>
      issueServingCertificate(ca, { dnsNames: this.#opts.dnsNames, ipAddresses: this.#opts.ipAddresses, validityMs: this.#opts.certValidityMs, now });
    const newCa = (): Promise<PemPair> => createCertificateAuthority({ commonName: 'engula-operator-webhook-ca', validityMs: this.#opts.caValidityMs, now });
    const stored = (ca: PemPair, serving: PemPair, bundle: string): StoredCertificates => ({
      caCertPem: ca.certPem, caKeyPem: ca.keyPem, caBundlePem: canonicalBundle([ca.certPem, bundle], now), certPem: serving.certPem, keyPem: serving.keyPem,
    });
    if (plan.action === 'create' || old === undefined) {
      const ca = await newCa();
      return stored(ca, await issue(ca), '');
    }
    const ca = { certPem: old.caCertPem, keyPem: old.caKeyPem };
    const serving = { certPem: old.certPem, keyPem: old.keyPem };
    switch (plan.action) {
      case 'rotate-ca': {
        const next = await newCa();
        return stored(next, plan.keepServing ? serving : await issue(next), old.caBundlePem);
      }
      case 'issue':
        return stored(ca, await issue(ca), old.caBundlePem);
      case 'rebundle':
        return stored(ca, serving, old.caBundlePem);
    }
  }

  /**
   * What this replica may serve of what is stored: another replica's certificate from a new CA is
   * taken only once this replica, too, has seen that CA in every configuration; until then (and
   * while the certificate it serves is still valid) it keeps serving that one with the new bundle.
   */
  #servable(s: StoredCertificates): StoredCertificates {
    const prev = this.#stored;
    if (prev === undefined || prev.certPem === s.certPem) return s;
    const signer = splitPemBundle(s.caBundlePem).find((ca) => issuedBy(s.certPem, ca));
    if (signer === undefined || this.#opts.published(signer) || isExpired(prev.certPem, this.#opts.now())) return s;
    this.#awaitingPublication = true;
    return { ...s, certPem: prev.certPem, keyPem: prev.keyPem };
  }

  #adopt(stored: StoredCertificates): void {
    const s = this.#servable(stored);
    const prev = this.#stored;
    if (prev && prev.certPem === s.certPem && prev.keyPem === s.keyPem && prev.caBundlePem === s.caBundlePem) return;
    this.#stored = s;
    if (!prev) this.#loaded.resolve();
    else this.#listeners.emit(this.current(), (err) => this.#opts.log.error({ err }, 'applying new webhook certificates failed'));
  }
}

// Certificates the operator makes and renews itself. Every replica runs this loop: it reads the
// shared store, uses what is there when it is sound, and otherwise renews and writes it back; a
// replica that loses the write race adopts the winner's certificates on its next read.
//
// Renewal happens once a certificate has less than a third of its lifetime left. The serving
// certificate is renewed under the same CA, so clients that trust the CA bundle never notice. A CA
// near its end is replaced by a new one, and the old CA stays in the bundle until it expires, so
// certificates it signed stay trusted while the bundle reaches the webhook configurations.
import type { Logger } from 'pino';
import {
  createCertificateAuthority, isExpired, issueServingCertificate, renewalProblem, renewalTime, servingCertificateProblem, splitPemBundle,
} from './authority.ts';
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
  /** How often the store is read again (to adopt another replica's renewal). Default 1 minute. */
  resyncMs?: number;
  log: Logger;
  now?: () => number;
}

export const DEFAULT_CA_VALIDITY_MS = 10 * 365 * DAY;
export const DEFAULT_CERT_VALIDITY_MS = 365 * DAY;

export class ManagedCertificates implements CertificateSource {
  readonly #opts: Required<Omit<ManagedCertificateOptions, 'log' | 'store'>> & Pick<ManagedCertificateOptions, 'log' | 'store'>;
  readonly #listeners = new Listeners();
  #stored: StoredCertificates | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #running: Promise<void> | undefined;

  constructor(opts: ManagedCertificateOptions) {
    this.#opts = {
      caValidityMs: DEFAULT_CA_VALIDITY_MS,
      certValidityMs: DEFAULT_CERT_VALIDITY_MS,
      renewFraction: 1 / 3,
      resyncMs: 60_000,
      now: Date.now,
      ...opts,
    };
  }

  current(): ServingMaterial {
    const s = this.#stored;
    if (s === undefined) throw new Error('certificates are not loaded yet: call start() first');
    return { certPem: s.certPem, keyPem: s.keyPem, caBundlePem: s.caBundlePem };
  }

  onChange(listener: MaterialListener): void {
    this.#listeners.add(listener);
  }

  async start(): Promise<void> {
    await this.reconcile();
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  /** Reads the store and renews what needs renewing; one run at a time. */
  reconcile(): Promise<void> {
    this.#running ??= this.#reconcile().finally(() => (this.#running = undefined));
    return this.#running;
  }

  #schedule(): void {
    if (this.#stopped) return;
    const now = this.#opts.now();
    let next = now + this.#opts.resyncMs;
    if (this.#stored) next = Math.min(next, renewalTime(this.#stored.certPem, this.#opts.renewFraction), renewalTime(this.#stored.caCertPem, this.#opts.renewFraction));
    // setTimeout takes at most 2^31-1 ms; the loop comes back anyway before a renewal is due.
    const delay = Math.min(Math.max(next - now, 50), 2 ** 31 - 1);
    this.#timer = setTimeout(() => {
      this.reconcile()
        .catch((err: unknown) => this.#opts.log.error({ err }, 'webhook certificate check failed; retrying'))
        .finally(() => this.#schedule());
    }, delay);
    this.#timer.unref();
  }

  async #reconcile(): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const { value, version } = await this.#opts.store.read();
      const problem = value === undefined ? 'no certificates stored' : this.#problem(value);
      if (problem === undefined) {
        this.#adopt(value!);
        return;
      }
      const renewed = await this.#renew(value, problem);
      const result = await this.#opts.store.write(renewed, version);
      if (result === 'written') {
        this.#opts.log.info({ reason: problem }, 'webhook certificates renewed');
        this.#adopt(renewed);
        return;
      }
      // Another replica wrote first: read again and use theirs if it is sound.
    }
    throw new Error('could not store renewed webhook certificates: the Secret kept changing');
  }

  #problem(s: StoredCertificates): string | undefined {
    const now = this.#opts.now();
    const caProblem = renewalProblem(s.caCertPem, now, this.#opts.renewFraction);
    if (caProblem) return `CA ${caProblem}`;
    const trusted = splitPemBundle(s.caBundlePem);
    if (!trusted.includes(splitPemBundle(s.caCertPem)[0] ?? '')) return 'the CA bundle lacks the current CA';
    const certProblem = servingCertificateProblem({ certPem: s.certPem, keyPem: s.keyPem }, trusted, {
      dnsNames: this.#opts.dnsNames,
      ipAddresses: this.#opts.ipAddresses,
      now,
      renewFraction: this.#opts.renewFraction,
    });
    return certProblem && `serving certificate: ${certProblem}`;
  }

  async #renew(old: StoredCertificates | undefined, problem: string): Promise<StoredCertificates> {
    const now = this.#opts.now();
    let ca = old && { certPem: old.caCertPem, keyPem: old.caKeyPem };
    let bundle = old ? splitPemBundle(old.caBundlePem).filter((pem) => !isExpired(pem, now)) : [];
    if (ca === undefined || renewalProblem(ca.certPem, now, this.#opts.renewFraction) !== undefined || problem.startsWith('unreadable')) {
      ca = await createCertificateAuthority({ commonName: 'engula-operator-webhook-ca', validityMs: this.#opts.caValidityMs, now });
    }
    const caPem = splitPemBundle(ca.certPem)[0] ?? ca.certPem;
    bundle = [caPem, ...bundle.filter((pem) => pem !== caPem)];
    const serving = await issueServingCertificate(ca, {
      dnsNames: this.#opts.dnsNames,
      ipAddresses: this.#opts.ipAddresses,
      validityMs: this.#opts.certValidityMs,
      now,
    });
    return { caCertPem: ca.certPem, caKeyPem: ca.keyPem, caBundlePem: bundle.join(''), certPem: serving.certPem, keyPem: serving.keyPem };
  }

  #adopt(s: StoredCertificates): void {
    const prev = this.#stored;
    if (prev && prev.certPem === s.certPem && prev.keyPem === s.keyPem && prev.caBundlePem === s.caBundlePem) return;
    this.#stored = s;
    if (prev) this.#listeners.emit(this.current(), (err) => this.#opts.log.error({ err }, 'applying new webhook certificates failed'));
  }
}

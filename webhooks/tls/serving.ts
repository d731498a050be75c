// The webhook server's TLS as one runnable: where its certificate comes from (a folder cert-manager
// fills, or a CA and serving pair the operator makes and keeps in a Secret) and, for the latter, the
// watch that adopts another replica's renewal and the caBundle kept in the webhook configurations.
// They depend on each other (a new CA is served only once published; the bundle is read from the
// Secret), so they start and stop together here rather than side by side in the composition root.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { coreResources, Informer, type Client, type InformerTuning } from '../../runtime/index.ts';
import { serviceDnsNames } from '../configurations.ts';
import { CaBundleInjector } from './ca-bundle.ts';
import { DirectoryCertificates } from './cert-dir.ts';
import type { ConfigurationWatch } from './configuration-watch.ts';
import { ManagedCertificates } from './rotation.ts';
import { secretCertificateStore, type CertificateStore } from './secret-store.ts';
import type { CertificateSource } from './source.ts';

export interface ServingTlsOptions {
  client: Client;
  /** The operator's namespace: where the Secret lives and the Service is. */
  namespace: string;
  certSecret: string;
  serviceName: string;
  /** A folder with tls.crt/tls.key (cert-manager); when set, no certificates are made. */
  certDir?: string;
  /** The configurations as the API server holds them: where the bundle is published. */
  configurations: ConfigurationWatch;
  log: Logger;
  tuning: InformerTuning;
  metrics?: Registry;
  certValidityMs?: number;
  caValidityMs?: number;
  resyncMs?: number;
}

export class ServingTls {
  readonly certificates: CertificateSource;
  /** Keeps the configurations' caBundle current; undefined with a folder, where cert-manager's cainjector owns it. */
  readonly injector: CaBundleInjector | undefined;
  /** The Secret the managed certificates are kept in (read for a local registration's bundle). */
  readonly store: CertificateStore;
  readonly #secretWatch: Informer | undefined;

  constructor(o: ServingTlsOptions) {
    this.store = secretCertificateStore(o.client, o.namespace, o.certSecret);
    if (o.certDir) {
      this.certificates = new DirectoryCertificates({ dir: o.certDir, log: o.log, ...(o.resyncMs ? { pollMs: o.resyncMs } : {}) });
      this.injector = undefined;
      this.#secretWatch = undefined;
      return;
    }
    const store = this.store;
    let injector: CaBundleInjector | undefined;
    const managed = new ManagedCertificates({
      store,
      dnsNames: [...serviceDnsNames({ namespace: o.namespace, name: o.serviceName }), 'localhost'],
      ipAddresses: ['127.0.0.1'],
      log: o.log,
      published: (caPem) => injector?.published(caPem) ?? false,
      ...(o.metrics ? { metrics: o.metrics } : {}),
      ...(o.certValidityMs ? { certValidityMs: o.certValidityMs } : {}),
      ...(o.caValidityMs ? { caValidityMs: o.caValidityMs } : {}),
      ...(o.resyncMs ? { resyncMs: o.resyncMs, publicationPollMs: Math.min(o.resyncMs, 2_000) } : {}),
    });
    injector = new CaBundleInjector({
      client: o.client,
      watch: o.configurations,
      // The Secret is the one source of the bundle: read it fresh before any write.
      readBundle: async () => (await store.read()).value?.caBundlePem,
      knownBundle: () => (managed.loaded ? managed.current().caBundlePem : undefined),
      log: o.log,
      ...(o.metrics ? { metrics: o.metrics } : {}),
      ...(o.resyncMs ? { resyncMs: o.resyncMs } : {}),
    });
    // Another replica's renewal is adopted as soon as the Secret changes, not a resync later.
    const secretWatch = new Informer({ rest: o.client.rest, ref: coreResources.secrets, namespace: o.namespace, fieldSelector: `metadata.name=${o.certSecret}`, logger: o.log, ...o.tuning });
    const again = (): void => void managed.reconcile().catch(() => undefined);
    secretWatch.addEventHandler({ onAdd: again, onUpdate: again, onDelete: again });
    // A CA waiting to be published is served as soon as the configurations are seen holding it.
    o.configurations.onChange(() => {
      if (managed.awaitingPublication) again();
    });
    this.certificates = managed;
    this.injector = injector;
    this.#secretWatch = secretWatch;
  }

  /** Loads the first certificate (rejects when `signal` aborts meanwhile), then follows the Secret. */
  async start(signal?: AbortSignal): Promise<void> {
    const onAbort = (): void => this.certificates.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      signal?.throwIfAborted();
      await this.certificates.start();
    } catch (err) {
      await this.#secretWatch?.stop();
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    this.#secretWatch?.start();
  }

  /**
   * Starts keeping the configurations' caBundle current. Apart from start(): a local run first
   * registers its configurations with the bundle from the Secret, and only then is the injector
   * the one that moves it.
   */
  publish(): void {
    const inj = this.injector;
    if (!inj) return;
    this.certificates.onChange(() => void inj.sync());
    inj.start();
  }

  async stop(): Promise<void> {
    this.injector?.stop();
    this.certificates.stop();
    await this.#secretWatch?.stop();
  }
}

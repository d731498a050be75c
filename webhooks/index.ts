// The webhook server as the operator process runs it: certificates (made and kept in a Secret, or
// read from a cert-manager folder), the HTTPS server on every replica, the caBundle kept in the
// webhook configurations, and for local runs the configurations registered by URL. Every call to
// the apiserver goes through the runtime: its Client (every replica's view, with no lease gate)
// and its informers (the watch watchdog, rest_client_requests_total), as the controllers' calls do.
import type { AddressInfo } from 'node:net';
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { applyDefaults, validate } from '../api/v1alpha1/index.ts';
import { Client, coreResources, Informer, type InformerTuning, type RestClient } from '../runtime/index.ts';
import type { KindSchemas } from './admission/handlers.ts';
import { apiObjectReader, cachedObjectReader, type ObjectCache, type ObjectReader } from './admission/state.ts';
import { scalingApiOptions, type ScalingSettings } from './scaling/index.ts';
import { mutatingWebhookConfiguration, serviceDnsNames, validatingWebhookConfiguration, type WebhookConfigurationOptions } from './configurations.ts';
import { checkServedCertificateTrusted } from './readiness.ts';
import { registerConfigurations, unregisterConfigurations } from './registration.ts';
import { buildWebhookServer, DEFAULT_MAX_CONNECTIONS, type WebhookServer } from './server.ts';
import { canonicalBundle } from './tls/bundle.ts';
import { CaBundleInjector } from './tls/ca-bundle.ts';
import { DirectoryCertificates } from './tls/cert-dir.ts';
import { ConfigurationWatch } from './tls/configuration-watch.ts';
import { ManagedCertificates } from './tls/rotation.ts';
import { secretCertificateStore } from './tls/secret-store.ts';
import type { CertificateSource } from './tls/source.ts';

export const apiSchemas: KindSchemas = { validate, applyDefaults };

/** Flags of the operator that concern the webhook server, with their defaults. */
export const WEBHOOK_DEFAULTS = {
  port: 9443,
  host: '0.0.0.0',
  /** Per component; 100 pods of one component is far past any Engula deployment we know of. */
  maxReplicas: 100,
  certSecret: 'engula-operator-webhook-cert',
  serviceName: 'engula-operator-webhook',
  configurationName: 'engula-operator',
  maxConnections: DEFAULT_MAX_CONNECTIONS,
} as const;

export interface WebhookOptions {
  /** The manager's replicaClient (not the lease-gated one: every replica keeps its certificates). */
  client?: Client;
  /** Transitional, for bench/scaling.ts until it passes `client`: an ungated Client is made over it. */
  rest?: RestClient;
  /** Tuning of the informers on the Secret and the configurations (the manager's watchdog). */
  informerTuning?: InformerTuning;
  /** Aborting it while certificates are still being loaded makes startWebhooks reject. */
  signal?: AbortSignal;
  log: Logger;
  /** The operator's namespace: where the certificate Secret lives and the Service is. */
  namespace: string;
  port?: number;
  host?: string;
  maxReplicas?: number;
  /** A folder with tls.crt/tls.key (cert-manager); when set, no certificates are made. */
  certDir?: string;
  certSecret?: string;
  serviceName?: string;
  /** metadata.name of the Validating- and MutatingWebhookConfiguration. */
  configurationName?: string;
  /**
   * Local run: the certificate is for 127.0.0.1 and localhost, and the configurations are
   * created (or replaced) with url https://127.0.0.1:<port>/... Otherwise they come from the
   * manifests (by Service) and only their caBundle is kept current.
   */
  registerByUrl?: boolean;
  /** Only for registerByUrl: the base URL registered instead of our own (a balancer before replicas). */
  registerUrl?: string;
  /** Only for registerByUrl: limits the webhooks to matching namespaces (tests). */
  namespaceSelector?: k8s.V1LabelSelector;
  metrics?: Registry;
  /** Certificate lifetimes and how often the Secret and configurations are re-read (tests shorten them). */
  certValidityMs?: number;
  caValidityMs?: number;
  resyncMs?: number;
  /** Overrides the production reader (tests). */
  reader?: ObjectReader;
  /** The manager's informer cache: admission reads Clusters and children from it (refusals are confirmed by a GET). */
  cache?: ObjectCache;
  keepAliveTimeoutMs?: number;
  /** Open connections at most, admission and the scaling API together. */
  maxConnections?: number;
  /** The scaling API (on unless false). */
  scaling?: ScalingSettings | false;
}

export interface RunningWebhooks {
  server: WebhookServer;
  port: number;
  /** https://<host>:<port>, with 127.0.0.1 for a wildcard host. */
  baseUrl: string;
  certificates: CertificateSource;
  injector: CaBundleInjector | undefined;
  /** The configurations as the apiserver holds them. */
  configurations: ConfigurationWatch;
  /** Throws unless the served certificate is trusted by the caBundle the configurations hold now (a readyz check). */
  readiness(): Promise<void>;
  stop(): Promise<void>;
  /** Deletes the configurations registered by URL. */
  unregister(): Promise<void>;
}

export async function startWebhooks(opts: WebhookOptions): Promise<RunningWebhooks> {
  const o = { ...WEBHOOK_DEFAULTS, ...stripUndefined(opts) };
  const local = opts.registerByUrl === true;
  const log = opts.log.child({ component: 'webhook' });
  const client = opts.client ?? clientOver(opts.rest);
  const rest = client.rest;
  const name = o.configurationName;
  const tuning = opts.informerTuning ?? {};

  // Started first, so its caches are warm when the rotation asks whether a CA is published.
  const configurations = new ConfigurationWatch({ rest, name, logger: log, tuning });
  configurations.start();

  let certificates: CertificateSource;
  let managed: ManagedCertificates | undefined;
  let secretWatch: Informer | undefined;
  let injector: CaBundleInjector | undefined;
  const store = secretCertificateStore(client, opts.namespace, o.certSecret);
  if (o.certDir) {
    certificates = new DirectoryCertificates({ dir: o.certDir, log, ...(o.resyncMs ? { pollMs: o.resyncMs } : {}) });
  } else {
    const service = { namespace: opts.namespace, name: o.serviceName };
    managed = new ManagedCertificates({
      store,
      dnsNames: [...serviceDnsNames(service), 'localhost'],
      ipAddresses: ['127.0.0.1'],
      log,
      published: (caPem) => injector?.published(caPem) ?? false,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      ...(o.certValidityMs ? { certValidityMs: o.certValidityMs } : {}),
      ...(o.caValidityMs ? { caValidityMs: o.caValidityMs } : {}),
      ...(o.resyncMs ? { resyncMs: o.resyncMs, publicationPollMs: Math.min(o.resyncMs, 2_000) } : {}),
    });
    certificates = managed;
    injector = new CaBundleInjector({
      client,
      watch: configurations,
      // The Secret is the one source of the bundle: read it fresh before any write.
      readBundle: async () => (await store.read()).value?.caBundlePem,
      knownBundle: () => (managed!.loaded ? managed!.current().caBundlePem : undefined),
      log,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      ...(o.resyncMs ? { resyncMs: o.resyncMs } : {}),
    });
    // Another replica's renewal is adopted as soon as the Secret changes, not a resync later.
    secretWatch = new Informer({ rest, ref: coreResources.secrets, namespace: opts.namespace, fieldSelector: `metadata.name=${o.certSecret}`, logger: log, ...tuning });
    const m = managed;
    const again = (): void => void m.reconcile().catch(() => undefined);
    secretWatch.addEventHandler({ onAdd: again, onUpdate: again, onDelete: again });
    // A CA waiting to be published is served as soon as the configurations are seen holding it.
    configurations.onChange(() => {
      if (m.awaitingPublication) again();
    });
  }
  const stopWatches = async (): Promise<void> => {
    await Promise.all([configurations.stop(), secretWatch?.stop()]);
  };
  const onAbort = (): void => certificates.stop();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    opts.signal?.throwIfAborted();
    await certificates.start();
  } catch (err) {
    await stopWatches();
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  secretWatch?.start();

  // Bound once the port is known: the check handshakes with our own listener.
  let readiness: (() => Promise<void>) | undefined;
  const ready = (): Promise<void> => (readiness ? readiness() : Promise.reject(new Error('webhook server not listening yet')));
  const server = await buildWebhookServer({
    certificates,
    ready,
    logger: log,
    ...(opts.scaling === false ? {} : { scaling: scalingApiOptions(client, opts.scaling ?? {}, opts.metrics) }),
    admission: {
      schemas: apiSchemas,
      reader: opts.reader ?? (opts.cache ? cachedObjectReader(opts.cache, apiObjectReader(client)) : apiObjectReader(client)),
      maxReplicas: o.maxReplicas,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
    },
    ...(o.keepAliveTimeoutMs ? { keepAliveTimeoutMs: o.keepAliveTimeoutMs } : {}),
    maxConnections: o.maxConnections,
  });
  try {
    await server.listen({ port: o.port, host: o.host });
  } catch (err) {
    certificates.stop();
    await stopWatches();
    throw err;
  }
  const port = (server.server.address() as AddressInfo).port;
  const host = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  const baseUrl = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  readiness = () => checkServedCertificateTrusted({ host, port, webhooks: () => configurations.webhooks(), configurationName: name });

  if (local) {
    // A new configuration gets the bundle from the Secret; an existing one keeps its own (the injector moves it).
    const bundle = o.certDir ? certificates.current().caBundlePem : (await store.read()).value?.caBundlePem;
    const cfg: WebhookConfigurationOptions = {
      name,
      target: { url: opts.registerUrl ?? baseUrl },
      ...(bundle ? { caBundlePem: canonicalBundle([bundle], Number.NEGATIVE_INFINITY) } : {}),
      ...(opts.namespaceSelector ? { namespaceSelector: opts.namespaceSelector } : {}),
    };
    await registerConfigurations(client, validatingWebhookConfiguration(cfg), mutatingWebhookConfiguration(cfg));
    log.info({ url: opts.registerUrl ?? baseUrl }, 'webhooks registered by URL');
  }

  // With a cert-manager folder, cert-manager's cainjector owns the caBundle.
  if (injector) {
    const inj = injector;
    certificates.onChange(() => void inj.sync());
    inj.start();
  }
  log.info({ port, certificates: o.certDir ? `folder ${o.certDir}` : `Secret ${opts.namespace}/${o.certSecret}` }, 'webhook server listening');

  return {
    server,
    port,
    baseUrl,
    certificates,
    injector,
    configurations,
    readiness: ready,
    async stop() {
      injector?.stop();
      certificates.stop();
      await server.close();
      await stopWatches();
    },
    async unregister() {
      await unregisterConfigurations(client, name);
    },
  };
}

function clientOver(rest: RestClient | undefined): Client {
  if (rest === undefined) throw new Error('startWebhooks needs the manager\'s replicaClient');
  return new Client({ rest });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

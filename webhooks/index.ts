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
import type { Client, InformerTuning } from '../runtime/index.ts';
import type { KindSchemas } from './admission/handlers.ts';
import { apiObjectReader, cachedObjectReader, type ObjectCache, type ObjectReader } from './admission/state.ts';
import { scalingApiOptions, type ScalingSettings } from './scaling/index.ts';
import { mutatingWebhookConfiguration, validatingWebhookConfiguration, type WebhookConfigurationOptions } from './configurations.ts';
import { checkServedCertificateTrusted } from './readiness.ts';
import { registerConfigurations, unregisterConfigurations } from './registration.ts';
import { WEBHOOK_DEFAULTS } from './defaults.ts';
import { buildWebhookServer, type WebhookServer } from './server.ts';
import { canonicalBundle } from './tls/bundle.ts';
import { CaBundleInjector } from './tls/ca-bundle.ts';
import { ConfigurationWatch } from './tls/configuration-watch.ts';
import { ServingTls } from './tls/serving.ts';
import type { CertificateSource } from './tls/source.ts';

export const apiSchemas: KindSchemas = { validate, applyDefaults };

export { WEBHOOK_DEFAULTS };

export interface WebhookOptions {
  /** The manager's replicaClient (not the lease-gated one: every replica keeps its certificates). */
  client: Client;
  /** Tuning of the informers on the Secret and the configurations (the manager's watchdog). */
  informerTuning?: InformerTuning;
  /** Aborting it while certificates are still being loaded makes startWebhooks reject. */
  signal?: AbortSignal;
  log: Logger;
  /** The operator's namespace: where the certificate Secret lives and the Service is. */
  namespace: string;
  /** 0 picks a free one; the operator passes its --webhook-port (runtime/flags.ts has the default). */
  port: number;
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
  const client = opts.client;
  const rest = client.rest;
  const name = o.configurationName;
  const tuning = opts.informerTuning ?? {};

  // Started first, so its caches are warm when the rotation asks whether a CA is published.
  const configurations = new ConfigurationWatch({ rest, name, logger: log, tuning });
  configurations.start();

  const tls = new ServingTls({
    client,
    namespace: opts.namespace,
    certSecret: o.certSecret,
    serviceName: o.serviceName,
    ...(o.certDir ? { certDir: o.certDir } : {}),
    configurations,
    log,
    tuning,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(o.certValidityMs ? { certValidityMs: o.certValidityMs } : {}),
    ...(o.caValidityMs ? { caValidityMs: o.caValidityMs } : {}),
    ...(o.resyncMs ? { resyncMs: o.resyncMs } : {}),
  });
  const { certificates, injector } = tls;
  try {
    await tls.start(opts.signal);
  } catch (err) {
    await configurations.stop();
    throw err;
  }

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
    await tls.stop();
    await configurations.stop();
    throw err;
  }
  const port = (server.server.address() as AddressInfo).port;
  const host = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  const baseUrl = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  readiness = () => checkServedCertificateTrusted({ host, port, webhooks: () => configurations.webhooks(), configurationName: name });

  if (local) {
    // A new configuration gets the bundle from the Secret; an existing one keeps its own (the injector moves it).
    const bundle = o.certDir ? certificates.current().caBundlePem : (await tls.store.read()).value?.caBundlePem;
    const cfg: WebhookConfigurationOptions = {
      name,
      target: { url: opts.registerUrl ?? baseUrl },
      ...(bundle ? { caBundlePem: canonicalBundle([bundle], Number.NEGATIVE_INFINITY) } : {}),
      ...(opts.namespaceSelector ? { namespaceSelector: opts.namespaceSelector } : {}),
    };
    await registerConfigurations(client, validatingWebhookConfiguration(cfg), mutatingWebhookConfiguration(cfg));
    log.info({ url: opts.registerUrl ?? baseUrl }, 'webhooks registered by URL');
  }

  // With a cert-manager folder, cert-manager's cainjector owns the caBundle (publish does nothing).
  tls.publish();
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
      await tls.stop();
      await server.close();
      await configurations.stop();
    },
    async unregister() {
      await unregisterConfigurations(client, name);
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

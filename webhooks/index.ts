// The webhook server as the operator process runs it: certificates (made and kept in a Secret, or
// read from a cert-manager folder), the HTTPS server on every replica, the caBundle kept in the
// webhook configurations, and for local runs the configurations registered by URL.
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { applyDefaults, validate } from '../api/v1alpha1/index.ts';
import { RestClient } from '../runtime/rest.ts';
import type { KindSchemas } from './admission/handlers.ts';
import { apiObjectReader, type ObjectReader } from './admission/state.ts';
import { scalingApiOptions, type ScalingSettings } from './scaling/index.ts';
import { mutatingWebhookConfiguration, serviceDnsNames, validatingWebhookConfiguration, type WebhookConfigurationOptions } from './configurations.ts';
import { buildWebhookServer, type WebhookServer } from './server.ts';
import { CaBundleInjector } from './tls/ca-bundle.ts';
import { DirectoryCertificates } from './tls/cert-dir.ts';
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
} as const;

export interface WebhookOptions {
  kc: k8s.KubeConfig;
  /** The manager's REST client (its timeouts, metrics and records); one is made from kc if absent. */
  rest?: RestClient;
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
  keepAliveTimeoutMs?: number;
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
  stop(): Promise<void>;
  /** Deletes the configurations registered by URL. */
  unregister(): Promise<void>;
}

async function createOrReplace<T extends { metadata?: k8s.V1ObjectMeta }>(
  read: () => Promise<T>,
  create: () => Promise<unknown>,
  replace: (resourceVersion: string | undefined) => Promise<unknown>,
): Promise<void> {
  try {
    const existing = await read();
    await replace(existing.metadata?.resourceVersion);
  } catch (err) {
    if (err instanceof k8s.ApiException && err.code === 404) await create();
    else throw err;
  }
}

export async function startWebhooks(opts: WebhookOptions): Promise<RunningWebhooks> {
  const o = { ...WEBHOOK_DEFAULTS, ...stripUndefined(opts) };
  const local = opts.registerByUrl === true;
  const log = opts.log.child({ component: 'webhook' });

  let certificates: CertificateSource;
  if (o.certDir) {
    certificates = new DirectoryCertificates({ dir: o.certDir, log, ...(o.resyncMs ? { pollMs: o.resyncMs } : {}) });
  } else {
    const service = { namespace: opts.namespace, name: o.serviceName };
    certificates = new ManagedCertificates({
      store: secretCertificateStore(opts.kc, opts.namespace, o.certSecret),
      dnsNames: [...serviceDnsNames(service), 'localhost'],
      ipAddresses: ['127.0.0.1'],
      log,
      ...(o.certValidityMs ? { certValidityMs: o.certValidityMs } : {}),
      ...(o.caValidityMs ? { caValidityMs: o.caValidityMs } : {}),
      ...(o.resyncMs ? { resyncMs: o.resyncMs } : {}),
    });
  }
  await certificates.start();

  // Without the Manager's client (tests, tools), one of our own for admission reads and the scaling API, closed on stop.
  const ownRest = opts.rest ? undefined : new RestClient(opts.kc);
  const rest = opts.rest ?? ownRest!;
  const server = await buildWebhookServer({
    certificates,
    logger: log,
    ...(opts.scaling === false ? {} : { scaling: scalingApiOptions(rest, opts.scaling ?? {}, opts.metrics) }),
    admission: {
      schemas: apiSchemas,
      reader: opts.reader ?? apiObjectReader(rest),
      maxReplicas: o.maxReplicas,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
    },
    ...(o.keepAliveTimeoutMs ? { keepAliveTimeoutMs: o.keepAliveTimeoutMs } : {}),
  });
  try {
    await server.listen({ port: o.port, host: o.host });
  } catch (err) {
    certificates.stop();
    ownRest?.close();
    throw err;
  }
  const port = (server.server.address() as AddressInfo).port;
  const host = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  const baseUrl = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const admission = opts.kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  const name = o.configurationName;
  const caBundlePem = (): string | undefined => certificates.current().caBundlePem;
  if (local) {
    const cfg: WebhookConfigurationOptions = {
      name,
      target: { url: opts.registerUrl ?? baseUrl },
      ...(caBundlePem() ? { caBundlePem: caBundlePem()! } : {}),
      ...(opts.namespaceSelector ? { namespaceSelector: opts.namespaceSelector } : {}),
    };
    const v = validatingWebhookConfiguration(cfg);
    const m = mutatingWebhookConfiguration(cfg);
    await createOrReplace(
      () => admission.readValidatingWebhookConfiguration({ name }),
      () => admission.createValidatingWebhookConfiguration({ body: v }),
      (rv) => admission.replaceValidatingWebhookConfiguration({ name, body: { ...v, metadata: { ...v.metadata, resourceVersion: rv } } }),
    );
    await createOrReplace(
      () => admission.readMutatingWebhookConfiguration({ name }),
      () => admission.createMutatingWebhookConfiguration({ body: m }),
      (rv) => admission.replaceMutatingWebhookConfiguration({ name, body: { ...m, metadata: { ...m.metadata, resourceVersion: rv } } }),
    );
    log.info({ url: opts.registerUrl ?? baseUrl }, 'webhooks registered by URL');
  }

  // With a cert-manager folder, cert-manager's cainjector owns the caBundle.
  let injector: CaBundleInjector | undefined;
  if (!o.certDir) {
    injector = new CaBundleInjector({
      kc: opts.kc,
      validatingName: name,
      mutatingName: name,
      bundle: caBundlePem,
      log,
      ...(o.resyncMs ? { resyncMs: o.resyncMs } : {}),
    });
    certificates.onChange(() => void injector!.sync());
    await injector.start();
  }
  log.info({ port, certificates: o.certDir ? `folder ${o.certDir}` : `Secret ${opts.namespace}/${o.certSecret}` }, 'webhook server listening');

  return {
    server,
    port,
    baseUrl,
    certificates,
    injector,
    async stop() {
      injector?.stop();
      certificates.stop();
      await server.close();
      ownRest?.close();
    },
    async unregister() {
      for (const del of [
        () => admission.deleteValidatingWebhookConfiguration({ name }),
        () => admission.deleteMutatingWebhookConfiguration({ name }),
      ]) {
        await del().catch((err: unknown) => {
          if (!(err instanceof k8s.ApiException && err.code === 404)) throw err;
        });
      }
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

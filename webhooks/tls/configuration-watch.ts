// What the apiserver currently holds in our webhook configurations, kept by two informers (one per
// kind, limited to our name by a field selector). The caBundle injector repairs from it, the
// rotation asks it whether a new CA has reached every webhook, and readiness checks the served
// certificate against the bundles it holds: all three act on what the apiserver was seen to hold.
import type { Logger } from 'pino';
import { Informer, resource, type InformerTuning, type KubeObject, type ResourceRef, type RestClient } from '../../runtime/index.ts';

export const webhookConfigurationKinds = {
  validating: resource('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false),
  mutating: resource('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false),
} as const;

export interface WebhookClientConfig {
  url?: string;
  service?: { namespace: string; name: string; port?: number; path?: string };
  caBundle?: string;
}

export interface WebhookConfigurationObject extends KubeObject {
  webhooks?: Array<{ name: string; clientConfig: WebhookClientConfig }>;
}

/** One webhook of one configuration, as last observed. */
export interface ObservedWebhook {
  /** 'ValidatingWebhookConfiguration/engula-operator', for messages. */
  configuration: string;
  name: string;
  /** Decoded PEM; undefined when the webhook has none. */
  caBundlePem: string | undefined;
  /** The host name the apiserver verifies our certificate against. */
  serverName: string;
}

export interface ConfigurationWatchOptions {
  rest: RestClient;
  /** metadata.name of both configurations. */
  name: string;
  logger: Logger;
  tuning?: InformerTuning;
}

/** The host the apiserver dials: the URL's host, or the Service's `<name>.<namespace>.svc`. */
export function serverNameOf(cc: WebhookClientConfig): string {
  if (cc.url !== undefined) {
    try {
      return new URL(cc.url).hostname.replace(/^\[(.*)\]$/, '$1');
    } catch {
      return '';
    }
  }
  return cc.service ? `${cc.service.name}.${cc.service.namespace}.svc` : '';
}

export class ConfigurationWatch {
  readonly name: string;
  readonly informers: ReadonlyArray<{ ref: ResourceRef; informer: Informer }>;
  readonly #listeners: Array<() => void> = [];

  constructor(opts: ConfigurationWatchOptions) {
    this.name = opts.name;
    this.informers = Object.values(webhookConfigurationKinds).map((ref) => {
      const informer = new Informer({ rest: opts.rest, ref, fieldSelector: `metadata.name=${opts.name}`, logger: opts.logger, ...opts.tuning });
      const changed = (): void => {
        for (const l of this.#listeners) l();
      };
      informer.addEventHandler({ onAdd: changed, onUpdate: changed, onDelete: changed });
      return { ref, informer };
    });
  }

  /** Called after every observed change of either configuration (and on resync). */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  start(): void {
    for (const { informer } of this.informers) informer.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map(({ informer }) => informer.stop()));
  }

  get synced(): boolean {
    return this.informers.every(({ informer }) => informer.hasSynced);
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    return Promise.all(this.informers.map(({ informer }) => informer.waitForSync(signal))).then(() => undefined);
  }

  /** The cached configurations that exist (frozen: clone before changing). */
  configurations(): Array<{ ref: ResourceRef; obj: WebhookConfigurationObject }> {
    const out: Array<{ ref: ResourceRef; obj: WebhookConfigurationObject }> = [];
    for (const { ref, informer } of this.informers) {
      const obj = informer.store.get(this.name) as WebhookConfigurationObject | undefined;
      if (obj !== undefined) out.push({ ref, obj });
    }
    return out;
  }

  /** Every webhook of both configurations as last observed; undefined until both informers listed. */
  webhooks(): ObservedWebhook[] | undefined {
    if (!this.synced) return undefined;
    return this.configurations().flatMap(({ ref, obj }) =>
      (obj.webhooks ?? []).map((w) => ({
        configuration: `${ref.kind}/${this.name}`,
        name: w.name,
        caBundlePem: w.clientConfig.caBundle ? Buffer.from(w.clientConfig.caBundle, 'base64').toString('utf8') : undefined,
        serverName: serverNameOf(w.clientConfig),
      })),
    );
  }
}

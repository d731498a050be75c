// Keeps the caBundle of the operator's webhook configurations equal to the CA bundle it serves
// under, and puts it back when someone (a GitOps sync of the manifests, a hand edit) changes it.
// A watch on the two objects makes the repair quick; a periodic check covers a stalled watch.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface CaBundleTarget {
  validatingName?: string;
  mutatingName?: string;
}

export interface CaBundleInjectorOptions extends CaBundleTarget {
  kc: k8s.KubeConfig;
  /** The PEM to inject; undefined means nothing to inject yet. */
  bundle: () => string | undefined;
  resyncMs?: number;
  log: Logger;
}

interface WebhookConfiguration {
  metadata?: k8s.V1ObjectMeta;
  webhooks?: Array<{ clientConfig: { caBundle?: string } }>;
}

/** Sets every webhook's caBundle; returns whether anything changed (no write when nothing did). */
export function withCaBundle<T extends WebhookConfiguration>(config: T, caBundleB64: string): { config: T; changed: boolean } {
  let changed = false;
  const webhooks = (config.webhooks ?? []).map((w) => {
    if (w.clientConfig.caBundle === caBundleB64) return w;
    changed = true;
    return { ...w, clientConfig: { ...w.clientConfig, caBundle: caBundleB64 } };
  });
  return { config: { ...config, webhooks }, changed };
}

export class CaBundleInjector {
  readonly #opts: CaBundleInjectorOptions;
  readonly #api: k8s.AdmissionregistrationV1Api;
  #timer: NodeJS.Timeout | undefined;
  readonly #watches = new Map<string, AbortController>();
  #stopped = false;
  #pending: Promise<void> | undefined;
  #again = false;
  /** How many writes this injector made: an idle operator makes none. */
  writes = 0;

  constructor(opts: CaBundleInjectorOptions) {
    this.#opts = opts;
    this.#api = opts.kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  }

  async start(): Promise<void> {
    await this.sync();
    this.#timer = setInterval(() => void this.sync(), this.#opts.resyncMs ?? 60_000);
    this.#timer.unref();
    if (this.#opts.validatingName) this.#watch('validatingwebhookconfigurations', this.#opts.validatingName);
    if (this.#opts.mutatingName) this.#watch('mutatingwebhookconfigurations', this.#opts.mutatingName);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const w of this.#watches.values()) w.abort();
  }

  /** Brings both configurations in line; concurrent calls coalesce into one more pass. */
  sync(): Promise<void> {
    if (this.#pending) {
      this.#again = true;
      return this.#pending;
    }
    this.#pending = (async () => {
      do {
        this.#again = false;
        await this.#syncOnce().catch((err: unknown) => this.#opts.log.warn({ err }, 'patching the webhook caBundle failed; will retry'));
      } while (this.#again && !this.#stopped);
    })().finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #syncOnce(): Promise<void> {
    const pem = this.#opts.bundle();
    if (pem === undefined) return;
    const b64 = Buffer.from(pem).toString('base64');
    const { validatingName, mutatingName } = this.#opts;
    if (validatingName) {
      await this.#update(
        () => this.#api.readValidatingWebhookConfiguration({ name: validatingName }),
        (body) => this.#api.replaceValidatingWebhookConfiguration({ name: validatingName, body }),
        b64,
        `ValidatingWebhookConfiguration ${validatingName}`,
      );
    }
    if (mutatingName) {
      await this.#update(
        () => this.#api.readMutatingWebhookConfiguration({ name: mutatingName }),
        (body) => this.#api.replaceMutatingWebhookConfiguration({ name: mutatingName, body }),
        b64,
        `MutatingWebhookConfiguration ${mutatingName}`,
      );
    }
  }

  async #update<T extends WebhookConfiguration>(read: () => Promise<T>, replace: (body: T) => Promise<unknown>, b64: string, what: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      let current: T;
      try {
        current = await read();
      } catch (err) {
        // Not created yet (the manifests are applied after the operator starts): the watch tells us when.
        if (err instanceof k8s.ApiException && err.code === 404) return;
        throw err;
      }
      const { config, changed } = withCaBundle(current, b64);
      if (!changed) return;
      try {
        await replace(config);
        this.writes++;
        this.#opts.log.info(`set the caBundle of ${what}`);
        return;
      } catch (err) {
        if (!(err instanceof k8s.ApiException && err.code === 409)) throw err;
      }
    }
  }

  #watch(resource: string, name: string): void {
    const watch = new k8s.Watch(this.#opts.kc);
    let backoff = 500;
    const begin = (): void => {
      if (this.#stopped) return;
      watch
        .watch(
          `/apis/admissionregistration.k8s.io/v1/${resource}`,
          { fieldSelector: `metadata.name=${name}` },
          (phase) => {
            backoff = 500;
            if (phase === 'ADDED' || phase === 'MODIFIED') void this.sync();
          },
          () => {
            const t = setTimeout(begin, backoff);
            t.unref();
            backoff = Math.min(backoff * 2, 30_000);
          },
        )
        .then((ac) => {
          if (this.#stopped) ac.abort();
          else this.#watches.set(resource, ac);
        })
        .catch(() => {
          const t = setTimeout(begin, backoff);
          t.unref();
          backoff = Math.min(backoff * 2, 30_000);
        });
    };
    begin();
  }
}

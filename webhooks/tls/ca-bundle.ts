// Keeps the caBundle of the operator's webhook configurations equal to the bundle in the certificate
// Secret, and puts it back when someone (a GitOps sync of the manifests, a hand edit) changes it.
//
// Replicas never undo each other: the bundle written is always the one just read from the Secret
// (never a replica's possibly stale memory of it), and the write carries the resourceVersion of the
// configuration as it was seen BEFORE that read. The Secret's bundle only grows by a new CA or loses
// an expired one, so a write that succeeds can never put back an older bundle than the one it
// replaced: if anyone changed the configuration after we looked, the write fails with 409 and we
// look again. The write is the Client's merge patch of the webhooks, naming that resourceVersion.
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { ApiError, Backoff, errorMessage, type Client } from '../../runtime/index.ts';
import { bundleHolds, canonicalBundle } from './bundle.ts';
import type { ConfigurationWatch, WebhookConfigurationObject } from './configuration-watch.ts';
import { CoalescedPasses } from './passes.ts';

export interface CaBundleInjectorOptions {
  client: Client;
  watch: ConfigurationWatch;
  /** A fresh read of the bundle in the Secret (PEM); undefined when there is none yet. */
  readBundle: () => Promise<string | undefined>;
  /** This replica's last known bundle: when every webhook already holds it, no read is needed. */
  knownBundle: () => string | undefined;
  log: Logger;
  /** Periodic check besides the watch. Default 1 minute. */
  resyncMs?: number;
  timeoutMs?: number;
  metrics?: Registry;
  random?: () => number;
}

interface WebhookConfiguration {
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

const BUNDLE_WRITES = 'webhook_ca_bundle_writes_total';
const BUNDLE_FAILURES = 'webhook_ca_bundle_sync_failures_total';

function counter(registry: Registry | undefined, name: string, help: string, labelNames: string[] = []): Counter<string> | undefined {
  if (!registry) return undefined;
  return (registry.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

export class CaBundleInjector {
  readonly #opts: CaBundleInjectorOptions;
  readonly #backoff: Backoff;
  readonly #writesMetric: Counter<string> | undefined;
  readonly #failuresMetric: Counter<string> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #passes = new CoalescedPasses(() => this.#syncPass());

  constructor(opts: CaBundleInjectorOptions) {
    this.#opts = opts;
    this.#backoff = new Backoff({ initialMs: 500, maxMs: 60_000, factor: 2, jitter: 1, ...(opts.random ? { random: opts.random } : {}) });
    this.#writesMetric = counter(opts.metrics, BUNDLE_WRITES, 'caBundle writes to the webhook configurations', ['configuration']);
    this.#failuresMetric = counter(opts.metrics, BUNDLE_FAILURES, 'caBundle checks that failed (retried with backoff)');
  }

  start(): void {
    this.#opts.watch.onChange(() => void this.sync());
    this.#timer = setInterval(() => void this.sync(), this.#opts.resyncMs ?? 60_000);
    this.#timer.unref();
    void this.sync();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#retry) clearTimeout(this.#retry);
  }

  /** Brings both configurations in line; concurrent calls coalesce into one more pass. */
  sync(): Promise<void> {
    return this.#passes.run();
  }

  /** A pass of sync(); false ends the run (stopped, or failed and retried with backoff). */
  async #syncPass(): Promise<boolean> {
    if (this.#stopped) return false;
    try {
      if (await this.#syncOnce()) {
        this.#backoff.reset();
      } else {
        // A lost race: the watch brings the newer version (and a sync) in a moment; this
        // retry is the fallback, spaced by backoff so a race never turns into a tight loop.
        this.#retryIn(this.#backoff.next(Date.now()));
      }
      return true;
    } catch (err) {
      this.#failuresMetric?.inc();
      const wait = this.#backoff.next(Date.now());
      this.#opts.log.warn({ err: errorMessage(err), retryInMs: Math.round(wait) }, 'keeping the webhook caBundle current failed; will retry');
      this.#retryIn(wait);
      return false;
    }
  }

  /** One pass; false when a write lost a race and the pass should run again on fresher state. */
  async #syncOnce(): Promise<boolean> {
    const watch = this.#opts.watch;
    if (!watch.synced) return true;
    // Snapshot BEFORE reading the Secret: the resourceVersion we write with must predate that read.
    const seen = watch.configurations();
    const known = this.#opts.knownBundle();
    const upToDate = (b64: string): boolean => seen.every(({ obj }) => !withCaBundle(obj, b64).changed);
    if (seen.length === 0 || (known !== undefined && upToDate(encode(canonicalOf(known))))) return true;
    const stored = await this.#opts.readBundle();
    if (stored === undefined) return true;
    const b64 = encode(canonicalOf(stored));
    let settled = true;
    for (const { ref, obj } of seen) {
      const { config, changed } = withCaBundle(structuredClone(obj) as WebhookConfigurationObject, b64);
      if (!changed) continue;
      const what = `${ref.kind}/${watch.name}`;
      try {
        // The cached object carries the resourceVersion seen before the Secret read.
        const body = { metadata: { resourceVersion: obj.metadata.resourceVersion }, webhooks: config.webhooks };
        await this.#opts.client.patch(ref, '', watch.name, { type: 'merge', body }, { signal: AbortSignal.timeout(this.#opts.timeoutMs ?? 10_000) });
      } catch (err) {
        // Changed since we looked (or gone): the watch brings the new version, and we decide again.
        if (err instanceof ApiError && (err.statusCode === 409 || err.statusCode === 404)) {
          settled = false;
          continue;
        }
        throw err;
      }
      this.#writesMetric?.inc({ configuration: ref.kind });
      this.#opts.log.info({ configuration: what, resourceVersion: obj.metadata.resourceVersion }, 'set the caBundle of the webhook configuration from the certificate Secret');
    }
    return settled;
  }

  #retryIn(ms: number): void {
    if (this.#stopped) return;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = setTimeout(() => void this.sync(), ms);
    this.#retry.unref();
  }

  /**
   * Whether every webhook of every configuration that exists was seen holding `caPem`: the point
   * after which certificates signed by that CA may be served. False until the watch has listed.
   */
  published(caPem: string): boolean {
    const webhooks = this.#opts.watch.webhooks();
    if (webhooks === undefined) return false;
    return webhooks.every((w) => bundleHolds(w.caBundlePem, caPem));
  }
}

/** Canonical without dropping expired CAs: replicas with slightly different clocks must agree. */
function canonicalOf(pem: string): string {
  return canonicalBundle([pem], Number.NEGATIVE_INFINITY);
}

function encode(pem: string): string {
  return Buffer.from(pem).toString('base64');
}

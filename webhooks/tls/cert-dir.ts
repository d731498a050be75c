// Certificates from a folder that something else keeps current (cert-manager through a mounted
// Secret: tls.crt, tls.key, and ca.crt when the issuer provides it). The kubelet swaps a mounted
// Secret's files through a `..data` symlink, which some watchers miss, so a poll backs the watch.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Listeners, type CertificateSource, type MaterialListener, type ServingMaterial } from './source.ts';

export interface CertDirOptions {
  dir: string;
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  /** Poll interval, the fallback for missed file events. Default 10 s. */
  pollMs?: number;
  log: Logger;
}

export class DirectoryCertificates implements CertificateSource {
  readonly #opts: CertDirOptions;
  readonly #listeners = new Listeners();
  #material: ServingMaterial | undefined;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;

  constructor(opts: CertDirOptions) {
    this.#opts = opts;
  }

  current(): ServingMaterial {
    if (this.#material === undefined) throw new Error(`certificates from ${this.#opts.dir} are not loaded yet: call start() first`);
    return this.#material;
  }

  onChange(listener: MaterialListener): void {
    this.#listeners.add(listener);
  }

  async start(): Promise<void> {
    const first = await this.#read();
    if (typeof first === 'string') throw new Error(`cannot use the certificates in ${this.#opts.dir}: ${first}`);
    this.#material = first;
    try {
      this.#watcher = watch(this.#opts.dir, () => this.#soon());
      this.#watcher.on('error', (err) => this.#opts.log.warn({ err }, 'watching the certificate folder failed; polling only'));
      this.#watcher.unref();
    } catch (err) {
      this.#opts.log.warn({ err }, 'cannot watch the certificate folder; polling only');
    }
    this.#timer = setInterval(() => void this.reload(), this.#opts.pollMs ?? 10_000);
    this.#timer.unref();
  }

  stop(): void {
    this.#watcher?.close();
    if (this.#timer) clearInterval(this.#timer);
    if (this.#debounce) clearTimeout(this.#debounce);
  }

  /** Events come in bursts while files are replaced; read once they settle. */
  #soon(): void {
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.reload(), 100);
    this.#debounce.unref();
  }

  /** Reads the folder and switches when it holds a new, consistent pair. */
  async reload(): Promise<void> {
    const next = await this.#read();
    if (typeof next === 'string') {
      // A half-written pair (new cert, old key) is normal for a moment; keep serving the last good one.
      this.#opts.log.debug({ problem: next }, 'certificate folder not usable yet');
      return;
    }
    const prev = this.#material;
    if (prev && prev.certPem === next.certPem && prev.keyPem === next.keyPem && prev.caBundlePem === next.caBundlePem) return;
    this.#material = next;
    this.#opts.log.info({ dir: this.#opts.dir }, 'webhook certificates reloaded from folder');
    this.#listeners.emit(next, (err) => this.#opts.log.error({ err }, 'applying new webhook certificates failed'));
  }

  async #read(): Promise<ServingMaterial | string> {
    const { dir } = this.#opts;
    try {
      const certPem = await readFile(join(dir, this.#opts.certFile ?? 'tls.crt'), 'utf8');
      const keyPem = await readFile(join(dir, this.#opts.keyFile ?? 'tls.key'), 'utf8');
      const caBundlePem = await readFile(join(dir, this.#opts.caFile ?? 'ca.crt'), 'utf8').catch(() => undefined);
      if (!new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))) return 'the key does not match the certificate';
      return caBundlePem === undefined ? { certPem, keyPem } : { certPem, keyPem, caBundlePem };
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }
}

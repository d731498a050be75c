// What the HTTPS server needs from wherever certificates come from (a Secret the operator manages,
// or a folder cert-manager fills): the current pair, and a call when it changes.

export interface ServingMaterial {
  certPem: string;
  keyPem: string;
  /** PEM of every CA a client should trust, when known (the caBundle of the webhook configurations). */
  caBundlePem?: string;
}

export type MaterialListener = (material: ServingMaterial) => void;

export interface CertificateSource {
  /** Loads the first material; resolves once `current()` may be called. */
  start(): Promise<void>;
  stop(): void;
  current(): ServingMaterial;
  onChange(listener: MaterialListener): void;
}

/** A small fan-out shared by the sources. */
export class Listeners {
  #listeners: MaterialListener[] = [];
  add(l: MaterialListener): void {
    this.#listeners.push(l);
  }
  emit(m: ServingMaterial, onError: (err: unknown) => void): void {
    for (const l of this.#listeners) {
      try {
        l(m);
      } catch (err) {
        onError(err);
      }
    }
  }
}

/** A fixed pair, replaceable by hand: for tests, the benchmark, and certificates given as values. */
export class StaticCertificates implements CertificateSource {
  readonly #listeners = new Listeners();
  #material: ServingMaterial;
  constructor(material: ServingMaterial) {
    this.#material = material;
  }
  async start(): Promise<void> {}
  stop(): void {}
  current(): ServingMaterial {
    return this.#material;
  }
  onChange(listener: MaterialListener): void {
    this.#listeners.add(listener);
  }
  set(material: ServingMaterial): void {
    this.#material = material;
    this.#listeners.emit(material, (err) => {
      throw err;
    });
  }
}

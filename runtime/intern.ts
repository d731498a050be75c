// One copy of each repeated string in the cache. JSON.parse makes a new string for every value, so
// 1,000 Clusters hold "cluster.engula.io/v1alpha1", "engula-operator", a Cluster's name in every
// label and owner reference, an image, a pull policy... tens of thousands of times: in a heap
// snapshot of the operator with 25,000 objects cached, 16 of the 27 MiB of strings were copies.
// Values that are unique by nature (uids, resourceVersions, timestamps) are left alone, and the
// pool starts over when it grows past a bound, so it cannot grow with churn: strings already shared
// stay shared, and the next copies share anew.

/** Keys whose values are (nearly) never repeated: pooling them would only grow the pool. */
const UNIQUE_VALUES: ReadonlySet<string> = new Set(['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'lastTransitionTime', 'lastUpdateTime', 'lastProbeTime', 'time', 'startTime', 'currentRevision', 'updateRevision', 'continue']);
const MAX_POOLED = 100_000;
/** Longer strings (a ConfigMap's data, a certificate) are rarely repeated and costly to hash. */
const MAX_LENGTH = 256;

export class StringPool {
  private pool = new Map<string, string>();
  private readonly max: number;

  constructor(max = MAX_POOLED) {
    this.max = max;
  }

  get size(): number {
    return this.pool.size;
  }

  intern(s: string): string {
    if (s.length > MAX_LENGTH) return s;
    const pooled = this.pool.get(s);
    if (pooled !== undefined) return pooled;
    if (this.pool.size >= this.max) this.pool = new Map();
    this.pool.set(s, s);
    return s;
  }

  /**
   * Replaces, in place, the string values of a freshly parsed object with pooled ones; with
   * `freeze`, freezes each object once its values are done (the cache's one walk of an object).
   * Frozen objects are skipped: they have been through here already.
   */
  internValues(v: unknown, opts: { freeze?: boolean } = {}): void {
    if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x === 'string') v[i] = this.intern(x);
        else this.internValues(x, opts);
      }
    } else {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const x = o[k];
        if (typeof x === 'string') {
          if (!UNIQUE_VALUES.has(k)) o[k] = this.intern(x);
        } else this.internValues(x, opts);
      }
    }
    if (opts.freeze) Object.freeze(v);
  }
}

/** The one pool the process's caches share: the same strings repeat across kinds. */
export const cachePool = new StringPool();

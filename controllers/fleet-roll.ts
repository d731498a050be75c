// --roll-operator-changes=DELAY: a pod template change that comes from the operator (a new version,
// a flag) rolls every Cluster without being asked, one Cluster starting at a time, DELAY apart, so
// an operator upgrade never restarts a whole fleet at once. Each Cluster's own roll is ordered and
// stepped as any other (statefulset-step.ts).
export class FleetRoll {
  private readonly started = new Map<string, number>();
  private last = Number.NEGATIVE_INFINITY;

  /** The least time between two Clusters starting their roll. */
  readonly delayMs: number;
  private readonly now: () => number;

  constructor(delayMs: number, now: () => number = Date.now) {
    this.delayMs = delayMs;
    this.now = now;
  }

  /** Whether the Cluster (or standalone child) `key` may roll now; once started it keeps going. Else how long until its turn may come. */
  admit(key: string): { ok: true } | { ok: false; retryAfterMs: number } {
    if (this.started.has(key)) return { ok: true };
    const now = this.now();
    const wait = this.last + this.delayMs - now;
    if (wait > 0) return { ok: false, retryAfterMs: wait };
    this.last = now;
    this.started.set(key, now);
    return { ok: true };
  }
}

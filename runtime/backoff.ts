// Exponential backoff with jitter for reconnect loops (the reflector's, not the work queue's).

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor?: number;
  /** Adds up to this fraction of the delay at random, so replicas do not reconnect in step. */
  jitter?: number;
  /** A run that stayed healthy this long starts the next failure from initialMs again. */
  resetAfterMs?: number;
  random?: () => number;
}

/** client-go's reflector: 800 ms doubling to 30 s, jitter 1.0, reset after 2 min of health. */
export const reflectorBackoff: BackoffOptions = { initialMs: 800, maxMs: 30_000, factor: 2, jitter: 1, resetAfterMs: 120_000 };

export class Backoff {
  private readonly opts: Required<BackoffOptions>;
  private current: number;
  private lastFailureAt = Number.NEGATIVE_INFINITY;

  constructor(opts: BackoffOptions) {
    this.opts = { factor: 2, jitter: 0, resetAfterMs: Number.POSITIVE_INFINITY, random: Math.random, ...opts };
    this.current = this.opts.initialMs;
  }

  /** The delay before the next attempt; `now` decides whether the last failure is old enough to forget. */
  next(now: number): number {
    if (now - this.lastFailureAt > this.opts.resetAfterMs) this.current = this.opts.initialMs;
    this.lastFailureAt = now;
    const base = this.current;
    this.current = Math.min(this.opts.maxMs, this.current * this.opts.factor);
    return Math.min(this.opts.maxMs * (1 + this.opts.jitter), base * (1 + this.opts.jitter * this.opts.random()));
  }

  reset(): void {
    this.current = this.opts.initialMs;
    this.lastFailureAt = Number.NEGATIVE_INFINITY;
  }
}

// The fence between leadership and writes. client-go's leader election only tells a process that it
// lost the lease; controller-runtime then exits at once, because a reconcile still running could
// otherwise write after the other replica took over. Here every write of the leader's work (its
// controllers' client and event recorder) passes this gate: it is admitted only while the lease we
// last renewed cannot yet have been taken by another replica, and in-flight writes are aborted the
// moment leadership is given up.
import { realClock, type Clock } from './clock.ts';

/** A write refused because this process does not (or may no longer) hold the lease. */
export class LeadershipLostError extends Error {
  readonly kind = 'leadershipLost' as const;
  constructor(message: string) {
    super(message);
    this.name = 'LeadershipLostError';
  }
}

/** Decides whether a write may be sent now; the signal it returns aborts the write if that changes. */
export interface WriteGate {
  admit(method: string, path: string): AbortSignal;
}

export class LeadershipGate implements WriteGate {
  private readonly clock: Clock;
  private validUntil = 0;
  private readonly revoked = new AbortController();

  constructor(clock: Clock = realClock) {
    this.clock = clock;
  }

  /** Writes are allowed until `untilMs` (clock time): the earliest moment another replica may take the lease. */
  extend(untilMs: number): void {
    if (this.revoked.signal.aborted) return;
    this.validUntil = Math.max(this.validUntil, untilMs);
  }

  /** Final: leadership was lost or given up; every write in flight is aborted. */
  revoke(reason: string): void {
    this.validUntil = 0;
    if (!this.revoked.signal.aborted) this.revoked.abort(new LeadershipLostError(reason));
  }

  get until(): number {
    return this.validUntil;
  }

  admit(method: string, path: string): AbortSignal {
    if (this.revoked.signal.aborted) throw new LeadershipLostError(`${method} ${path} not sent: leadership was given up`);
    const now = this.clock.now();
    if (now >= this.validUntil) {
      throw new LeadershipLostError(`${method} ${path} not sent: the lease could be held by another replica since ${new Date(this.validUntil).toISOString()}`);
    }
    return this.revoked.signal;
  }
}

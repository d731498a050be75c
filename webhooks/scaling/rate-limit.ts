// A token bucket per caller, so one busy autoscaler cannot starve the others or flood the API
// server with patches. The buckets live in a bounded LRU map: a caller unseen for long enough to be
// evicted has a full bucket again anyway.
import { LRUCache } from 'lru-cache';
import { realClock, type Clock } from '../../runtime/index.ts';

export interface RateLimitSettings {
  /** Tokens added per second (sustained calls per second per caller). */
  perSecond: number;
  /** Bucket size: calls a caller may make at once after a quiet spell. */
  burst: number;
  /** Callers remembered at most. */
  maxCallers?: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitSettings = { perSecond: 5, burst: 20, maxCallers: 10_000 };

export type Admission = { ok: true } | { ok: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class CallerRateLimiter {
  private readonly buckets: LRUCache<string, Bucket>;
  private readonly perMs: number;
  private readonly burst: number;
  private readonly clock: Clock;

  constructor(settings: RateLimitSettings, clock: Clock = realClock) {
    if (!(settings.perSecond > 0) || !(settings.burst >= 1)) throw new Error('a rate limit needs perSecond > 0 and burst >= 1');
    this.perMs = settings.perSecond / 1000;
    this.burst = settings.burst;
    this.clock = clock;
    this.buckets = new LRUCache({ max: settings.maxCallers ?? DEFAULT_RATE_LIMIT.maxCallers ?? 10_000 });
  }

  /** Takes a token for `caller` if there is one; otherwise says how long until there is. */
  take(caller: string): Admission {
    const now = this.clock.now();
    const b = this.buckets.get(caller) ?? { tokens: this.burst, at: now };
    const tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.perMs);
    if (tokens >= 1) {
      this.buckets.set(caller, { tokens: tokens - 1, at: now });
      return { ok: true };
    }
    this.buckets.set(caller, { tokens, at: now });
    return { ok: false, retryAfterMs: Math.ceil((1 - tokens) / this.perMs) };
  }
}

// Token buckets per key (a caller, a source address), in a bounded LRU map: a key unseen for long
// enough to be evicted would have a full bucket again anyway, so eviction forgets nothing that
// matters, and a flood of new keys costs a bounded amount of memory.
import { LRUCache } from 'lru-cache';
import { realClock, type Clock } from '../clock.ts';

export interface TokenBucketSettings {
  /** Tokens added per second (sustained calls per second per key). */
  perSecond: number;
  /** Bucket size: calls a key may make at once after a quiet spell. */
  burst: number;
  /** Keys remembered at most. */
  maxKeys?: number;
}

export type Take = { ok: true } | { ok: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

const DEFAULT_MAX_KEYS = 10_000;

export class KeyedTokenBuckets {
  private readonly buckets: LRUCache<string, Bucket>;
  private readonly perMs: number;
  private readonly burst: number;
  private readonly clock: Clock;

  constructor(settings: TokenBucketSettings, clock: Clock = realClock) {
    if (!(settings.perSecond > 0) || !(settings.burst >= 1)) throw new Error('a rate limit needs perSecond > 0 and burst >= 1');
    this.perMs = settings.perSecond / 1000;
    this.burst = settings.burst;
    this.clock = clock;
    this.buckets = new LRUCache({ max: settings.maxKeys ?? DEFAULT_MAX_KEYS });
  }

  /** Takes a token for `key` if there is one; otherwise says how long until there is. */
  take(key: string): Take {
    const now = this.clock.now();
    const tokens = this.level(key, now);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      return { ok: true };
    }
    this.buckets.set(key, { tokens, at: now });
    return { ok: false, retryAfterMs: Math.ceil((1 - tokens) / this.perMs) };
  }

  /** Gives back a token taken for a call that turned out not to count against the key. */
  refund(key: string): void {
    const now = this.clock.now();
    this.buckets.set(key, { tokens: Math.min(this.burst, this.level(key, now) + 1), at: now });
  }

  private level(key: string, now: number): number {
    const b = this.buckets.get(key);
    return b ? Math.min(this.burst, b.tokens + (now - b.at) * this.perMs) : this.burst;
  }
}

// A token bucket per caller, so one busy autoscaler cannot starve the others or flood the API
// server with patches. The buckets are the runtime's (runtime/auth/token-buckets.ts), the same kind
// that limits, per source address, the tokens the API server refuses (delegated-auth.ts).
import { KeyedTokenBuckets } from '../../runtime/auth/token-buckets.ts';
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

export class CallerRateLimiter extends KeyedTokenBuckets {
  constructor(settings: RateLimitSettings, clock: Clock = realClock) {
    super({ perSecond: settings.perSecond, burst: settings.burst, maxKeys: settings.maxCallers ?? DEFAULT_RATE_LIMIT.maxCallers ?? 10_000 }, clock);
  }
}

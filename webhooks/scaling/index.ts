// The scaling API as the webhook server serves it: delegated auth for the configured audiences
// over the runtime's client, limited per source address before authentication and in the reviews
// it keeps in flight, a per-caller rate limit, the Manager's metrics registry.
import type { Registry } from 'prom-client';
import { DEFAULT_MAX_INFLIGHT_REVIEWS } from '../../runtime/auth/delegated-auth.ts';
import type { TokenBucketSettings } from '../../runtime/auth/token-buckets.ts';
import { DelegatedAuth, type CacheTtls, type Client } from '../../runtime/index.ts';
import type { RateLimitSettings } from './rate-limit.ts';
import type { ScalingRoutesOptions } from './routes.ts';

export { DEFAULT_RATE_LIMIT } from './rate-limit.ts';
export { DEFAULT_MAX_INFLIGHT_REVIEWS };

/** The audience a caller's projected token must carry unless --scaling-audience says otherwise. */
export const DEFAULT_SCALING_AUDIENCE = 'engula-operator';

/**
 * TokenReviews per source address for tokens the API server refuses. An authenticated token gives
 * its token back once reviewed, so the burst is also how many new tokens one address may have
 * under review at the same moment (hostNetwork pods of one node, callers behind a NAT). An honest
 * client fails authentication once when its token is stale, not every second; a flood of bad
 * tokens from one address costs one review a second after the first 20.
 */
export const DEFAULT_SOURCE_LIMIT: TokenBucketSettings = { perSecond: 1, burst: 20, maxKeys: 10_000 };

export interface ScalingSettings {
  audiences?: string[];
  rateLimit?: RateLimitSettings;
  /** Per source address, before authentication (DelegatedAuthOptions.sourceLimit). */
  sourceLimit?: TokenBucketSettings;
  maxInflightReviews?: number;
  cacheTtls?: Partial<CacheTtls>;
}

export function scalingApiOptions(client: Client, settings: ScalingSettings, metrics: Registry | undefined): ScalingRoutesOptions {
  const access = new DelegatedAuth({
    rest: client.rest,
    audiences: settings.audiences ?? [DEFAULT_SCALING_AUDIENCE],
    sourceLimit: settings.sourceLimit ?? DEFAULT_SOURCE_LIMIT,
    maxInflightReviews: settings.maxInflightReviews ?? DEFAULT_MAX_INFLIGHT_REVIEWS,
    ...(settings.cacheTtls ? { ttls: settings.cacheTtls } : {}),
  });
  return { client, access, ...(settings.rateLimit ? { rateLimit: settings.rateLimit } : {}), ...(metrics ? { metrics } : {}) };
}

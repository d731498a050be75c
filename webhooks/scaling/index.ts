// The scaling API as the webhook server serves it: delegated auth for the configured audiences
// over the runtime's client, a per-caller rate limit, the Manager's metrics registry.
import type { Registry } from 'prom-client';
import { DelegatedAuth, type CacheTtls, type RestClient } from '../../runtime/index.ts';
import type { RateLimitSettings } from './rate-limit.ts';
import type { ScalingRoutesOptions } from './routes.ts';

export { DEFAULT_RATE_LIMIT } from './rate-limit.ts';

/** The audience a caller's projected token must carry unless --scaling-audience says otherwise. */
export const DEFAULT_SCALING_AUDIENCE = 'engula-operator';

export interface ScalingSettings {
  audiences?: string[];
  rateLimit?: RateLimitSettings;
  cacheTtls?: Partial<CacheTtls>;
}

export function scalingApiOptions(rest: RestClient, settings: ScalingSettings, metrics: Registry | undefined): ScalingRoutesOptions {
  const access = new DelegatedAuth({ rest, audiences: settings.audiences ?? [DEFAULT_SCALING_AUDIENCE], ...(settings.cacheTtls ? { ttls: settings.cacheTtls } : {}) });
  return { rest, access, ...(settings.rateLimit ? { rateLimit: settings.rateLimit } : {}), ...(metrics ? { metrics } : {}) };
}

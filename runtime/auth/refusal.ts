// How an HTTP endpoint answers an access decision it does not serve: the one mapping of outcomes
// to status codes, so the secure metrics endpoint and the scaling API refuse alike.
import type { AccessDecision } from './delegated-auth.ts';

export type Refused = Exclude<AccessDecision, { outcome: 'allowed' }>;

export interface Refusal {
  code: 401 | 403 | 429 | 503;
  /** 401 names the scheme a caller should retry with; 429 says when a retry may pass. */
  headers: Record<string, string>;
}

/** 401 for no token or a token Kubernetes refused, 403 for RBAC's no, 429 when no review was sent, 503 when the API server could not answer. */
export function accessRefusal(decision: Refused): Refusal {
  switch (decision.outcome) {
    case 'unauthenticated':
      return { code: 401, headers: { 'WWW-Authenticate': 'Bearer' } };
    case 'forbidden':
      return { code: 403, headers: {} };
    case 'throttled':
      return { code: 429, headers: { 'Retry-After': String(retryAfterSeconds(decision.retryAfterMs)) } };
    case 'error':
      return { code: 503, headers: {} };
  }
}

/** Retry-After is whole seconds, and 0 would invite a retry at once. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

// Delegated authentication and authorization, as kube-rbac-proxy and controller-runtime's
// metrics filter do it: the caller's bearer token is checked with a TokenReview, and what it may
// do with a SubjectAccessReview, so Kubernetes RBAC decides who may call an endpoint of ours.
// Answers (positive and negative) are cached briefly in bounded LRU caches, and identical
// reviews in flight share one API call, so a burst of calls costs one review, not one each.
// What a flood can make it ask of the API server is bounded twice: per source address, tokens the
// API server refuses spend a budget checked before each TokenReview is sent; and reviews in flight
// are capped, a check beyond the cap answered at once instead of queued.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Backoff } from '../backoff.ts';
import { delay, realClock, type Clock } from '../clock.ts';
import { ApiError, errorMessage } from '../errors.ts';
import type { RestClient } from '../rest.ts';
import { bearerToken, jwtExpiryMs } from './bearer.ts';
import { KeyedTokenBuckets, type TokenBucketSettings } from './token-buckets.ts';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface NonResourceAttributes {
  verb: string;
  path: string;
}

export type AccessAttributes = { resource: ResourceAttributes } | { nonResource: NonResourceAttributes };

export type Authentication = { ok: true; user: UserInfo; cached: boolean } | { ok: false; reason: string; cached: boolean };

export interface Authorization {
  allowed: boolean;
  reason: string;
  cached: boolean;
}

/**
 * What an endpoint does with a request: serve it, 401, 403, 429 (no review was sent: retry after
 * `retryAfterMs`), or 503 (the API server could not answer).
 */
export type AccessDecision =
  | { outcome: 'allowed'; user: UserInfo; cached: { authentication: boolean; authorization: boolean } }
  | { outcome: 'unauthenticated'; reason: string }
  | { outcome: 'forbidden'; user: UserInfo; reason: string }
  | { outcome: 'throttled'; user?: UserInfo; reason: string; retryAfterMs: number }
  | { outcome: 'error'; user?: UserInfo; reason: string };

/** Where a request comes from, as the endpoint saw it. */
export interface RequestContext {
  /** The peer's address (the socket's, never a header's): the key of the per-source limit. */
  source?: string;
}

export interface CacheTtls {
  /** An authenticated token, never beyond the token's own expiry. */
  authenticatedMs: number;
  unauthenticatedMs: number;
  allowedMs: number;
  deniedMs: number;
}

/**
 * kube-rbac-proxy's delegating defaults are minutes; shorter here, so a revoked RoleBinding or a
 * deleted ServiceAccount stops working within a minute, at the price of a review per caller a minute.
 */
export const DEFAULT_CACHE_TTLS: CacheTtls = { authenticatedMs: 60_000, unauthenticatedMs: 10_000, allowedMs: 60_000, deniedMs: 10_000 };

/**
 * Reviews are a few milliseconds each, so this many at once is a burst far past any set of
 * honest callers; the API server's own --max-requests-inflight is a few hundred for everyone.
 */
export const DEFAULT_MAX_INFLIGHT_REVIEWS = 64;

/** The Retry-After of a check refused because too many reviews are in flight, as kube-apiserver's own max-inflight filter says. */
const BUSY_RETRY_AFTER_MS = 1_000;

/** What delegated auth needs of the runtime's client: the reviews are plain POSTs. */
export type ReviewClient = Pick<RestClient, 'request'>;

export interface DelegatedAuthOptions {
  rest: ReviewClient;
  /**
   * Audiences the token must be valid for (a projected token's `audience`). None: the API server's
   * own audiences, as kube-rbac-proxy and controller-runtime's metrics filter check a Prometheus
   * ServiceAccount's ordinary token.
   */
  audiences: string[];
  ttls?: Partial<CacheTtls>;
  /** Entries per cache (tokens; subject-and-attribute pairs). */
  cacheSize?: number;
  /** Per API call. */
  timeoutMs?: number;
  /** Attempts per review when the API server fails (5xx, 429, no answer). */
  attempts?: number;
  clock?: Clock;
  /**
   * Per source address, the TokenReviews it may cause for tokens the API server refuses. Taken
   * before a review is sent (a cached answer, or joining a review in flight, costs nothing) and
   * given back when the token is authenticated, so a source of honest callers never runs out.
   * None: no per-source limit.
   */
  sourceLimit?: TokenBucketSettings;
  /** TokenReviews and SubjectAccessReviews in flight at once; beyond, a check is 'throttled' at once. */
  maxInflightReviews?: number;
}

/**
 * A review that was not sent, so there is no answer: the source spent its budget, or too many are
 * in flight. A value, not an exception: a flood makes one per call, and an Error's stack trace
 * costs more than the rest of the refusal.
 */
export interface NotSent {
  notSent: true;
  reason: string;
  retryAfterMs: number;
}

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  audiences?: string[];
  error?: string;
}

interface SubjectAccessReviewStatus {
  allowed?: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

type CachedAuthentication = { ok: true; user: UserInfo } | { ok: false; reason: string };
type CachedAuthorization = { allowed: boolean; reason: string };

function retryable(err: unknown): boolean {
  return !(err instanceof ApiError) || err.statusCode >= 500 || err.statusCode === 429;
}

/** A cache key for a subject and what it asks to do; groups are a set, so their order does not matter. */
export function authorizationKey(user: UserInfo, attributes: AccessAttributes): string {
  const extra = Object.entries(user.extra ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, [...v].sort()]);
  return JSON.stringify([user.username, user.uid ?? '', [...user.groups].sort(), extra, attributes]);
}

export class DelegatedAuth {
  readonly audiences: string[];
  private readonly rest: ReviewClient;
  private readonly ttls: CacheTtls;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly clock: Clock;
  private readonly tokens: LRUCache<string, CachedAuthentication>;
  private readonly decisions: LRUCache<string, CachedAuthorization>;
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly maxInflight: number;
  private readonly sources: KeyedTokenBuckets | undefined;

  constructor(opts: DelegatedAuthOptions) {
    this.rest = opts.rest;
    this.audiences = [...opts.audiences];
    this.ttls = { ...DEFAULT_CACHE_TTLS, ...opts.ttls };
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.attempts = opts.attempts ?? 3;
    this.clock = opts.clock ?? realClock;
    this.maxInflight = opts.maxInflightReviews ?? DEFAULT_MAX_INFLIGHT_REVIEWS;
    if (!(this.maxInflight >= 1)) throw new Error('maxInflightReviews must be 1 or more');
    this.sources = opts.sourceLimit && new KeyedTokenBuckets(opts.sourceLimit, this.clock);
    const max = opts.cacheSize ?? 1024;
    const perf = { now: () => this.clock.now() };
    this.tokens = new LRUCache({ max, ttl: this.ttls.authenticatedMs, perf });
    this.decisions = new LRUCache({ max, ttl: this.ttls.allowedMs, perf });
  }

  /** The whole check for one request: its Authorization header, then what the user wants to do. */
  async check(authorizationHeader: string | undefined, attributesFor: (user: UserInfo) => AccessAttributes, context: RequestContext = {}): Promise<AccessDecision> {
    const token = bearerToken(authorizationHeader);
    if (token === undefined) return { outcome: 'unauthenticated', reason: authorizationHeader === undefined ? 'no Authorization header' : 'the Authorization header is not "Bearer <token>"' };
    let authn: Authentication | NotSent;
    try {
      authn = await this.authenticate(token, context.source);
    } catch (err) {
      return { outcome: 'error', reason: `could not review the token: ${errorMessage(err)}` };
    }
    if ('notSent' in authn) return { outcome: 'throttled', reason: authn.reason, retryAfterMs: authn.retryAfterMs };
    if (!authn.ok) return { outcome: 'unauthenticated', reason: authn.reason };
    let authz: Authorization | NotSent;
    try {
      authz = await this.authorize(authn.user, attributesFor(authn.user));
    } catch (err) {
      return { outcome: 'error', user: authn.user, reason: `could not review the access: ${errorMessage(err)}` };
    }
    if ('notSent' in authz) return { outcome: 'throttled', user: authn.user, reason: authz.reason, retryAfterMs: authz.retryAfterMs };
    if (!authz.allowed) return { outcome: 'forbidden', user: authn.user, reason: authz.reason };
    return { outcome: 'allowed', user: authn.user, cached: { authentication: authn.cached, authorization: authz.cached } };
  }

  /** `source`: the caller's address, charged for a review the API server refuses (sourceLimit). */
  async authenticate(token: string, source?: string): Promise<Authentication | NotSent> {
    const key = createHash('sha256').update(token).digest('base64url');
    const hit = this.tokens.get(key);
    if (hit) return { ...hit, cached: true };
    const reviewKey = `t:${key}`;
    // Only a review that will be sent costs the source; joining one in flight is free.
    const charged = this.sources && source !== undefined && !this.inflight.has(reviewKey) ? source : undefined;
    if (charged !== undefined) {
      const taken = this.sources!.take(charged);
      if (!taken.ok) return { notSent: true, reason: `the API server refused too many tokens from ${charged} lately`, retryAfterMs: taken.retryAfterMs };
    }
    const answer = await this.shared(reviewKey, () => this.tokenReview(token));
    // Not sent, or authenticated: either way, not a refused token.
    if (charged !== undefined && ('notSent' in answer || answer.ok)) this.sources!.refund(charged);
    if ('notSent' in answer) return answer;
    const now = this.clock.now();
    if (answer.ok) {
      const exp = jwtExpiryMs(token);
      const ttl = Math.min(this.ttls.authenticatedMs, exp === undefined ? Number.POSITIVE_INFINITY : exp - now);
      if (ttl > 0) this.tokens.set(key, answer, { ttl });
    } else {
      this.tokens.set(key, answer, { ttl: this.ttls.unauthenticatedMs });
    }
    return { ...answer, cached: false };
  }

  async authorize(user: UserInfo, attributes: AccessAttributes): Promise<Authorization | NotSent> {
    const key = authorizationKey(user, attributes);
    const hit = this.decisions.get(key);
    if (hit) return { ...hit, cached: true };
    const answer = await this.shared(`a:${key}`, () => this.subjectAccessReview(user, attributes));
    if ('notSent' in answer) return answer;
    this.decisions.set(key, answer, { ttl: answer.allowed ? this.ttls.allowedMs : this.ttls.deniedMs });
    return { ...answer, cached: false };
  }

  /** Forgets every cached answer (tests; a caller that knows RBAC just changed). */
  clear(): void {
    this.tokens.clear();
    this.decisions.clear();
  }

  private async tokenReview(token: string): Promise<CachedAuthentication> {
    const review = await this.create<{ status?: TokenReviewStatus }>('/apis/authentication.k8s.io/v1/tokenreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token, ...(this.audiences.length > 0 ? { audiences: this.audiences } : {}) },
    });
    const s = review.status ?? {};
    if (s.authenticated !== true || !s.user?.username) return { ok: false, reason: s.error ? `token not authenticated: ${s.error}` : 'token not authenticated' };
    // The API server answers with the audiences the token is valid for among those asked; an
    // authenticator that ignores audiences answers none, and that is not good enough.
    if (this.audiences.length > 0 && !(s.audiences ?? []).some((a) => this.audiences.includes(a))) return { ok: false, reason: `token not valid for audience ${this.audiences.join(', ')}` };
    const user: UserInfo = { username: s.user.username, groups: s.user.groups ?? [] };
    if (s.user.uid) user.uid = s.user.uid;
    if (s.user.extra) user.extra = s.user.extra;
    return { ok: true, user };
  }

  private async subjectAccessReview(user: UserInfo, attributes: AccessAttributes): Promise<CachedAuthorization> {
    const spec: Record<string, unknown> = { user: user.username, groups: user.groups };
    if (user.uid) spec.uid = user.uid;
    if (user.extra) spec.extra = user.extra;
    if ('resource' in attributes) spec.resourceAttributes = attributes.resource;
    else spec.nonResourceAttributes = attributes.nonResource;
    const review = await this.create<{ status?: SubjectAccessReviewStatus }>('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec,
    });
    const s = review.status ?? {};
    const allowed = s.allowed === true && s.denied !== true;
    const reason = s.reason || s.evaluationError || (allowed ? 'allowed' : `${user.username} may not ${describe(attributes)}`);
    return { allowed, reason };
  }

  private async create<T>(path: string, body: unknown): Promise<T> {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1_000 });
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.rest.request<T>('POST', path, { body, timeoutMs: this.timeoutMs });
      } catch (err) {
        if (attempt >= this.attempts || !retryable(err)) throw err;
        await delay(backoff.next(this.clock.now()), undefined, this.clock);
      }
    }
  }

  private shared<T>(key: string, call: () => Promise<T>): Promise<T | NotSent> {
    const running = this.inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    // Refused at once: a queue would only hold the flood's sockets and answer it later.
    if (this.inflight.size >= this.maxInflight) return Promise.resolve({ notSent: true, reason: `${this.maxInflight} reviews with the API server are in flight already`, retryAfterMs: BUSY_RETRY_AFTER_MS });
    const p = call().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }
}

function describe(a: AccessAttributes): string {
  if ('nonResource' in a) return `${a.nonResource.verb} ${a.nonResource.path}`;
  const r = a.resource;
  const what = `${r.resource}${r.subresource ? `/${r.subresource}` : ''}${r.group ? `.${r.group}` : ''}`;
  return `${r.verb} ${what}${r.name ? ` ${r.name}` : ''}${r.namespace ? ` in namespace ${r.namespace}` : ''}`;
}

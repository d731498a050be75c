// The scaling API as a fastify plugin beside admission: GET and PUT an autoscaling/v1 Scale of one
// component of a Cluster. Kubernetes decides who may call it (TokenReview, SubjectAccessReview on
// clusters/scale), and the change is a patch of the Cluster, so the API server runs the same
// admission as for `kubectl apply`. Every call ends in one audit line and in the metrics.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { COMPONENT_KINDS, GROUP, KINDS, type ComponentName } from '../../api/v1alpha1/kinds.ts';
import { childName } from '../../controllers/desired/index.ts';
import { engulaResources } from '../../controllers/resources.ts';
import { ApiError, errorMessage, type AccessAttributes, type AccessDecision, type Client, type UserInfo } from '../../runtime/index.ts';
import type { RequestContext } from '../../runtime/auth/delegated-auth.ts';
import { accessRefusal, retryAfterSeconds, type Refused } from '../../runtime/auth/refusal.ts';
import { scalingMetrics } from './metrics.ts';
import { CallerRateLimiter, DEFAULT_RATE_LIMIT, type RateLimitSettings } from './rate-limit.ts';
import { componentSpecOf, FIELD_MANAGER, isComponent, parseScaleRequest, refusalOf, replicasPatch, SCALE_ROUTE, scaleOf } from './scale.ts';
import { failure, type Status } from './status.ts';

/** Every status code each method answers with; docs/scaling.openapi.yaml lists exactly these (a unit test checks). */
export const SCALE_RESPONSES = {
  GET: [200, 401, 403, 404, 429, 500, 503],
  PUT: [200, 400, 401, 403, 404, 409, 413, 422, 429, 500, 503],
} as const;

/** A Scale is a few hundred bytes; anything near this is not one. */
export const SCALE_BODY_LIMIT = 64 * 1024;

/** What the routes need of delegated auth (runtime's DelegatedAuth; a stub in unit tests). */
export interface AccessChecker {
  check(authorizationHeader: string | undefined, attributesFor: (user: UserInfo) => AccessAttributes, context?: RequestContext): Promise<AccessDecision>;
}

export interface ScalingRoutesOptions {
  /** Every replica's Client (no lease gate): the scaling API answers on standbys too. */
  client: Client;
  access: AccessChecker;
  rateLimit?: RateLimitSettings;
  metrics?: Registry;
  /** Per API call to read (default 10 s). */
  timeoutMs?: number;
  /**
   * For the patch (default 30 s): it runs the admission webhooks, and the API server retries it
   * on its own conflicts, so under load it takes longer than a read; giving up early would leave
   * the caller not knowing whether it was applied.
   */
  patchTimeoutMs?: number;
}

/** What one call did, gathered while it runs and written as one line when it ends. */
interface Audit {
  user?: string;
  groups?: string[];
  namespace?: string;
  cluster?: string;
  component?: string;
  from?: number;
  to?: unknown;
  resourceVersion?: string;
  reason?: string;
  cached?: { authentication: boolean; authorization: boolean };
}

interface Params {
  namespace: string;
  cluster: string;
  component: string;
}

type Json = Record<string, unknown>;

/** What a caller the access check turned away reads: the API server's words, and what to do. */
function accessRefusalStatus(code: number, decision: Refused, verb: string, p: Params): Status {
  switch (decision.outcome) {
    case 'unauthenticated':
      return failure(code, `Unauthorized: ${decision.reason}`);
    case 'throttled': {
      const seconds = retryAfterSeconds(decision.retryAfterMs);
      return failure(code, `too many scale calls: ${decision.reason}: retry in ${seconds} s`, { retryAfterSeconds: seconds });
    }
    case 'error':
      return failure(code, `the operator could not check the caller with the API server, retry: ${decision.reason}`);
    case 'forbidden':
      return failure(code, `${decision.user.username} cannot ${verb} resource "clusters/scale" in API group "${GROUP}" in the namespace "${p.namespace}": ${decision.reason}`, { group: GROUP, kind: 'clusters', name: p.cluster });
  }
}

export const scalingRoutes: FastifyPluginAsync<ScalingRoutesOptions> = async (app, opts) => {
  const metrics = opts.metrics && scalingMetrics(opts.metrics);
  const limiter = new CallerRateLimiter(opts.rateLimit ?? DEFAULT_RATE_LIMIT);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const patchTimeoutMs = opts.patchTimeoutMs ?? 30_000;
  const audits = new WeakMap<FastifyRequest, Audit>();
  const auditOf = (request: FastifyRequest): Audit => {
    let a = audits.get(request);
    if (!a) audits.set(request, (a = {}));
    return a;
  };

  // Whatever the content type says, a body is read as JSON, so "not JSON" is one clear 400
  // (this parser only applies inside this plugin; admission keeps its own).
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: SCALE_BODY_LIMIT }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(Object.assign(new Error(`the body is not JSON: ${errorMessage(err)}`), { statusCode: 400 }), undefined);
    }
  });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: SCALE_BODY_LIMIT }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(Object.assign(new Error(`the body is not JSON: ${errorMessage(err)}`), { statusCode: 400 }), undefined);
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const code = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (code === 500) request.log.error({ err }, 'scaling request failed');
    const message = code === 413 ? `the body is larger than ${SCALE_BODY_LIMIT} bytes: a Scale is a few hundred` : code === 500 ? 'internal error' : err.message;
    auditOf(request).reason = message;
    return reply.code(code).send(failure(code, message));
  });

  app.addHook('onResponse', async (request, reply) => {
    const method = request.method;
    const code = reply.statusCode;
    metrics?.requests.inc({ method, code: String(code) });
    metrics?.latency.observe({ method }, reply.elapsedTime / 1000);
    const documented: readonly number[] | undefined = (SCALE_RESPONSES as Record<string, readonly number[]>)[method];
    if (documented && !documented.includes(code)) request.log.error({ method, code }, 'the scaling API answered with a code docs/scaling.openapi.yaml does not list');
    const a = auditOf(request);
    const allowed = code === 200;
    request.log.info(
      {
        audit: 'scaling',
        method,
        user: a.user,
        groups: a.groups,
        namespace: a.namespace,
        cluster: a.cluster,
        component: a.component,
        from: a.from,
        to: a.to,
        resourceVersion: a.resourceVersion,
        code,
        allowed,
        ...(allowed ? {} : { reason: a.reason }),
        ...(a.cached ? { cached: a.cached } : {}),
        latencyMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      allowed ? 'scale call served' : 'scale call refused',
    );
  });

  const refuse = (reply: FastifyReply, a: Audit, status: Status, headers: Record<string, string> = {}): FastifyReply => {
    a.reason = status.message;
    return reply.code(status.code).headers(headers).send(status);
  };

  const tooMany = (reply: FastifyReply, a: Audit, why: string, retryAfterMs: number): FastifyReply => {
    const seconds = retryAfterSeconds(retryAfterMs);
    return refuse(reply, a, failure(429, `${why}: retry in ${seconds} s`, { retryAfterSeconds: seconds }), { 'Retry-After': String(seconds) });
  };

  /** Authenticates, rate-limits and authorizes; answers and returns false when the call stops here. */
  const admit = async (request: FastifyRequest, reply: FastifyReply, verb: 'get' | 'update'): Promise<false | Params> => {
    const p = request.params as Params;
    const a = auditOf(request);
    Object.assign(a, { namespace: p.namespace, cluster: p.cluster, component: p.component });
    let limited: number | undefined;
    // The socket's peer, never a header: a caller must not be able to pick its own bucket.
    const source = request.socket.remoteAddress;
    const decision = await opts.access.check(
      request.headers.authorization,
      (user) => {
        // Per caller, known once authenticated. A caller over its limit has just asked the same, so
        // its SubjectAccessReview is a cache hit and costs the API server nothing.
        const taken = limiter.take(user.username);
        if (!taken.ok) limited = taken.retryAfterMs;
        return { resource: { verb, group: GROUP, resource: KINDS.Cluster.plural, subresource: 'scale', namespace: p.namespace, name: p.cluster } };
      },
      source === undefined ? {} : { source },
    );
    if ('user' in decision && decision.user) Object.assign(a, { user: decision.user.username, groups: decision.user.groups });
    if (decision.outcome !== 'allowed') {
      if (decision.outcome === 'error') request.log.error({ reason: decision.reason }, 'delegated authentication or authorization failed');
      const { code, headers } = accessRefusal(decision);
      refuse(reply, a, accessRefusalStatus(code, decision, verb, p), headers);
      return false;
    }
    a.cached = decision.cached;
    if (limited !== undefined) {
      tooMany(reply, a, `too many scale calls from ${a.user}`, limited);
      return false;
    }
    if (!isComponent(p.component)) {
      refuse(reply, a, failure(404, `no component ${JSON.stringify(p.component)}: it is one of journal, storage, kernel, engine`));
      return false;
    }
    return p;
  };

  /** The Cluster and its component's spec; answers 404 and returns undefined when either is missing. */
  const readCluster = async (reply: FastifyReply, a: Audit, p: Params & { component: ComponentName }): Promise<Json | undefined> => {
    const cluster = await opts.client.get(engulaResources.Cluster, p.namespace, p.cluster, AbortSignal.timeout(timeoutMs));
    if (cluster === undefined) {
      refuse(reply, a, failure(404, `Cluster ${p.namespace}/${p.cluster} not found`, { group: GROUP, kind: KINDS.Cluster.plural, name: p.cluster }));
      return undefined;
    }
    const spec = componentSpecOf(cluster, p.component);
    if (!spec) {
      refuse(reply, a, failure(404, `Cluster ${p.namespace}/${p.cluster} has no ${p.component} in its spec: add it to the Cluster to scale it`, { group: GROUP, kind: KINDS.Cluster.plural, name: p.cluster }));
      return undefined;
    }
    if (typeof spec.replicas === 'number') a.from = spec.replicas;
    return cluster;
  };

  const readChild = (p: Params & { component: ComponentName }): Promise<Json | undefined> =>
    opts.client.get(engulaResources[COMPONENT_KINDS[p.component]], p.namespace, childName(p.cluster, p.component), AbortSignal.timeout(timeoutMs));

  /** The API server failed in a way a retry may fix: 503, so the caller retries rather than gives up. */
  const unavailable = (reply: FastifyReply, a: Audit, err: unknown): FastifyReply =>
    refuse(reply, a, failure(503, `the operator could not reach the API server, retry: ${errorMessage(err)}`));

  app.get(SCALE_ROUTE, async (request, reply) => {
    const a = auditOf(request);
    const p = await admit(request, reply, 'get');
    if (!p) return reply;
    const params = p as Params & { component: ComponentName };
    try {
      const cluster = await readCluster(reply, a, params);
      if (!cluster) return reply;
      const scale = scaleOf(cluster, params.component, await readChild(params));
      a.resourceVersion = scale.metadata.resourceVersion;
      return reply.code(200).send(scale);
    } catch (err) {
      return unavailable(reply, a, err);
    }
  });

  app.put(SCALE_ROUTE, { bodyLimit: SCALE_BODY_LIMIT }, async (request, reply) => {
    const a = auditOf(request);
    const p = await admit(request, reply, 'update');
    if (!p) return reply;
    const params = p as Params & { component: ComponentName };
    const wanted = parseScaleRequest(request.body, params.namespace, params.cluster);
    if (!wanted.ok) return refuse(reply, a, wanted.status);
    a.to = wanted.replicas;
    try {
      const cluster = await readCluster(reply, a, params);
      if (!cluster) return reply;
      // Already stale: say so without a patch. Versions only move forward, so a different one
      // now means a different one at the patch; the API server still decides for those that pass.
      const current = (cluster.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
      if (wanted.resourceVersion !== undefined && current !== undefined && wanted.resourceVersion !== current) {
        return refuse(reply, a, failure(409, `the Cluster ${params.cluster} changed since resourceVersion ${wanted.resourceVersion} (now ${current}): GET the Scale again and retry`, { group: GROUP, kind: KINDS.Cluster.plural, name: params.cluster }));
      }
      let patched: Json;
      try {
        const ops = replicasPatch(params.component, wanted.replicas, wanted.resourceVersion);
        patched = await opts.client.patch(engulaResources.Cluster, params.namespace, params.cluster, { type: 'json', ops }, { signal: AbortSignal.timeout(patchTimeoutMs), fieldManager: FIELD_MANAGER });
      } catch (err) {
        if (err instanceof ApiError) return refuse(reply, a, refusalOf(err, params.cluster, params.component));
        return refuse(reply, a, failure(503, `no answer from the API server to the patch, so it may or may not be applied: GET the Scale to see (${errorMessage(err)})`));
      }
      // The change is made: a failed read of the child only costs the status its freshness.
      const child = await readChild(params).catch((err: unknown) => {
        request.log.warn({ err: errorMessage(err) }, 'scaled, but could not read the child for the status');
        return undefined;
      });
      const scale = scaleOf(patched, params.component, child);
      a.resourceVersion = scale.metadata.resourceVersion;
      return reply.code(200).send(scale);
    } catch (err) {
      return unavailable(reply, a, err);
    }
  });
};

// The admission endpoints as a fastify plugin: parse the AdmissionReview, decide, answer. A body
// we cannot answer (not an AdmissionReview, no uid) is a 400; everything else is an AdmissionReview.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { GROUP, VERSION } from '../../api/v1alpha1/kinds.ts';
import { mutate, validate, type AdmissionDeps } from './handlers.ts';
import { deniedRequest, parseAdmissionReview, type AdmissionRequest, type AdmissionReviewResponse } from './review.ts';

const pathSuffix = `${GROUP.replaceAll('.', '-')}-${VERSION}`;
export const MUTATE_PATH = `/mutate-${pathSuffix}`;
export const VALIDATE_PATH = `/validate-${pathSuffix}`;

export interface AdmissionRoutesOptions extends AdmissionDeps {
  /** Where to register webhook metrics (controller-runtime's names); none when absent. */
  metrics?: Registry;
}

interface WebhookMetrics {
  latency: Histogram<'webhook'>;
  requests: Counter<'webhook' | 'code'>;
  inFlight: Gauge<'webhook'>;
}

function webhookMetrics(registry: Registry): WebhookMetrics {
  const existing = registry.getSingleMetric('controller_runtime_webhook_latency_seconds');
  if (existing) {
    return {
      latency: existing as Histogram<'webhook'>,
      requests: registry.getSingleMetric('controller_runtime_webhook_requests_total') as Counter<'webhook' | 'code'>,
      inFlight: registry.getSingleMetric('controller_runtime_webhook_requests_in_flight') as Gauge<'webhook'>,
    };
  }
  return {
    latency: new Histogram({
      name: 'controller_runtime_webhook_latency_seconds',
      help: 'Histogram of the latency of processing admission requests',
      labelNames: ['webhook'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    requests: new Counter({
      name: 'controller_runtime_webhook_requests_total',
      help: 'Total number of admission requests by HTTP status code',
      labelNames: ['webhook', 'code'],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'controller_runtime_webhook_requests_in_flight',
      help: 'Current number of admission requests being served',
      labelNames: ['webhook'],
      registers: [registry],
    }),
  };
}

export const admissionRoutes: FastifyPluginAsync<AdmissionRoutesOptions> = async (app, opts) => {
  const metrics = opts.metrics && webhookMetrics(opts.metrics);

  const route = (path: string, decide: (req: AdmissionRequest) => AdmissionReviewResponse | Promise<AdmissionReviewResponse>) => {
    app.post(path, async (request: FastifyRequest, reply: FastifyReply) => {
      const started = process.hrtime.bigint();
      metrics?.inFlight.inc({ webhook: path });
      try {
        const parsed = parseAdmissionReview(request.body);
        if (!parsed.ok && parsed.uid === undefined) {
          metrics?.requests.inc({ webhook: path, code: '400' });
          return reply.code(400).send({ message: parsed.message });
        }
        let answer: AdmissionReviewResponse;
        if (!parsed.ok) {
          answer = deniedRequest(parsed.uid, 400, parsed.message);
        } else {
          answer = await decide(parsed.request);
          const r = parsed.request;
          const log = { uid: r.uid, resource: r.resource.resource, subResource: r.subResource || undefined, namespace: r.namespace, name: r.name, operation: r.operation, user: r.username };
          if (answer.response.allowed) request.log.debug(log, 'admitted');
          else request.log.info({ ...log, reason: answer.response.status?.message }, 'refused');
        }
        metrics?.requests.inc({ webhook: path, code: '200' });
        return reply.code(200).send(answer);
      } finally {
        metrics?.inFlight.dec({ webhook: path });
        metrics?.latency.observe({ webhook: path }, Number(process.hrtime.bigint() - started) / 1e9);
      }
    });
  };

  route(MUTATE_PATH, (req) => mutate(req, opts));
  route(VALIDATE_PATH, (req) => validate(req, opts));
};

// Prometheus metrics of the scaling API, in the Manager's registry beside controller-runtime's.
import { Counter, Histogram, type Registry } from 'prom-client';

export interface ScalingMetrics {
  requests: Counter<'method' | 'code'>;
  latency: Histogram<'method'>;
}

const REQUESTS = 'engula_scaling_requests_total';
const LATENCY = 'engula_scaling_request_duration_seconds';

/** Registers the metrics once per registry (a second server on the same registry shares them). */
export function scalingMetrics(registry: Registry): ScalingMetrics {
  const requests = registry.getSingleMetric(REQUESTS) as Counter<'method' | 'code'> | undefined;
  const latency = registry.getSingleMetric(LATENCY) as Histogram<'method'> | undefined;
  if (requests && latency) return { requests, latency };
  return {
    requests: new Counter({ name: REQUESTS, help: 'Requests to the scaling API by method and HTTP status code', labelNames: ['method', 'code'], registers: [registry] }),
    latency: new Histogram({
      name: LATENCY,
      help: 'Time to answer a scaling API request, authentication and the Cluster patch included',
      labelNames: ['method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

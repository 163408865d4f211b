import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics; one registry per app so tests with several servers do not collide. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client's defaults include three gauges named *_total, a suffix Prometheus keeps for counters
  // (`promtool check metrics` rejects them); their per-type twins without the suffix stay, and sum to the same.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  return {
    registry,
    requests: new Counter({
      name: 'fmnist_http_requests_total',
      help: 'HTTP requests by route, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'fmnist_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    errors: new Counter({ name: 'fmnist_errors_total', help: 'Error responses by error code', labelNames: ['code'] as const, registers: [registry] }),
    batchSize: new Histogram({
      name: 'fmnist_batch_size',
      help: 'Images per session run of the dynamic batcher',
      labelNames: ['model'] as const,
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers: [registry],
    }),
    inference: new Histogram({
      name: 'fmnist_inference_duration_seconds',
      help: 'Session run time per batch',
      labelNames: ['model'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2],
      registers: [registry],
    }),
    queueDepth: new Gauge({ name: 'fmnist_queue_depth', help: 'Images waiting in the batcher', labelNames: ['model'] as const, registers: [registry] }),
    shed: new Counter({
      name: 'fmnist_shed_total',
      help: 'Requests refused with 503 because a queue or budget was full, by queue (decode, evaluate, inference, bodies)',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    cancelled: new Counter({
      name: 'fmnist_cancelled_total',
      help: 'Work stopped because the client went away, by stage (request, decode, evaluate, inference)',
      labelNames: ['stage'] as const,
      registers: [registry],
    }),
    timeouts: new Counter({
      name: 'fmnist_timeouts_total',
      help: 'Connections cut off by a timeout, by kind (body_idle: 408 for a stalled body)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    waiting: new Gauge({
      name: 'fmnist_work_queue_depth',
      help: 'Jobs waiting in a work queue (decode, evaluate)',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    inflightBodyBytes: new Gauge({ name: 'fmnist_inflight_body_bytes', help: 'Request body bytes reserved by requests being received', registers: [registry] }),
    images: new Counter({ name: 'fmnist_images_classified_total', help: 'Images classified by model', labelNames: ['model'] as const, registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** One answered request in the per-route counters and latency histogram: the app's answers and those given before it (shed-before-app.ts). */
export function recordRequest(metrics: Metrics, route: string, method: string, status: number, startedMs: number): void {
  metrics.requests.inc({ route, method, status: String(status) });
  metrics.latency.observe({ route }, (performance.now() - startedMs) / 1000);
}

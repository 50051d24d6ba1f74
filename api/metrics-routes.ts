import type { FastifyInstance } from 'fastify';
import { bearerGuard } from './bearer-auth';
import type { Metrics } from './metrics';

export interface MetricsRoutesDeps {
  metrics: Metrics;
  /** METRICS_TOKEN: when set, /metrics answers only to it; unset, /metrics is public as Prometheus expects. */
  token?: string;
}

/** `/metrics`: the process's Prometheus registry. */
export async function metricsRoutes(app: FastifyInstance, deps: MetricsRoutesDeps): Promise<void> {
  if (deps.token) bearerGuard(app, { full: deps.token }, { what: 'metrics', disabledReason: 'metrics are disabled' });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}

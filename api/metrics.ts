import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus registry of one process, with the counters its parts update. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests served by the api, by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    telegramUpdates: new Counter({
      name: 'telegram_updates_total',
      help: 'Telegram updates received, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

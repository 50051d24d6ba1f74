import type { FastifyInstance } from 'fastify';

export interface HealthChecks {
  /** Resolves when Postgres answers. */
  postgres(): Promise<void>;
  /** Resolves when the Temporal frontend answers. */
  temporal(): Promise<void>;
  /** How long a check may take before it counts as down (3 s: a load balancer's probe must not hang). */
  timeoutMs?: number;
}

const CHECK_TIMEOUT_MS = 3000;

/**
 * `/health`: 200 `{ status: 'ok' }` when Postgres and Temporal both answer, else 503
 * `{ status: 'unavailable' }`. It is public, so what is down and why (a host, a user name in a
 * driver's message) goes to the log only.
 */
export async function healthRoutes(app: FastifyInstance, checks: HealthChecks): Promise<void> {
  app.get('/health', async (request, reply) => {
    const [postgres, temporal] = await Promise.all([probe(checks.postgres, checks.timeoutMs), probe(checks.temporal, checks.timeoutMs)]);
    const ok = postgres === 'ok' && temporal === 'ok';
    if (!ok) request.log.warn({ postgres, temporal }, 'health check failed');
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable' });
  });
}

async function probe(check: () => Promise<void>, timeoutMs = CHECK_TIMEOUT_MS): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch (error) {
    return `down: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  } finally {
    clearTimeout(timer);
  }
}

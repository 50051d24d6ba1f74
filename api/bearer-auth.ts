import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The tokens one group of routes accepts: `full` may do anything, `read` only GET (and HEAD). */
export interface BearerTokens {
  full: string | undefined;
  read?: string;
}

/** What a request's bearer token allows on these routes. */
export type Grant = 'full' | 'read' | 'none';

/** How many wrong tokens a client may present per window before it gets 429 (see `bearerGuard`). */
export interface BadTokenLimit {
  max: number;
  timeWindowMs: number;
}

export const DEFAULT_BAD_TOKEN_LIMIT: BadTokenLimit = { max: 10, timeWindowMs: 60_000 };

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compared as digests so that neither the length nor the content leaks through timing. */
function sameToken(presented: string, expected: string | undefined): boolean {
  return !!presented && !!expected && timingSafeEqual(digest(presented), digest(expected));
}

export function grantOf(request: FastifyRequest, tokens: BearerTokens): Grant {
  const presented = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim() ?? '';
  if (sameToken(presented, tokens.full)) return 'full';
  if (sameToken(presented, tokens.read)) return 'read';
  return 'none';
}

const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * Guards every route of this plugin with bearer tokens: no token configured at all → 503 naming
 * `disabledReason`; a wrong or missing token → 401, and once a client (by IP) has presented more
 * wrong tokens than the limit allows in the window → 429 with retry-after, counted by
 * @fastify/rate-limit's store (shared by every guarded route, registered in `buildApi`); a read-only
 * token on anything but GET → 403. A right token is never slowed down.
 */
export function bearerGuard(app: FastifyInstance, tokens: BearerTokens, options: { what: string; disabledReason: string }): void {
  const countWrongToken = app.createRateLimit();
  app.addHook('onRequest', async (request, reply) => {
    if (!tokens.full && !tokens.read) return reply.code(503).send({ error: options.disabledReason });
    const grant = grantOf(request, tokens);
    if (grant === 'none') {
      const limit = await countWrongToken(request);
      if (!limit.isAllowed && limit.isExceeded) {
        request.log.warn({ url: request.url, ip: request.ip }, `${options.what} request refused: too many wrong tokens`);
        return reply
          .code(429)
          .header('retry-after', String(limit.ttlInSeconds))
          .send({ error: `too many wrong tokens from this address; try again in ${limit.ttlInSeconds} s` });
      }
      request.log.warn({ url: request.url, ip: request.ip }, `${options.what} request refused: bad token`);
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'a valid bearer token is required' });
    }
    if (grant === 'read' && !READ_METHODS.has(request.method)) {
      request.log.warn({ url: request.url, method: request.method, ip: request.ip }, `${options.what} request refused: read-only token`);
      return reply.code(403).send({ error: 'this token can only read' });
    }
  });
}

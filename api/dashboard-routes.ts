import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';

const FILES = {
  '/dashboard': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
} as const;

/**
 * The web dashboard: a static page and its script, which hold no data. The page asks for the token
 * and calls `/analytics` with it, so nothing here needs protecting; the policy lets the page load
 * only its own script, style and data.
 */
export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  for (const [url, { file, type }] of Object.entries(FILES)) {
    const body = readFileSync(join(__dirname, 'dashboard', file));
    app.get(url, async (_request, reply) =>
      reply
        .type(type)
        .header('content-security-policy', "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob: data:; form-action 'self'; frame-ancestors 'none'")
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-cache')
        .send(body),
    );
  }
}

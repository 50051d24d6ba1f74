import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Provider signatures cover the exact bytes: a provider's plugin parses nothing before its check
 * (this plugin's routes only).
 */
export function keepRawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
}

export function rawBodyOf(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

export function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Constant-time comparison; different lengths are simply a mismatch. */
export function sameBytes(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The media type of a request, lower-case, without parameters. */
export function mediaTypeOf(request: FastifyRequest): string {
  return (headerOf(request, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
}

/** An amount as providers write it ("100.00", "100,00", 100): NaN when it is none. */
export function parseAmount(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || !/^\d{1,12}([.,]\d{1,6})?$/.test(value.trim())) return Number.NaN;
  return Number(value.trim().replace(',', '.'));
}

/** Our order id as a provider echoes it back: digits only, or null. */
export function parseOrderId(value: unknown): number | null {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!/^\d{1,15}$/.test(text)) return null;
  const id = Number(text);
  return id > 0 ? id : null;
}

/** Postgres keeps no NUL in text or jsonb. */
export function holdsNul(text: string): boolean {
  return text.includes('\u0000');
}

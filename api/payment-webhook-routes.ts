import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { PaymentWorkflowsPort } from '../bot/payments/payment-workflows';
import { recordPaymentWebhook, type WebhookOutcome } from '../db/orders';
import { applyPaymentNotice } from './payments/payment-notice';

export const PAYMENT_WEBHOOK_PATH = '/payments/webhook';
export const PAYMENT_SIGNATURE_HEADER = 'x-payment-signature';

export interface PaymentWebhookDeps {
  secret: string;
  db: Knex;
  logger: Logger;
  workflows: PaymentWorkflowsPort;
}

/** What the payment provider posts (see docs/payments.md): a payment for an order succeeded or failed. */
const webhookBody = z.object({
  order_id: z.union([z.number().int().positive(), z.string().regex(/^\d{1,15}$/).transform(Number)]),
  status: z.enum(['paid', 'failed']),
  amount: z.union([z.number(), z.string().regex(/^\d+(\.\d+)?$/).transform(Number)]),
  currency: z.string().regex(/^[A-Z]{3,5}$/),
  payment_id: z.string().max(200).optional(),
  reason: z.string().max(500).optional(),
  /** Which payment of an instalment order (the link of a later one carries `instalment=<n>`); 1 when absent. */
  instalment: z.union([z.number().int().min(1).max(3), z.string().regex(/^[1-3]$/).transform(Number)]).optional(),
});

/** `sha256=<hex>` (or the bare hex): HMAC-SHA256 of the raw body with PAYMENT_WEBHOOK_SECRET. */
export function paymentSignature(secret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

function signatureMatches(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const given = Buffer.from(header.trim().replace(/^sha256=/i, ''), 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  // Different lengths would end timingSafeEqual with an error; they are simply a mismatch.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Whether any string (or key) of a parsed JSON body holds U+0000. */
function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(holdsNul);
  if (value !== null && typeof value === 'object') return Object.entries(value).some(([key, item]) => key.includes('\u0000') || holdsNul(item));
  return false;
}

/**
 * The payment provider's webhook. The signature is checked over the raw bytes before anything
 * else; every signed request is recorded in `payment_webhooks` with what became of it (unsigned
 * ones only in the log: storing them would let anyone fill the table).
 */
export async function paymentWebhookRoutes(app: FastifyInstance, deps: PaymentWebhookDeps): Promise<void> {
  // The signature covers the exact bytes: parse nothing before it is checked (this plugin only).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(PAYMENT_WEBHOOK_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const text = raw.toString('utf8');
    const record = (outcome: WebhookOutcome, orderId?: number) =>
      recordPaymentWebhook(deps.db, { outcome, orderId, body: text.replaceAll('\u0000', ''), remoteAddress: request.ip });
    const log = deps.logger.child({ route: PAYMENT_WEBHOOK_PATH });

    const header = request.headers[PAYMENT_SIGNATURE_HEADER];
    if (!signatureMatches(deps.secret, raw, Array.isArray(header) ? header[0] : header)) {
      // Not stored: anyone can post here, and each forged body would be a row of up to 4 KB.
      log.warn({ ip: request.ip, signed: header !== undefined, bytes: raw.length }, 'payment webhook refused: bad or missing signature');
      return reply.code(401).send({ error: 'bad signature' });
    }
    // Postgres stores no NUL in text or jsonb: refused with the reason rather than failing on the insert.
    const nulRefusal = 'invalid body: it holds a NUL character (\\u0000), which no field may contain';
    if (text.includes('\u0000')) {
      await record('invalid_body');
      return reply.code(400).send({ error: nulRefusal });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      await record('not_json');
      return reply.code(400).send({ error: 'body is not JSON' });
    }
    if (holdsNul(json)) {
      await record('invalid_body');
      return reply.code(400).send({ error: nulRefusal });
    }
    const parsed = webhookBody.safeParse(json);
    if (!parsed.success) {
      await record('invalid_body');
      const problem = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      return reply.code(400).send({ error: `invalid body: ${problem}` });
    }
    const body = parsed.data;
    const notice = {
      orderId: body.order_id,
      instalment: body.instalment,
      status: body.status,
      amount: body.amount,
      currency: body.currency,
      paymentId: body.payment_id,
      reason: body.reason,
      providerPayload: json as Record<string, unknown>,
    };
    const outcome = await applyPaymentNotice(deps, notice, { body: text, rawBody: raw, remoteAddress: request.ip });
    switch (outcome.result) {
      case 'unknown_order':
        return reply.code(404).send({ error: `unknown order ${body.order_id}` });
      case 'no_instalment':
        return reply.code(400).send({ error: `order ${body.order_id} has no instalment ${body.instalment}` });
      default:
        return reply.code(200).send(outcome);
    }
  });
}

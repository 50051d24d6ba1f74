import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { PaymentWorkflowsPort } from '../bot/payment-workflows';
import { findOrder, flagOrder, recordPaymentWebhook, type WebhookOutcome } from '../db/orders';
import { amountsMatch, formatAmount, isPayable } from '../domain/payments';

export const PAYMENT_WEBHOOK_PATH = '/payments/webhook';
export const PAYMENT_SIGNATURE_HEADER = 'x-payment-signature';

export interface PaymentWebhookDeps {
  secret: string;
  db: Knex;
  logger: Logger;
  workflows: PaymentWorkflowsPort;
}

/** What the payment provider posts (see the README): a payment for an order succeeded or failed. */
const webhookBody = z.object({
  order_id: z.union([z.number().int().positive(), z.string().regex(/^\d{1,15}$/).transform(Number)]),
  status: z.enum(['paid', 'failed']),
  amount: z.union([z.number(), z.string().regex(/^\d+(\.\d+)?$/).transform(Number)]),
  currency: z.string().regex(/^[A-Z]{3,5}$/),
  payment_id: z.string().max(200).optional(),
  reason: z.string().max(500).optional(),
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

/**
 * The payment provider's webhook. The signature is checked over the raw bytes before anything
 * else; every request is recorded in `payment_webhooks` with what became of it.
 */
export async function paymentWebhookRoutes(app: FastifyInstance, deps: PaymentWebhookDeps): Promise<void> {
  // The signature covers the exact bytes: parse nothing before it is checked (this plugin only).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(PAYMENT_WEBHOOK_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const text = raw.toString('utf8');
    const record = (outcome: WebhookOutcome, orderId?: number) =>
      recordPaymentWebhook(deps.db, { outcome, orderId, body: text, remoteAddress: request.ip });
    const log = deps.logger.child({ route: PAYMENT_WEBHOOK_PATH });

    const header = request.headers[PAYMENT_SIGNATURE_HEADER];
    if (!signatureMatches(deps.secret, raw, Array.isArray(header) ? header[0] : header)) {
      await record('bad_signature');
      log.warn({ ip: request.ip, signed: header !== undefined }, 'payment webhook refused: bad or missing signature');
      return reply.code(401).send({ error: 'bad signature' });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      await record('not_json');
      return reply.code(400).send({ error: 'body is not JSON' });
    }
    const parsed = webhookBody.safeParse(json);
    if (!parsed.success) {
      await record('invalid_body');
      const problem = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      return reply.code(400).send({ error: `invalid body: ${problem}` });
    }
    const body = parsed.data;
    const order = await findOrder(deps.db, body.order_id);
    if (!order) {
      await record('unknown_order', undefined);
      log.warn({ orderId: body.order_id }, 'payment webhook for an unknown order');
      return reply.code(404).send({ error: `unknown order ${body.order_id}` });
    }
    const orderId = Number(order.id);
    const providerPayload = json as Record<string, unknown>;

    if (order.status === 'paid' || order.status === 'refunded') {
      await record('duplicate', orderId);
      return reply.code(200).send({ result: 'duplicate', status: order.status });
    }
    const expected = Number(order.amount);
    const mismatch =
      body.status === 'paid' && (body.currency !== order.currency || !amountsMatch(expected, body.amount))
        ? `paid ${formatAmount(body.amount, body.currency)} instead of ${formatAmount(expected, order.currency)} (webhook)`
        : undefined;
    if (mismatch || (body.status === 'paid' && !isPayable(order.status))) {
      const reason = mismatch ?? `paid after the order was ${order.status} (webhook)`;
      await flagOrder(deps.db, orderId, reason, providerPayload);
      await record(mismatch ? 'amount_mismatch' : 'order_closed', orderId);
      log.warn({ orderId, reason }, 'payment flagged for a manager');
      await deps.workflows.flagged(orderId, reason);
      return reply.code(200).send({ result: 'flagged', reason });
    }
    if (body.status === 'failed') {
      await record('failed', orderId);
      await deps.workflows.failed(orderId, { reason: body.reason ?? 'declined by the provider', providerPayload });
      return reply.code(200).send({ result: 'accepted' });
    }
    const delivered = await deps.workflows.paid(orderId, { via: 'webhook', amount: body.amount, currency: body.currency, providerPayload });
    if (delivered) {
      await record('paid', orderId);
      return reply.code(200).send({ result: 'accepted' });
    }
    // The workflow ended between our read and the signal: the order tells what happened.
    const now = await findOrder(deps.db, orderId);
    if (now?.status === 'paid' || now?.status === 'refunded') {
      await record('duplicate', orderId);
      return reply.code(200).send({ result: 'duplicate', status: now.status });
    }
    const reason = `paid after the order was ${now?.status ?? 'gone'} (webhook)`;
    await flagOrder(deps.db, orderId, reason, providerPayload);
    await record('order_closed', orderId);
    log.warn({ orderId, reason }, 'payment flagged for a manager');
    return reply.code(200).send({ result: 'flagged', reason });
  });
}

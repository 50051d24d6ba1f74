import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { PaymentWorkflowsPort } from '../bot/payments/payment-workflows';
import { findInstalment, type InstalmentRow } from '../db/instalments';
import { failureEventSeen, findOrder, flagOrder, otherPaymentHandedOver, recordPaymentWebhook, type OrderRow, type WebhookOutcome } from '../db/orders';
import { isPayable, webhookVerdict, type PaymentTarget } from '../domain/payments/payments';

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

/** What a webhook for payment `instalment` (absent: the order's first or only payment) is about, as Postgres has it. */
function paymentTarget(order: OrderRow, instalment: InstalmentRow | undefined): PaymentTarget {
  const paidId = (payload: Record<string, unknown> | null) => (typeof payload?.payment_id === 'string' ? payload.payment_id : undefined);
  if (!instalment) {
    const state = order.status === 'paid' || order.status === 'refunded' ? 'paid' : isPayable(order.status) ? 'open' : 'closed';
    return { state, closedAs: order.status, amount: Number(order.amount), currency: order.currency, paidPaymentId: paidId(order.provider_payload) };
  }
  const base = { amount: Number(instalment.amount), currency: instalment.currency };
  if (instalment.status === 'paid') return { ...base, state: 'paid', paidPaymentId: paidId(instalment.provider_payload) };
  if (order.status !== 'paid') return { ...base, state: 'closed', closedAs: order.status === 'refunded' ? 'refunded' : `${order.status}, its first payment missing` };
  if (instalment.status === 'cancelled') return { ...base, state: 'closed', closedAs: 'written off' };
  return { ...base, state: 'open' };
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
    const n = body.instalment ?? 1;
    const order = await findOrder(deps.db, body.order_id);
    if (!order) {
      await record('unknown_order', undefined);
      log.warn({ orderId: body.order_id }, 'payment webhook for an unknown order');
      return reply.code(404).send({ error: `unknown order ${body.order_id}` });
    }
    const orderId = Number(order.id);
    const providerPayload = json as Record<string, unknown>;
    const instalment = n > 1 ? await findInstalment(deps.db, orderId, n) : undefined;
    if (n > 1 && !instalment) {
      await record('invalid_body', orderId);
      return reply.code(400).send({ error: `order ${orderId} has no instalment ${n}` });
    }
    const target = paymentTarget(order, instalment);
    const seenFailure = body.status === 'failed' && body.payment_id !== undefined && (await failureEventSeen(deps.db, orderId, body.payment_id));
    const verdict = webhookVerdict(target, { status: body.status, amount: body.amount, currency: body.currency, paymentId: body.payment_id }, seenFailure);
    const recordAs = (outcome: WebhookOutcome) =>
      recordPaymentWebhook(deps.db, { outcome, orderId, body: text, remoteAddress: request.ip, providerEventId: body.payment_id, instalment: n });
    // The same payment id (or the same bytes) names the same money: one notice however often it comes.
    const paymentKey = body.payment_id ?? createHash('sha256').update(raw).digest('hex').slice(0, 16);
    const tellManagersLate = async (reason: string) => {
      const told = await deps.workflows.paidAfterClose({ orderId, reason }, paymentKey.slice(0, 100));
      log.warn({ orderId, reason, told }, 'money for a closed order: flagged, managers told');
    };

    switch (verdict.kind) {
      case 'duplicate':
        await recordAs('duplicate');
        return reply.code(200).send({ result: 'duplicate', status: instalment?.status ?? order.status });
      case 'mismatch': {
        await flagOrder(deps.db, orderId, verdict.reason, providerPayload);
        await recordAs('amount_mismatch');
        log.warn({ orderId, reason: verdict.reason }, 'payment flagged for a manager');
        const heard = target.state === 'open' && (await deps.workflows.flagged(orderId, verdict.reason));
        if (!heard) await tellManagersLate(verdict.reason);
        return reply.code(200).send({ result: 'flagged', reason: verdict.reason });
      }
      case 'closed':
        await flagOrder(deps.db, orderId, verdict.reason, providerPayload);
        await recordAs('order_closed');
        await tellManagersLate(verdict.reason);
        return reply.code(200).send({ result: 'flagged', reason: verdict.reason });
      case 'failed':
        await recordAs('failed');
        await deps.workflows.failed(orderId, { reason: body.reason ?? 'declined by the provider', providerPayload });
        return reply.code(200).send({ result: 'accepted' });
      case 'paid':
        break;
    }
    // Another payment id already went to the workflow for this payment (not recorded on the order yet):
    // this one is a second charge. The workflow would flag it too; here the provider hears it at once.
    const first = body.payment_id === undefined ? undefined : await otherPaymentHandedOver(deps.db, orderId, n, body.payment_id);
    if (first !== undefined) {
      const reason = `paid again (payment ${body.payment_id}) while payment ${first} was being fulfilled (webhook)`;
      await flagOrder(deps.db, orderId, reason);
      await recordAs('second_payment');
      await tellManagersLate(reason);
      return reply.code(200).send({ result: 'flagged', reason });
    }
    const confirmation = { via: 'webhook' as const, amount: body.amount, currency: body.currency, providerPayload, ...(n > 1 && { instalment: n }) };
    if (await deps.workflows.paid(orderId, confirmation)) {
      await recordAs('paid');
      return reply.code(200).send({ result: 'accepted' });
    }
    // The workflow ended between our read and the signal: Postgres tells what happened.
    const now = await findOrder(deps.db, orderId);
    const nowTarget = now ? paymentTarget(now, n > 1 ? await findInstalment(deps.db, orderId, n) : undefined) : undefined;
    if (nowTarget?.state === 'paid') {
      await recordAs('duplicate');
      return reply.code(200).send({ result: 'duplicate', status: now?.status });
    }
    const reason = `paid after the order was ${nowTarget?.closedAs ?? now?.status ?? 'gone'} (webhook)`;
    await flagOrder(deps.db, orderId, reason, providerPayload);
    await recordAs('order_closed');
    await tellManagersLate(reason);
    return reply.code(200).send({ result: 'flagged', reason });
  });
}

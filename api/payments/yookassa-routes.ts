import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { flagOrder, recordPaymentWebhook } from '../../db/orders';
import { formatAmount } from '../../domain/payments/payments';
import { flagMoneyForNoOrder } from './money-for-no-order';
import { applyPaymentNotice, noticeTarget, type PaymentNoticeDeps } from './payment-notice';
import { holdsNul, keepRawBodies, parseAmount, parseOrderId, rawBodyOf } from './raw-body';
import { YooKassaApiError, type YooKassaApi, type YooKassaPayment } from './yookassa-api';
import { isYooKassaAddress } from './yookassa-addresses';

export const YOOKASSA_WEBHOOK_PATH = '/payments/yookassa/webhook';

export interface YooKassaDeps extends PaymentNoticeDeps {
  api: YooKassaApi;
  /** YOOKASSA_CHECK_IP: only YooKassa's published addresses may post (request.ip, which honours TRUST_PROXY). */
  checkIp: boolean;
}

/** A notification (yookassa.ru/developers/using-api/webhooks): only the event and the object's id are trusted, and only after the API confirms them. */
const notificationBody = z.object({
  type: z.literal('notification'),
  event: z.string().max(100),
  object: z.object({ id: z.string().regex(/^[\w-]{1,100}$/) }).loose(),
});

/** Our order and payment, as the payment's metadata names them (set when the payment was created). */
function orderOf(payment: YooKassaPayment): { orderId: number | null; instalment?: number } {
  const n = Number(payment.metadata?.instalment);
  return { orderId: parseOrderId(payment.metadata?.order_id), instalment: Number.isInteger(n) && n >= 1 && n <= 3 ? n : undefined };
}

export async function yooKassaRoutes(app: FastifyInstance, deps: YooKassaDeps): Promise<void> {
  keepRawBodies(app);
  const log = deps.logger.child({ route: YOOKASSA_WEBHOOK_PATH });

  app.post(YOOKASSA_WEBHOOK_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    if (deps.checkIp && !isYooKassaAddress(request.ip)) {
      // Not stored: the notifications are unsigned, and anyone may post here.
      log.warn({ ip: request.ip }, 'YooKassa notification refused: not from a YooKassa address');
      return reply.code(403).send({ error: 'not from a YooKassa address' });
    }
    const raw = rawBodyOf(request);
    const text = raw.toString('utf8');
    let parsed: z.infer<typeof notificationBody> | undefined;
    try {
      const result = holdsNul(text) ? undefined : notificationBody.safeParse(JSON.parse(text));
      parsed = result?.success ? result.data : undefined;
    } catch {
      parsed = undefined;
    }
    if (!parsed) return reply.code(400).send({ error: 'invalid body: expected a YooKassa notification (type, event, object.id)' });
    const { event } = parsed;
    const id = parsed.object.id;
    const recorded = `yookassa ${event}: ${text}`;

    // Nothing in the body is believed: the API says what the payment (or refund) is.
    const confirmed = async <T>(ask: () => Promise<T>): Promise<{ value: T } | { refusal: FastifyReply }> => {
      try {
        return { value: await ask() };
      } catch (error) {
        if (error instanceof YooKassaApiError && error.status === 404) {
          log.warn({ ip: request.ip, event, id }, 'YooKassa notification refused: the API has no such object');
          return { refusal: reply.code(404).send({ error: `YooKassa has no ${event.split('.')[0]} ${id}` }) };
        }
        // Our keys are wrong, or YooKassa is down: an error, so YooKassa sends it again later.
        log.error({ err: error, event, id }, 'YooKassa notification not confirmed: the API did not answer');
        return { refusal: reply.code(502).send({ error: 'could not confirm the notification with the YooKassa API' }) };
      }
    };

    if (event === 'refund.succeeded') {
      const askedRefund = await confirmed(() => deps.api.getRefund(id));
      if ('refusal' in askedRefund) return askedRefund.refusal;
      const refund = askedRefund.value;
      if (refund.status !== 'succeeded') return reply.code(409).send({ error: `YooKassa says refund ${id} is ${refund.status}` });
      const askedPayment = await confirmed(() => deps.api.getPayment(refund.payment_id));
      if ('refusal' in askedPayment) return askedPayment.refusal;
      const payment = askedPayment.value;
      const { orderId } = orderOf(payment);
      const order = orderId === null ? undefined : await noticeTarget(deps.db, orderId, 1);
      if (!order) {
        await recordPaymentWebhook(deps.db, { outcome: 'unknown_order', body: recorded, remoteAddress: request.ip, providerEventId: refund.id });
        return reply.code(200).send({ result: 'unknown_order' });
      }
      // A refund made in the YooKassa dashboard: the order stays as it is, the managers see it flagged.
      const reason = `refunded ${formatAmount(parseAmount(refund.amount.value), refund.amount.currency)} at YooKassa (refund ${refund.id} of payment ${payment.id})`;
      await flagOrder(deps.db, Number(order.order.id), reason, { provider: 'yookassa', payment_id: refund.id, refund, payment_status: payment.status });
      await recordPaymentWebhook(deps.db, { outcome: 'refund_noted', orderId: Number(order.order.id), body: recorded, remoteAddress: request.ip, providerEventId: refund.id });
      return reply.code(200).send({ result: 'flagged', reason });
    }
    if (event !== 'payment.succeeded' && event !== 'payment.canceled') return reply.code(200).send({ result: 'ignored', event });

    const asked = await confirmed(() => deps.api.getPayment(id));
    if ('refusal' in asked) return asked.refusal;
    const payment = asked.value;
    const expected = event === 'payment.succeeded' ? 'succeeded' : 'canceled';
    if (payment.status !== expected) {
      log.warn({ ip: request.ip, event, id, status: payment.status }, 'YooKassa notification refused: the API does not confirm it');
      return reply.code(409).send({ error: `YooKassa says payment ${id} is ${payment.status}, not ${expected}` });
    }
    const { orderId, instalment } = orderOf(payment);
    if (orderId === null) {
      await recordPaymentWebhook(deps.db, { outcome: 'unknown_order', body: recorded, remoteAddress: request.ip, providerEventId: payment.id });
      log.warn({ paymentId: payment.id }, 'YooKassa payment without our order number in its metadata');
      if (event === 'payment.succeeded') {
        const money = { amount: parseAmount(payment.amount.value), currency: payment.amount.currency };
        await flagMoneyForNoOrder(deps, { via: 'yookassa', paymentId: payment.id, ...money, payload: { ...payment, provider: 'yookassa' } });
      }
      return reply.code(200).send({ result: 'unknown_order' });
    }
    const notice = {
      orderId,
      instalment,
      status: expected === 'succeeded' ? ('paid' as const) : ('failed' as const),
      amount: parseAmount(payment.amount.value),
      currency: payment.amount.currency,
      paymentId: payment.id,
      reason: payment.cancellation_details?.reason ? `declined by YooKassa: ${payment.cancellation_details.reason}` : undefined,
      providerPayload: { ...payment, provider: 'yookassa', payment_id: payment.id },
    };
    const outcome = await applyPaymentNotice(deps, notice, { body: recorded, rawBody: raw, remoteAddress: request.ip });
    log.info({ orderId, event, result: outcome.result }, 'YooKassa notification');
    // 200 for every outcome (recorded, flagged as needed): anything else and YooKassa sends it again for a day.
    return reply.code(200).send(outcome);
  });
}

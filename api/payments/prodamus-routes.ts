import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordPaymentWebhook, type WebhookOutcome } from '../../db/orders';
import { flagMoneyForNoOrder } from './money-for-no-order';
import { applyPaymentNotice, type PaymentNoticeDeps } from './payment-notice';
import { phpFormFields, prodamusSignature, type PhpArray } from './prodamus-sign';
import { headerOf, holdsNul, keepRawBodies, mediaTypeOf, parseAmount, parseOrderId, rawBodyOf, sameBytes } from './raw-body';

export const PRODAMUS_WEBHOOK_PATH = '/payments/prodamus/webhook';

export interface ProdamusDeps extends PaymentNoticeDeps {
  /** The payment page's secret key (Prodamus dashboard → Настройки → секретный ключ). */
  secretKey: string;
}

/** The form's fields, form-encoded or multipart/form-data (Prodamus sends either); null when unreadable. */
async function formPairs(mediaType: string, contentType: string, raw: Buffer): Promise<[string, string][] | null> {
  if (mediaType === 'application/x-www-form-urlencoded') return [...new URLSearchParams(raw.toString('utf8'))];
  if (mediaType === 'multipart/form-data') {
    try {
      const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
      return [...form.entries()].filter((entry): entry is [string, string] => typeof entry[1] === 'string');
    } catch {
      return null;
    }
  }
  return null;
}

const text = (fields: PhpArray, key: string) => (typeof fields[key] === 'string' ? (fields[key] as string).trim() : undefined);

/** Prodamus' payment statuses: `success` is money; a cancelled or denied order is a failed payment. */
const FAILED_STATUSES = ['order_canceled', 'order_denied'];

export async function prodamusRoutes(app: FastifyInstance, deps: ProdamusDeps): Promise<void> {
  keepRawBodies(app);
  const log = deps.logger.child({ route: PRODAMUS_WEBHOOK_PATH });

  app.post(PRODAMUS_WEBHOOK_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    const raw = rawBodyOf(request);
    const body = raw.toString('utf8');
    const pairs = holdsNul(body) ? null : await formPairs(mediaTypeOf(request), headerOf(request, 'content-type') ?? '', raw);
    const fields = pairs ? phpFormFields(pairs) : null;
    const sign = headerOf(request, 'sign')?.trim().toLowerCase() ?? '';
    // The signature is over the fields, not the bytes: it is checked before anything is kept.
    if (!fields || !/^[0-9a-f]{64}$/.test(sign) || !sameBytes(Buffer.from(sign, 'hex'), Buffer.from(prodamusSignature(deps.secretKey, fields), 'hex'))) {
      log.warn({ ip: request.ip, signed: sign !== '', readable: fields !== null, bytes: raw.length }, 'Prodamus notification refused: bad or missing Sign');
      return reply.code(401).send({ error: 'bad signature' });
    }
    const recorded = `prodamus: ${JSON.stringify(fields)}`;
    const record = (outcome: WebhookOutcome, extra: { orderId?: number; providerEventId?: string } = {}) =>
      recordPaymentWebhook(deps.db, { outcome, body: recorded, remoteAddress: request.ip, ...extra });
    // Our order number comes back as `order_num` (the link's `order_id`); Prodamus' own number is `order_id`.
    const prodamusId = text(fields, 'order_id');
    const paymentId = prodamusId?.slice(0, 200) || undefined;
    const orderId = parseOrderId(fields.order_num);
    const amount = parseAmount(fields.sum);
    const status = text(fields, 'payment_status') ?? '';
    if (!paymentId || !Number.isFinite(amount) || status === '') {
      await record('invalid_body');
      return reply.code(400).send({ error: 'invalid body: order_id, sum and payment_status are required' });
    }
    if (orderId === null) {
      await record('unknown_order', { providerEventId: paymentId });
      log.warn({ orderNum: fields.order_num, paymentId }, 'Prodamus notification without our order number');
      if (status === 'success') {
        const currency = (text(fields, 'currency') ?? 'RUB').toUpperCase();
        await flagMoneyForNoOrder(deps, { via: 'prodamus', paymentId, amount, currency, orderRef: text(fields, 'order_num'), payload: { ...fields, provider: 'prodamus' } });
      }
      return reply.code(200).send({ result: 'unknown_order' });
    }
    if (status !== 'success' && !FAILED_STATUSES.includes(status)) {
      await record('ignored', { orderId, providerEventId: paymentId });
      return reply.code(200).send({ result: 'ignored', payment_status: status });
    }
    const instalment = Number(text(fields, '_param_instalment'));
    const notice = {
      orderId,
      instalment: Number.isInteger(instalment) && instalment >= 1 && instalment <= 3 ? instalment : undefined,
      status: status === 'success' ? ('paid' as const) : ('failed' as const),
      amount,
      // Prodamus takes roubles unless the page is set otherwise; the notification names a currency only then.
      currency: (text(fields, 'currency') ?? 'RUB').toUpperCase(),
      paymentId,
      reason: text(fields, 'payment_status_description') ?? status,
      providerPayload: { ...fields, provider: 'prodamus', payment_id: paymentId },
    };
    const outcome = await applyPaymentNotice(deps, notice, { body: recorded, rawBody: raw, remoteAddress: request.ip });
    log.info({ orderId, status, result: outcome.result }, 'Prodamus notification');
    // Any answer but 200 makes Prodamus send it again; every outcome is recorded and flagged as needed.
    return reply.code(200).send(outcome);
  });
}

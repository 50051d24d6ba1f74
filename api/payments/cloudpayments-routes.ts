import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordPaymentWebhook, type WebhookOutcome } from '../../db/orders';
import { amountsMatch } from '../../domain/payments/payments';
import { flagMoneyForNoOrder } from './money-for-no-order';
import { applyPaymentNotice, noticeTarget, type PaymentNoticeDeps } from './payment-notice';
import { headerOf, holdsNul, keepRawBodies, mediaTypeOf, parseAmount, parseOrderId, rawBodyOf, sameBytes } from './raw-body';

/**
 * CloudPayments notifications (developers.cloudpayments.ru, "Уведомления"): one address per kind,
 * `…/check` before the money is taken, `…/pay` once it is, `…/fail` when it was declined.
 */
export const CLOUDPAYMENTS_WEBHOOK_PATH = '/payments/cloudpayments/webhook';
export const CLOUDPAYMENTS_KINDS = ['check', 'pay', 'fail'] as const;
type Kind = (typeof CLOUDPAYMENTS_KINDS)[number];

export interface CloudPaymentsDeps extends PaymentNoticeDeps {
  /** The site's "API Secret": the key of Content-HMAC. */
  apiSecret: string;
}

/**
 * The answer codes CloudPayments defines for Check: 0 take the money, 10 wrong order number,
 * 11 wrong AccountId, 12 wrong amount, 13 cannot be accepted. Pay and Fail are always answered 0
 * once read, so CloudPayments stops sending them.
 */
export const CHECK_CODES = { payable: 0, wrongOrder: 10, wrongAccount: 11, wrongAmount: 12, notAccepted: 13 } as const;

/** Content-HMAC: base64 HMAC-SHA256 of the raw body with the API secret. */
export function cloudPaymentsSignature(apiSecret: string, rawBody: Buffer | string): string {
  return createHmac('sha256', apiSecret).update(rawBody).digest('base64');
}

function signed(apiSecret: string, raw: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  return sameBytes(Buffer.from(header.trim(), 'base64'), createHmac('sha256', apiSecret).update(raw).digest());
}

/** Form-encoded (CloudPayments' default) or JSON (a setting of the site): every field as a string. */
function fieldsOf(mediaType: string, text: string): Record<string, string> | null {
  if (mediaType === 'application/json') {
    try {
      const json: unknown = JSON.parse(text);
      if (json === null || typeof json !== 'object' || Array.isArray(json)) return null;
      return Object.fromEntries(Object.entries(json).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]));
    } catch {
      return null;
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/** `Data` is the JSON the payment form was given; `{"instalment": 2}` names a later instalment. */
function instalmentOf(data: string | undefined): number | undefined {
  if (!data) return undefined;
  try {
    const parsed: unknown = JSON.parse(data);
    const n = parsed !== null && typeof parsed === 'object' ? Number((parsed as Record<string, unknown>).instalment) : Number.NaN;
    return Number.isInteger(n) && n >= 1 && n <= 3 ? n : undefined;
  } catch {
    return undefined;
  }
}

export async function cloudPaymentsRoutes(app: FastifyInstance, deps: CloudPaymentsDeps): Promise<void> {
  keepRawBodies(app);
  const log = deps.logger.child({ route: CLOUDPAYMENTS_WEBHOOK_PATH });

  app.post<{ Params: { kind: string } }>(`${CLOUDPAYMENTS_WEBHOOK_PATH}/:kind`, async (request: FastifyRequest<{ Params: { kind: string } }>, reply: FastifyReply) => {
    const kind = request.params.kind as Kind;
    if (!CLOUDPAYMENTS_KINDS.includes(kind)) return reply.code(404).send({ error: `no CloudPayments notification "${request.params.kind}": use check, pay or fail` });
    const raw = rawBodyOf(request);
    if (!signed(deps.apiSecret, raw, headerOf(request, 'content-hmac'))) {
      // Not stored: anyone can post here (see the payment webhook).
      log.warn({ ip: request.ip, kind, bytes: raw.length }, 'CloudPayments notification refused: bad or missing Content-HMAC');
      return reply.code(401).send({ error: 'bad signature' });
    }
    const text = raw.toString('utf8');
    const record = (outcome: WebhookOutcome, extra: { orderId?: number; providerEventId?: string; instalment?: number } = {}) =>
      recordPaymentWebhook(deps.db, { outcome, body: `cloudpayments ${kind}: ${text.replaceAll('\u0000', '')}`, remoteAddress: request.ip, ...extra });
    const fields = holdsNul(text) ? null : fieldsOf(mediaTypeOf(request), text);
    const transactionId = fields?.TransactionId?.trim();
    const amount = parseAmount(fields?.Amount);
    const currency = fields?.Currency?.trim().toUpperCase() ?? '';
    if (!fields || !transactionId || !/^\d{1,20}$/.test(transactionId) || !Number.isFinite(amount) || !/^[A-Z]{3}$/.test(currency)) {
      await record('invalid_body');
      return reply.code(400).send({ code: CHECK_CODES.notAccepted, error: 'invalid body: TransactionId, Amount and Currency are required' });
    }
    const orderId = parseOrderId(fields.InvoiceId);
    const instalment = instalmentOf(fields.Data);
    const paymentId = transactionId;
    const providerPayload = { ...fields, provider: 'cloudpayments', payment_id: paymentId, notification: kind };

    if (kind === 'check') {
      const code = orderId === null ? CHECK_CODES.wrongOrder : await checkCode(deps, orderId, instalment ?? 1, { amount, currency, accountId: fields.AccountId });
      await record(code === CHECK_CODES.payable ? 'check_accepted' : 'check_refused', {
        orderId: code === CHECK_CODES.wrongOrder ? undefined : (orderId ?? undefined),
        providerEventId: paymentId,
        instalment,
      });
      if (code !== CHECK_CODES.payable) log.warn({ orderId, code }, 'CloudPayments Check refused');
      return reply.code(200).send({ code });
    }
    if (orderId === null) {
      await record('unknown_order', { providerEventId: paymentId });
      log.warn({ invoiceId: fields.InvoiceId, transactionId }, 'CloudPayments notification without our order number');
      if (kind === 'pay' && (fields.Status === undefined || fields.Status === 'Completed')) {
        await flagMoneyForNoOrder(deps, { via: 'cloudpayments', paymentId, amount, currency, orderRef: fields.InvoiceId, payload: providerPayload });
      }
      return reply.code(200).send({ code: 0 });
    }
    // A two-stage payment is only held (Status=Authorized): the money is not ours until it is confirmed.
    if (kind === 'pay' && fields.Status !== undefined && fields.Status !== 'Completed') {
      await record('ignored', { orderId, providerEventId: paymentId, instalment });
      log.warn({ orderId, status: fields.Status }, 'CloudPayments Pay not completed (a held payment): nothing done');
      return reply.code(200).send({ code: 0 });
    }
    const notice = {
      orderId,
      instalment,
      status: kind === 'pay' ? ('paid' as const) : ('failed' as const),
      amount,
      currency,
      paymentId,
      reason: kind === 'fail' ? (fields.Reason ?? 'declined by CloudPayments') : undefined,
      providerPayload,
    };
    const outcome = await applyPaymentNotice(deps, notice, { body: `cloudpayments ${kind}: ${text}`, rawBody: raw, remoteAddress: request.ip });
    log.info({ orderId, kind, result: outcome.result }, 'CloudPayments notification');
    // Read and recorded: 0 whatever became of it, or CloudPayments sends it again and again.
    return reply.code(200).send({ code: 0 });
  });
}

/** Whether an order may be paid as CloudPayments asks, in its own codes. */
async function checkCode(
  deps: PaymentNoticeDeps,
  orderId: number,
  instalment: number,
  asked: { amount: number; currency: string; accountId?: string },
): Promise<number> {
  const found = await noticeTarget(deps.db, orderId, instalment);
  if (!found?.target) return CHECK_CODES.wrongOrder;
  // AccountId is the payer as the payment page names them: a Telegram id must be the order's lead
  // (anything else, such as an e-mail the school's page puts there, is the school's and not checked).
  const accountId = asked.accountId?.trim() ?? '';
  if (/^\d{1,20}$/.test(accountId) && found.order.lead_id !== null) {
    const lead = await deps.db('leads').where({ id: found.order.lead_id }).first('telegram_user_id');
    if (lead && String(lead.telegram_user_id) !== accountId) return CHECK_CODES.wrongAccount;
  }
  if (found.target.state !== 'open') return CHECK_CODES.notAccepted;
  if (asked.currency !== found.target.currency || !amountsMatch(found.target.amount, asked.amount)) return CHECK_CODES.wrongAmount;
  return CHECK_CODES.payable;
}

import { Composer } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { findInstalment, PAYABLE_INSTALMENT_STATUSES } from '../../db/instalments';
import { findOrder, flagOrder, recordStarsCharge } from '../../db/orders';
import { recordPaymentFlag } from '../../db/payment-flags';
import { invoiceTarget, isPayable, STARS_CURRENCY } from '../../domain/payments/payments';
import type { BotContext } from '../context';
import type { PaymentWorkflowsPort } from './payment-workflows';

export interface StarsPaymentsDeps {
  db: Knex;
  logger: Logger;
  workflows: PaymentWorkflowsPort;
}

/** What the lead reads when Telegram asks us to approve a Stars payment we cannot take. */
const PRE_CHECKOUT_REFUSED = {
  ru: 'Этот счёт больше не действует. Напишите нам — пришлём новый.',
  en: 'This invoice is no longer valid. Write to us and we will send a new one.',
};

/**
 * Telegram Stars: the pre-checkout query (answered at once: Telegram waits 10 seconds at most)
 * and the successful_payment message. Installed before the lead flow: these updates are payments,
 * not lead chat, and never reach it.
 */
export function starsPayments({ db, logger, workflows }: StarsPaymentsDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  composer.on('pre_checkout_query', async (ctx) => {
    const query = ctx.preCheckoutQuery;
    const problem = await preCheckoutProblem(db, query);
    const log = logger.child({ preCheckoutQueryId: query.id, payload: query.invoice_payload, from: query.from.id });
    if (problem) {
      log.warn({ problem }, 'stars pre-checkout refused');
      const language = query.from.language_code?.startsWith('en') ? 'en' : 'ru';
      await ctx.answerPreCheckoutQuery(false, { error_message: PRE_CHECKOUT_REFUSED[language] });
      return;
    }
    await ctx.answerPreCheckoutQuery(true);
    log.info('stars pre-checkout approved');
  });

  composer.on('message:successful_payment', async (ctx) => {
    const payment = ctx.message.successful_payment;
    const target = invoiceTarget(payment.invoice_payload);
    const chargeId = payment.telegram_payment_charge_id;
    const log = logger.child({ orderId: target?.orderId, instalment: target?.instalment, chargeId, from: ctx.from.id });
    const order = target === null ? undefined : await findOrder(db, target.orderId);
    if (!order || target === null) {
      // Money arrived for nothing we know: kept for a person with what a refund needs, and the managers told.
      const flagId = await recordPaymentFlag(db, { orderId: null, reason: 'stars payment for no known order', payload: { ...payment }, payerTelegramId: ctx.from.id });
      const told = await workflows.paidForNoOrder(flagId, chargeId);
      log.error({ flagId, amount: payment.total_amount, told }, 'stars payment for an unknown order: flagged, managers told');
      return;
    }
    const { orderId, instalment: n } = target;
    // Every successful_payment is money (Telegram dedupes the update itself): the charge id keys it.
    const tellManagersLate = async (reason: string) => {
      await flagOrder(db, orderId, reason, { ...payment }, ctx.from.id);
      const told = await workflows.paidAfterClose({ orderId, reason }, chargeId.slice(0, 100));
      log.error({ reason, told }, 'stars payment for a closed order: flagged, managers told');
    };
    const paidCharge = async () => (n === 1 ? (await findOrder(db, orderId))?.telegram_payment_charge_id : (await findInstalment(db, orderId, n))?.telegram_payment_charge_id);
    const before = await paidCharge();
    if (before && before !== chargeId) return tellManagersLate(`paid ${payment.total_amount} ⭐ again (charge ${chargeId}) after charge ${before} (stars)`);
    // Stored at once: a refund needs the charge id whatever happens next (a later instalment keeps its own).
    if (n === 1) await recordStarsCharge(db, orderId, chargeId);
    const delivered = await workflows.paid(orderId, {
      via: 'stars',
      amount: payment.total_amount,
      currency: payment.currency,
      chargeId,
      providerPayload: { ...payment },
      ...(n > 1 && { instalment: n }),
    });
    if (delivered) {
      log.info('stars payment handed to the payment workflow');
      return;
    }
    const now = await findOrder(db, orderId);
    const paid = n === 1 ? now?.status === 'paid' : (await findInstalment(db, orderId, n))?.status === 'paid';
    if (!paid) await tellManagersLate(`paid ${payment.total_amount} ⭐ after the order was ${now?.status ?? 'gone'} (stars)`);
  });

  return composer;
}

/** Why a Stars payment must not go ahead, or null when the order exists, is unpaid and the amount matches. */
async function preCheckoutProblem(
  db: Knex,
  query: { invoice_payload: string; currency: string; total_amount: number; from: { id: number } },
): Promise<string | null> {
  const target = invoiceTarget(query.invoice_payload);
  const order = target === null ? undefined : await findOrder(db, target.orderId);
  if (!order || target === null) return 'unknown order';
  if (order.method !== 'stars' || query.currency !== STARS_CURRENCY || order.currency !== STARS_CURRENCY) return 'not a Stars order';
  let expected = Number(order.amount);
  if (target.instalment === 1) {
    if (!isPayable(order.status)) return `order is ${order.status}`;
  } else {
    // A later instalment: the order is paid (access open) and this part is still unpaid.
    const instalment = await findInstalment(db, target.orderId, target.instalment);
    if (!instalment || order.status !== 'paid') return `no payable instalment ${target.instalment}`;
    // Only an invoice we sent can be paid: a pending (not yet due) instalment has none.
    if (!(PAYABLE_INSTALMENT_STATUSES as readonly string[]).includes(instalment.status) || instalment.status === 'pending') {
      return `instalment ${target.instalment} is ${instalment.status}`;
    }
    expected = Number(instalment.amount);
  }
  if (expected !== query.total_amount) return `amount ${query.total_amount} instead of ${expected}`;
  const lead = await db('leads').where({ id: order.lead_id }).first('telegram_user_id');
  if (Number(lead?.telegram_user_id) !== query.from.id) return 'another user';
  return null;
}

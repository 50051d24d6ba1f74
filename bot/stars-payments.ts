import { Composer } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { findOrder, flagOrder, recordStarsCharge } from '../db/orders';
import { isPayable, orderIdFromInvoicePayload, STARS_CURRENCY } from '../domain/payments';
import type { BotContext } from './context';
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
    const orderId = orderIdFromInvoicePayload(payment.invoice_payload);
    const log = logger.child({ orderId, chargeId: payment.telegram_payment_charge_id, from: ctx.from.id });
    const order = orderId === null ? undefined : await findOrder(db, orderId);
    if (!order || orderId === null) {
      // Money arrived for nothing we know: keep the trace for a person, never lose it.
      log.error({ payload: payment.invoice_payload, amount: payment.total_amount }, 'stars payment for an unknown order');
      return;
    }
    // Stored at once: a refund needs the charge id whatever happens next.
    await recordStarsCharge(db, orderId, payment.telegram_payment_charge_id);
    const delivered = await workflows.paid(orderId, {
      via: 'stars',
      amount: payment.total_amount,
      currency: payment.currency,
      chargeId: payment.telegram_payment_charge_id,
      providerPayload: { ...payment },
    });
    if (delivered) {
      log.info('stars payment handed to the payment workflow');
      return;
    }
    const now = await findOrder(db, orderId);
    if (now?.status !== 'paid') {
      await flagOrder(db, orderId, `paid ${payment.total_amount} ⭐ after the order was ${now?.status ?? 'gone'} (stars)`);
      log.error({ status: now?.status }, 'stars payment after the order closed: flagged for a manager');
    }
  });

  return composer;
}

/** Why a Stars payment must not go ahead, or null when the order exists, is unpaid and the amount matches. */
async function preCheckoutProblem(
  db: Knex,
  query: { invoice_payload: string; currency: string; total_amount: number; from: { id: number } },
): Promise<string | null> {
  const orderId = orderIdFromInvoicePayload(query.invoice_payload);
  const order = orderId === null ? undefined : await findOrder(db, orderId);
  if (!order) return 'unknown order';
  if (!isPayable(order.status)) return `order is ${order.status}`;
  if (order.method !== 'stars' || query.currency !== STARS_CURRENCY || order.currency !== STARS_CURRENCY) return 'not a Stars order';
  if (Number(order.amount) !== query.total_amount) return `amount ${query.total_amount} instead of ${Number(order.amount)}`;
  const lead = await db('leads').where({ id: order.lead_id }).first('telegram_user_id');
  if (Number(lead?.telegram_user_id) !== query.from.id) return 'another user';
  return null;
}

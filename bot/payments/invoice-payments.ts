import { Composer } from 'grammy';
import type { SuccessfulPayment } from 'grammy/types';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { findInstalment, PAYABLE_INSTALMENT_STATUSES } from '../../db/instalments';
import { findOrder, flagOrder, recordInvoiceCharge } from '../../db/orders';
import { recordPaymentFlag } from '../../db/payment-flags';
import { formatAmount, invoiceTarget, isPayable, STARS_CURRENCY } from '../../domain/payments/payments';
import { fromMinorUnits, isTelegramPaymentsCurrency, toMinorUnits } from '../../domain/payments/telegram-currencies';
import type { BotContext } from '../context';
import type { PaymentWorkflowsPort } from './payment-workflows';

export interface InvoicePaymentsDeps {
  db: Knex;
  logger: Logger;
  workflows: PaymentWorkflowsPort;
}

/** What the lead reads when Telegram asks us to approve a payment we cannot take. */
const PRE_CHECKOUT_REFUSED = {
  ru: 'Этот счёт больше не действует. Напишите нам — пришлём новый.',
  en: 'This invoice is no longer valid. Write to us and we will send a new one.',
};

/** How a successful_payment was paid: Stars, or Telegram Payments through the provider token. */
function paidVia(currency: string): 'stars' | 'telegram' {
  return currency === STARS_CURRENCY ? 'stars' : 'telegram';
}

/** The payment in the order's units: whole stars, or roubles (etc.) from Telegram's minor units. */
function majorAmount(payment: Pick<SuccessfulPayment, 'currency' | 'total_amount'>): number {
  if (payment.currency === STARS_CURRENCY || !isTelegramPaymentsCurrency(payment.currency)) return payment.total_amount;
  return fromMinorUnits(payment.total_amount, payment.currency);
}

/**
 * Invoices paid inside Telegram, in Stars or through the provider token (Telegram Payments): the
 * pre-checkout query (answered at once: Telegram waits 10 seconds at most) and the
 * successful_payment message. Installed before the lead flow: these updates are payments, not lead
 * chat, and never reach it. One path for both: the order's payment workflow takes the money, a
 * payment it cannot take is flagged and the managers are told.
 */
export function invoicePayments({ db, logger, workflows }: InvoicePaymentsDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  composer.on('pre_checkout_query', async (ctx) => {
    const query = ctx.preCheckoutQuery;
    const problem = await preCheckoutProblem(db, query);
    const log = logger.child({ preCheckoutQueryId: query.id, payload: query.invoice_payload, from: query.from.id, via: paidVia(query.currency) });
    if (problem) {
      log.warn({ problem }, 'pre-checkout refused');
      const language = query.from.language_code?.startsWith('en') ? 'en' : 'ru';
      await ctx.answerPreCheckoutQuery(false, { error_message: PRE_CHECKOUT_REFUSED[language] });
      return;
    }
    await ctx.answerPreCheckoutQuery(true);
    log.info('pre-checkout approved');
  });

  composer.on('message:successful_payment', async (ctx) => {
    const payment = ctx.message.successful_payment;
    const via = paidVia(payment.currency);
    const amount = majorAmount(payment);
    const paidText = formatAmount(amount, payment.currency);
    const target = invoiceTarget(payment.invoice_payload);
    const chargeId = payment.telegram_payment_charge_id;
    const providerChargeId = payment.provider_payment_charge_id || undefined;
    const log = logger.child({ orderId: target?.orderId, instalment: target?.instalment, chargeId, providerChargeId, via, from: ctx.from.id });
    const order = target === null ? undefined : await findOrder(db, target.orderId);
    if (!order || target === null) {
      // Money arrived for nothing we know: kept for a person with what a refund needs, and the managers told.
      const flagId = await recordPaymentFlag(db, { orderId: null, reason: `${via} payment for no known order`, payload: { ...payment }, payerTelegramId: ctx.from.id });
      const told = await workflows.paidForNoOrder(flagId, chargeId);
      log.error({ flagId, amount: payment.total_amount, currency: payment.currency, told }, 'invoice payment for an unknown order: flagged, managers told');
      return;
    }
    const { orderId, instalment: n } = target;
    // Every successful_payment is money (Telegram dedupes the update itself): the charge id keys it.
    const tellManagersLate = async (reason: string) => {
      await flagOrder(db, orderId, reason, { ...payment }, ctx.from.id);
      const told = await workflows.paidAfterClose({ orderId, reason }, chargeId.slice(0, 100));
      log.error({ reason, told }, 'invoice payment for a closed order: flagged, managers told');
    };
    const paidCharge = async () => (n === 1 ? (await findOrder(db, orderId))?.telegram_payment_charge_id : (await findInstalment(db, orderId, n))?.telegram_payment_charge_id);
    const before = await paidCharge();
    if (before && before !== chargeId) return tellManagersLate(`paid ${paidText} again (charge ${chargeId}) after charge ${before} (${via})`);
    // Stored at once: a refund needs the charge ids whatever happens next (a later instalment keeps its own).
    if (n === 1) await recordInvoiceCharge(db, orderId, chargeId, providerChargeId);
    const delivered = await workflows.paid(orderId, {
      via,
      amount,
      currency: payment.currency,
      chargeId,
      providerPayload: { ...payment },
      ...(n > 1 && { instalment: n }),
    });
    if (delivered) {
      log.info('invoice payment handed to the payment workflow');
      return;
    }
    const now = await findOrder(db, orderId);
    const paid = n === 1 ? now?.status === 'paid' : (await findInstalment(db, orderId, n))?.status === 'paid';
    if (!paid) await tellManagersLate(`paid ${paidText} after the order was ${now?.status ?? 'gone'} (${via})`);
  });

  return composer;
}

/**
 * Why an invoice payment must not go ahead, or null when the order exists, is unpaid, is paid this
 * way (Stars, or Telegram Payments in the order's currency), the amount matches and the payer is
 * the order's lead.
 */
async function preCheckoutProblem(
  db: Knex,
  query: { invoice_payload: string; currency: string; total_amount: number; from: { id: number } },
): Promise<string | null> {
  const target = invoiceTarget(query.invoice_payload);
  const order = target === null ? undefined : await findOrder(db, target.orderId);
  if (!order || target === null) return 'unknown order';
  if (order.method === 'stars') {
    if (query.currency !== STARS_CURRENCY || order.currency !== STARS_CURRENCY) return 'not a Stars order';
  } else if (order.method === 'telegram') {
    if (query.currency !== order.currency || !isTelegramPaymentsCurrency(order.currency)) return `currency ${query.currency} instead of ${order.currency}`;
  } else {
    return `a ${order.method} order is not paid by invoice`;
  }
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
  // Telegram counts roubles in kopecks: the order's amount is compared in the same units.
  const due = order.method === 'stars' ? expected : toMinorUnits(expected, order.currency);
  if (due !== query.total_amount) return `amount ${query.total_amount} instead of ${due}`;
  const lead = await db('leads').where({ id: order.lead_id }).first('telegram_user_id');
  if (Number(lead?.telegram_user_id) !== query.from.id) return 'another user';
  return null;
}

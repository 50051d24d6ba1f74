import { ApplicationFailure } from '@temporalio/common';
import type { Api, RawApi } from 'grammy';
import type { Logger } from 'pino';
import { noteCampaignOutcome } from '../db/campaign-outcomes';
import type { OutboundButton } from '../domain/conversation';
import { languageFor } from '../domain/language';
import { fillPaymentText, PAYMENT_STAFF_TEXTS, PAYMENT_TEXTS } from '../domain/payments/payment-texts';
import {
  firstPaymentAmount,
  formatAmount,
  INSTALMENT_COUNT,
  instalmentAmounts,
  instalmentPaymentUrl,
  invoicePayload,
  isInvoiceMethod,
  orderPaymentUrl,
  STARS_CURRENCY,
  type PaymentMethod,
  type PaymentType,
} from '../domain/payments/payments';
import { paidInsideTelegram, providerInvoice, type TelegramPaymentSettings } from '../domain/payments/provider-invoice';
import { fromMinorUnits, isTelegramPaymentsCurrency } from '../domain/payments/telegram-currencies';
import { recordEvent } from '../db/events';
import type { Db } from '../db/knex';
import { findLeadByTelegramId } from '../db/leads';
import { claimOutbound, settleOutbound } from '../db/messages';
import { cancelUnpaidInstalments, findInstalment, instalmentStillDue, markInstalmentOverdue, markInstalmentPaid, markInstalmentSent } from '../db/instalments';
import {
  closeOrder,
  findOrder,
  flagOrder,
  insertOrder,
  makeLeadCustomer,
  markOrderFailed,
  markOrderPaid,
  markOrderSent,
  nextOrderId,
  type PaidVia,
} from '../db/orders';
import { findPaymentFlag } from '../db/payment-flags';
import { findProductByCode } from '../db/products';
import type { PaymentInput } from '../workflows/payment/contract';
import { classifyTelegramError } from './telegram-errors';
import { createTelegramActivities, type SendResult, type TelegramDeps } from './telegram';

/** What starts a payment: the lead, the product, how they pay. */
export interface OrderRequest {
  telegramUserId: number;
  productCode: string;
  type: PaymentType;
  method: PaymentMethod;
  /** Manual orders only: the amount and the personal link a manager made (a discount, a promo code). */
  amount?: number;
  paymentUrl?: string;
  /** The manager who made a manual order. */
  createdBy?: number;
}

/** Messages the payment workflow sends to the lead. */
export type PaymentMessageKind =
  | 'offer'
  | 'reminder1'
  | 'reminder2'
  | 'failed'
  | 'expired'
  | 'cancelled'
  | 'onboarding'
  | 'instalmentDue'
  | 'instalmentReminder1'
  | 'instalmentReminder2'
  | 'instalmentPaid'
  | 'fullyPaid';

/** Messages that carry the payment button (or come with a Stars invoice). */
const PAYABLE_MESSAGES: readonly PaymentMessageKind[] = ['offer', 'reminder1', 'reminder2', 'instalmentDue', 'instalmentReminder1', 'instalmentReminder2'];

export const PaymentFailure = { badOrder: 'BadOrderRequest', leadErased: 'LeadErased' } as const;

/** How staff notices name a customer who erased their data with /reset. */
const ERASED_CUSTOMER = 'данные удалены по /reset';

const badOrder = (message: string) => ApplicationFailure.nonRetryable(message, PaymentFailure.badOrder);

/**
 * Makes a payment page for an order whose product has no link of its own (YooKassa through its API,
 * api/payments/yookassa-links.ts). The same order id again must give the same page.
 */
export interface PaymentLinkMaker {
  /** Named in the log and in a refusal. */
  provider: string;
  /** `instalment`: the part of an instalment order this page takes (the first one's page is the order's). */
  create(order: { orderId: number; amount: number; currency: string; description: string; instalment?: number }): Promise<string>;
}

/**
 * Creates the order and returns the payment workflow's input. The amount comes from the catalogue
 * (a third of the price for an instalment), except for a manager's manual order. A request that
 * cannot become an order fails with a non-retryable BadOrderRequest naming the problem.
 */
export async function createOrder(
  db: Db,
  logger: Logger,
  request: OrderRequest,
  links?: PaymentLinkMaker,
  /** Set: full and instalment payments of products priced in its currencies become invoices inside Telegram. */
  telegram?: TelegramPaymentSettings,
): Promise<PaymentInput> {
  const lead = await findLeadByTelegramId(db, request.telegramUserId);
  if (!lead) throw badOrder(`no lead with Telegram id ${request.telegramUserId}`);
  const product = await findProductByCode(db, request.productCode);
  if (!product || !product.active) throw badOrder(`no active product "${request.productCode}"`);
  let amount: number;
  let currency: string;
  let method = request.method;
  let link: string | undefined;
  let instalments: number[] | undefined;
  /** Set when the provider makes this order's page: the order's id is taken first, it keys the provider's payment. */
  let made: { id: number; url: string } | undefined;
  if (request.type === 'manual') {
    if (request.method !== 'link') throw badOrder('a manual order is paid by a personal link');
    if (!request.amount || !(request.amount > 0)) throw badOrder('a manual order needs a positive amount');
    if (!request.paymentUrl || !/^https:\/\//.test(request.paymentUrl)) throw badOrder('a manual order needs an https payment link');
    [amount, currency, link] = [Math.round(request.amount * 100) / 100, product.currency, request.paymentUrl];
  } else if (request.method === 'stars') {
    if (!product.starsPrice) throw badOrder(`product "${product.code}" has no stars_price`);
    [amount, currency] = [firstPaymentAmount(product.starsPrice, request.type, STARS_CURRENCY), STARS_CURRENCY];
    if (request.type === 'instalment') instalments = instalmentAmounts(product.starsPrice, STARS_CURRENCY);
  } else if (request.method === 'telegram' || paidInsideTelegram(telegram, product.currency)) {
    // The offer's "pay" buttons ask for a link; with a provider token for the product's currency the
    // lead pays inside Telegram instead (the product's own link stays for a manager's use).
    if (!paidInsideTelegram(telegram, product.currency)) throw badOrder(`product "${product.code}" is priced in ${product.currency}: Telegram Payments is not set up for it`);
    method = 'telegram';
    [amount, currency] = [firstPaymentAmount(product.price, request.type, product.currency), product.currency];
    if (request.type === 'instalment') instalments = instalmentAmounts(product.price, product.currency);
  } else {
    link = product.paymentLinks[request.type];
    [amount, currency] = [firstPaymentAmount(product.price, request.type, product.currency), product.currency];
    // A provider page is one payment of one amount: an instalment order's first page takes the first
    // part, and each later part gets its own page when it falls due (instalmentPage below).
    if (!link && links) {
      const part = request.type === 'instalment' ? 1 : undefined;
      made = await providerPage(db, logger, links, { amount, currency, productName: product.name, instalment: part });
    } else if (!link) throw badOrder(`product "${product.code}" has no ${request.type} payment link`);
    if (request.type === 'instalment') instalments = instalmentAmounts(product.price, product.currency);
  }
  const base = link;
  const order = await insertOrder(db, {
    leadId: lead.id,
    productId: product.id,
    type: request.type,
    method,
    amount,
    currency,
    paymentUrl: made ? () => made.url : base ? (id) => orderPaymentUrl(base, id) : undefined,
    id: made?.id,
    createdBy: request.createdBy,
    instalments,
  });
  logger.info({ orderId: order.id, leadId: lead.id, product: product.code, type: request.type, method, amount, currency }, 'order created');
  return {
    orderId: Number(order.id),
    leadId: lead.id,
    telegramUserId: request.telegramUserId,
    chatId: lead.chat_id,
    language: languageFor(lead.language_code ?? undefined),
    product: { id: product.id, code: product.code, name: product.name, ...(product.landingUrl && { landingUrl: product.landingUrl }) },
    type: request.type,
    method,
    amount,
    currency,
    ...(order.payment_url && { paymentUrl: order.payment_url }),
    ...(made && { pagePerPayment: true }),
    ...(instalments && { instalments }),
  };
}

/** An order id taken ahead of the order, and the provider's page for it; a provider that cannot make one refuses the order. */
async function providerPage(
  db: Db,
  logger: Logger,
  links: PaymentLinkMaker,
  order: { amount: number; currency: string; productName: string; instalment?: number },
): Promise<{ id: number; url: string }> {
  const id = await nextOrderId(db);
  try {
    const url = await links.create({ orderId: id, amount: order.amount, currency: order.currency, description: pageDescription(order.productName, id, order.instalment), instalment: order.instalment });
    return { id, url };
  } catch (error) {
    logger.error({ err: error, orderId: id, provider: links.provider }, 'payment page not made');
    // Not retried: the lead hears the option is unavailable and a manager takes over.
    throw badOrder(`${links.provider} could not make a payment page: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** What the provider's page says the payment is for. */
function pageDescription(productName: string, orderId: number, instalment?: number): string {
  return instalment ? `${productName}, заказ №${orderId}, платёж ${instalment} из ${INSTALMENT_COUNT}` : `${productName}, заказ №${orderId}`;
}

/** Orders in Postgres and the payment messages (links, Stars invoices, reminders, onboarding). */
export function createPaymentActivities(deps: TelegramDeps & { paymentLinks?: PaymentLinkMaker; telegramPayments?: TelegramPaymentSettings }) {
  const { db, api, logger } = deps;
  const telegram = createTelegramActivities(deps);

  /** The customer erased their data with /reset: the order stays, nothing more goes to or about them. */
  const erased = async (orderId: number) => (await db('orders').where({ id: orderId }).first('lead_id'))?.lead_id === null;

  /** What payment `n` of the order must bring (the order amount for the first or only one). */
  const amountOf = (input: PaymentInput, n: number) => input.instalments?.[n - 1] ?? input.amount;

  /** The values the texts are filled with; `n` is the instalment the message is about. */
  const values = (input: PaymentInput, n = 1) => ({
    order: input.orderId,
    product: input.product.name,
    amount: formatAmount(amountOf(input, n), input.currency),
    landing: input.product.landingUrl ?? '—',
    n,
    of: input.instalments?.length ?? INSTALMENT_COUNT,
  });

  async function payButton(input: PaymentInput, text: string, n = 1): Promise<OutboundButton[][] | undefined> {
    if (input.method !== 'link' || !input.paymentUrl) return undefined;
    const url = input.pagePerPayment && n > 1 ? await instalmentPage(input, n) : instalmentPaymentUrl(input.paymentUrl, n);
    return [[{ text, url }]];
  }

  /**
   * The page of a later instalment when the provider makes one page per payment: made when the part
   * first needs it and kept on its row, so its reminders and a retry show the same page (and the
   * lead cannot pay the same part twice through two pages).
   */
  async function instalmentPage(input: PaymentInput, n: number): Promise<string> {
    const kept = (await findInstalment(db, input.orderId, n))?.payment_url;
    if (kept) return kept;
    const links = deps.paymentLinks;
    if (!links) throw badOrder(`order ${input.orderId}: instalment ${n} needs a provider page, but no payment provider is configured on this worker`);
    const url = await links.create({
      orderId: input.orderId,
      amount: amountOf(input, n),
      currency: input.currency,
      description: pageDescription(input.product.name, input.orderId, n),
      instalment: n,
    });
    // The provider returns the same page for the same key; a page kept by an earlier attempt wins.
    await db('order_instalments').where({ order_id: input.orderId, number: n }).whereNull('payment_url').update({ payment_url: url, updated_at: db.fn.now() });
    return (await findInstalment(db, input.orderId, n))?.payment_url ?? url;
  }

  /**
   * The invoice's price and provider fields: Stars have no provider and whole stars; Telegram
   * Payments carry the provider token, the amount in minor units and, when configured, the receipt.
   */
  function invoiceFields(input: PaymentInput, label: string, amount: number): Omit<Parameters<RawApi['sendInvoice']>[0], 'chat_id' | 'title' | 'description' | 'payload'> {
    if (input.method === 'stars') return { currency: STARS_CURRENCY, prices: [{ label, amount }] };
    const settings = deps.telegramPayments;
    if (!settings) throw badOrder(`order ${input.orderId} is paid inside Telegram but TELEGRAM_PAYMENT_PROVIDER_TOKEN is not set`);
    return providerInvoice(settings, { label, amount, currency: input.currency });
  }

  /** A Stars or Telegram Payments invoice, claimed in the message log under its outbound id like every other message. */
  async function sendInvoice(input: PaymentInput, outboundId: string, n = 1): Promise<SendResult> {
    const texts = PAYMENT_TEXTS[input.language];
    const title = fillPaymentText(texts.invoiceTitle, values(input, n)).slice(0, 32);
    const description = fillPaymentText(texts.invoiceDescription, values(input, n)).slice(0, 255);
    const amount = amountOf(input, n);
    // Before the claim: an order that cannot be invoiced (no provider token any more) claims no message.
    const { currency, prices, ...other } = invoiceFields(input, title, amount);
    const claim = await claimOutbound(db, {
      leadId: input.leadId,
      chatId: input.chatId,
      outboundId,
      direction: 'out',
      text: description,
      payload: { invoice: { orderId: input.orderId, instalment: n, amount, currency } },
    });
    if (!claim.claimed) {
      if (claim.existing.status === 'sent') return { status: 'sent', telegramMessageIds: [claim.existing.telegram_message_id ?? 0] };
      if (claim.existing.status === 'sending') await settleOutbound(db, outboundId, { status: 'unknown', error: 'earlier attempt ended mid-send' });
      return { status: 'unknown', telegramMessageIds: [] };
    }
    try {
      const sent = await api.sendInvoice(input.chatId, title, description, invoicePayload(input.orderId, n), currency, prices, other);
      await settleOutbound(db, outboundId, { status: 'sent', telegramMessageId: sent.message_id });
      return { status: 'sent', telegramMessageIds: [sent.message_id] };
    } catch (error) {
      const outcome = classifyTelegramError(error, 'sendInvoice');
      if (outcome.kind === 'unknown') {
        await settleOutbound(db, outboundId, { status: 'unknown', error: outcome.reason });
        return { status: 'unknown', telegramMessageIds: [] };
      }
      await settleOutbound(db, outboundId, { status: 'failed', error: outcome.failure.message });
      throw outcome.failure;
    }
  }

  return {
    /**
     * Creates the order and returns the payment workflow's input. The amount comes from the
     * catalogue (a third of the price for an instalment), except for a manager's manual order.
     */
    createOrder: (request: OrderRequest): Promise<PaymentInput> => createOrder(db, logger, request, deps.paymentLinks, deps.telegramPayments),

    /**
     * One payment message to the lead, about payment `instalment` (default 1) of the order; the offer,
     * a due instalment and the retry of a Stars order come with an invoice.
     */
    async sendPaymentMessage(request: { input: PaymentInput; kind: PaymentMessageKind; outboundId: string; instalment?: number }): Promise<SendResult> {
      const { input, kind, outboundId } = request;
      if (await erased(input.orderId)) throw ApplicationFailure.nonRetryable(`order ${input.orderId}: the customer erased their data`, PaymentFailure.leadErased);
      const n = request.instalment ?? 1;
      const texts = PAYMENT_TEXTS[input.language];
      if ((kind === 'offer' || kind === 'instalmentDue') && isInvoiceMethod(input.method)) {
        // The invoice is the message; a later instalment gets a line of text before it.
        if (kind === 'offer') return sendInvoice(input, outboundId);
        await telegram.sendToLead({ outboundId: `${outboundId}.text`, leadId: input.leadId, chatId: input.chatId, content: { type: 'text', text: fillPaymentText(texts.instalmentDue, values(input, n)) } });
        return sendInvoice(input, outboundId, n);
      }
      const template = kind === 'offer' ? (input.type === 'instalment' ? texts.offerInstalment : texts.offer) : texts[kind];
      const buttons = PAYABLE_MESSAGES.includes(kind)
        ? await payButton(input, texts.payButton, n)
        : kind === 'failed'
          ? await payButton(input, texts.retryButton, n)
          : undefined;
      const sent = await telegram.sendToLead({
        outboundId,
        leadId: input.leadId,
        chatId: input.chatId,
        content: { type: 'text', text: fillPaymentText(template, values(input, n)), ...(buttons && { buttons }) },
      });
      if (kind === 'failed' && isInvoiceMethod(input.method)) await sendInvoice(input, `${outboundId}.invoice`, n);
      return sent;
    },

    /** Posts a payment notice to the managers' chat, once per outbound id. */
    async notifyManagersAboutPayment(request: {
      input: PaymentInput;
      kind: keyof typeof PAYMENT_STAFF_TEXTS;
      outboundId: string;
      reason?: string;
      via?: string;
      /** The instalment the notice is about (default 1). */
      instalment?: number;
    }): Promise<{ delivered: boolean }> {
      const { input } = request;
      const gone = await erased(input.orderId);
      const lead = gone ? undefined : await db('leads').where({ id: input.leadId }).first('first_name', 'username');
      const who = gone ? ERASED_CUSTOMER : `${lead?.first_name ?? ''}${lead?.username ? ` @${lead.username}` : ''} (id ${input.telegramUserId})`.trim();
      const text = fillPaymentText(PAYMENT_STAFF_TEXTS[request.kind], {
        ...values(input, request.instalment ?? 1),
        lead: who,
        reason: request.reason ?? '',
        via: request.via ?? '',
      });
      const result = await telegram.notifyManagers({ outboundId: request.outboundId, leadId: gone ? null : input.leadId, text });
      return { delivered: result.delivered };
    },

    async markOrderSent(orderId: number): Promise<void> {
      await markOrderSent(db, orderId);
    },

    /**
     * Keyed by the order: a repeat changes nothing and says so. An instalment order's first
     * instalment is paid with it, which dates the later ones.
     */
    async recordOrderPaid(request: { orderId: number; via: PaidVia; chargeId?: string; providerPayload?: Record<string, unknown> }): Promise<{ changed: boolean }> {
      const changed = await markOrderPaid(db, request.orderId, request);
      await markInstalmentPaid(db, request.orderId, 1, request);
      logger.info({ orderId: request.orderId, via: request.via, changed }, 'order paid');
      return { changed };
    },

    /** The lead becomes a customer; the event is recorded once per order. */
    async makeCustomer(request: { orderId: number; leadId: number; productCode: string }): Promise<void> {
      // Paid as the customer erased their data: the order is paid in the books, there is no lead to mark.
      if (await erased(request.orderId)) return;
      await db.transaction(async (trx) => {
        await makeLeadCustomer(trx, request.leadId);
        await noteCampaignOutcome(trx, request.leadId, 'paid');
        await recordEvent(trx, {
          leadId: request.leadId,
          type: 'became_customer',
          payload: { orderId: request.orderId, product: request.productCode },
          idempotencyKey: `payment-${request.orderId}-customer`,
        });
      });
    },

    async recordOrderFailed(request: { orderId: number; providerPayload?: Record<string, unknown> }): Promise<void> {
      await markOrderFailed(db, request.orderId, request.providerPayload);
    },

    async closeOrder(request: { orderId: number; status: 'cancelled' | 'expired' }): Promise<{ changed: boolean }> {
      return { changed: await closeOrder(db, request.orderId, request.status) };
    },

    /** A later instalment was paid; keyed by order id and number, so a repeat changes nothing. */
    async recordInstalmentPaid(request: {
      orderId: number;
      instalment: number;
      via: PaidVia;
      chargeId?: string;
      providerPayload?: Record<string, unknown>;
    }): Promise<{ changed: boolean; fullyPaid: boolean }> {
      const result = await markInstalmentPaid(db, request.orderId, request.instalment, request);
      logger.info({ orderId: request.orderId, instalment: request.instalment, via: request.via, ...result }, 'instalment paid');
      return result;
    },

    /** False when the order was refunded or the rest written off outside the workflow (an admin's refund): nothing more is asked for. */
    async instalmentStillDue(request: { orderId: number; instalment: number }): Promise<boolean> {
      return instalmentStillDue(db, request.orderId, request.instalment);
    },

    async markInstalmentSent(request: { orderId: number; instalment: number }): Promise<void> {
      await markInstalmentSent(db, request.orderId, request.instalment);
    },

    async markInstalmentOverdue(request: { orderId: number; instalment: number }): Promise<void> {
      await markInstalmentOverdue(db, request.orderId, request.instalment);
    },

    /** A manager wrote off the rest of the plan: unpaid instalments are cancelled, the order (and access) stays paid. */
    async cancelUnpaidInstalments(request: { orderId: number }): Promise<{ cancelled: number }> {
      return { cancelled: await cancelUnpaidInstalments(db, request.orderId) };
    },

    /**
     * Money for an order whose workflow has ended: the managers' chat is told, once per outbound id
     * (the notice workflow's id, itself derived from the payment).
     */
    async notifyManagersAboutPaymentAfterClose(request: { orderId: number; reason: string; outboundId: string }): Promise<{ delivered: boolean }> {
      const order = await findOrder(db, request.orderId);
      if (!order) throw ApplicationFailure.nonRetryable(`no order ${request.orderId}`, PaymentFailure.badOrder);
      const lead = order.lead_id === null ? undefined : await db('leads').where({ id: order.lead_id }).first('first_name', 'username', 'telegram_user_id');
      const product = await db('products').where({ id: order.product_id }).first('name');
      const who =
        order.lead_id === null ? ERASED_CUSTOMER : `${lead?.first_name ?? ''}${lead?.username ? ` @${lead.username}` : ''} (id ${lead?.telegram_user_id ?? '?'})`.trim();
      const fulfilled = order.status === 'paid' || order.status === 'refunded';
      const text = fillPaymentText(fulfilled ? PAYMENT_STAFF_TEXTS.paidTwice : PAYMENT_STAFF_TEXTS.paidAfterClose, { order: order.id, product: product?.name ?? '?', lead: who, reason: request.reason });
      const result = await telegram.notifyManagers({ outboundId: request.outboundId, leadId: order.lead_id === null ? null : Number(order.lead_id), text });
      logger.warn({ orderId: request.orderId, reason: request.reason, delivered: result.delivered }, 'managers told about money for a closed order');
      return { delivered: result.delivered };
    },

    async notifyManagersAboutUnmatchedPayment(request: { flagId: number; outboundId: string }): Promise<{ delivered: boolean }> {
      const flag = await findPaymentFlag(db, request.flagId);
      if (!flag) throw ApplicationFailure.nonRetryable(`no payment flag ${request.flagId}`, PaymentFailure.badOrder);
      const payment = flag.payload ?? {};
      // Stars can be returned from the bot; a provider's money (a webhook's, or a Telegram invoice paid
      // through the provider token) only in the provider's account.
      const currency = String(payment.currency ?? STARS_CURRENCY);
      const invoice = {
        payer: flag.payer_telegram_id ?? '?',
        payload: String(payment.invoice_payload ?? '').slice(0, 128),
        charge: flag.payment_ref ?? '?',
      };
      const text =
        payment.telegram_payment_charge_id === undefined
          ? fillPaymentText(PAYMENT_STAFF_TEXTS.unmatchedProvider, { reason: flag.reason })
          : currency === STARS_CURRENCY
            ? fillPaymentText(PAYMENT_STAFF_TEXTS.unmatched, { ...invoice, amount: formatAmount(Number(payment.total_amount ?? 0), currency) })
            : fillPaymentText(PAYMENT_STAFF_TEXTS.unmatchedTelegramProvider, {
                ...invoice,
                amount: isTelegramPaymentsCurrency(currency) ? formatAmount(fromMinorUnits(Number(payment.total_amount ?? 0), currency), currency) : `${String(payment.total_amount)} (${currency})`,
                providerCharge: String(payment.provider_payment_charge_id ?? '?'),
              });
      const result = await telegram.notifyManagers({ outboundId: request.outboundId, leadId: null, text });
      logger.warn({ flagId: request.flagId, delivered: result.delivered }, 'managers told about money for no known order');
      return { delivered: result.delivered };
    },

    async flagOrder(request: { orderId: number; reason: string; providerPayload?: Record<string, unknown> }): Promise<void> {
      await flagOrder(db, request.orderId, request.reason, request.providerPayload);
    },
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;

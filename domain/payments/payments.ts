/**
 * Payment rules (docs/payments.md). Pure: the payment workflow imports them.
 */

export const PAYMENT_TYPES = ['full', 'instalment', 'manual'] as const;
export type PaymentType = (typeof PAYMENT_TYPES)[number];

/**
 * A payment-provider link, a native Telegram Stars invoice, or an invoice inside Telegram paid
 * through the provider connected in BotFather (Telegram Payments with a provider token).
 */
export const PAYMENT_METHODS = ['link', 'stars', 'telegram'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

/** Methods whose payment is a Telegram invoice: pre-checkout and successful_payment come through the bot. */
export function isInvoiceMethod(method: PaymentMethod): method is 'stars' | 'telegram' {
  return method === 'stars' || method === 'telegram';
}

export const ORDER_STATUSES = ['created', 'sent', 'paid', 'failed', 'cancelled', 'expired', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Telegram Stars' currency code. */
export const STARS_CURRENCY = 'XTR';

/** Statuses in which a payment may still arrive (a failed payment may be retried). */
export const PAYABLE_STATUSES: readonly OrderStatus[] = ['created', 'sent', 'failed'];

export function isPayable(status: OrderStatus): boolean {
  return PAYABLE_STATUSES.includes(status);
}

/**
 * What the first payment of an order is: the price for a full payment, a third of it for an
 * instalment (the rest monthly). Money is rounded to cents; Stars are whole, rounded up so three
 * payments never fall short of the price.
 */
export function firstPaymentAmount(price: number, type: Exclude<PaymentType, 'manual'>, currency: string): number {
  if (type === 'full') return price;
  if (currency === STARS_CURRENCY) return Math.ceil(price / 3);
  return Math.round((price * 100) / 3) / 100;
}

/** Amounts are compared in cents: 96.67 and "96.670" are the same payment. */
export function amountsMatch(expected: number, paid: number): boolean {
  return Number.isFinite(paid) && Math.round(expected * 100) === Math.round(paid * 100);
}

/** The provider's page for this order: the product's link with the order id, so the webhook names it. */
export function orderPaymentUrl(base: string, orderId: number): string {
  const url = new URL(base);
  url.searchParams.set('order_id', String(orderId));
  return url.toString();
}

/**
 * The invoice payload of a Stars or Telegram Payments order (Telegram sends it back in pre-checkout
 * and the payment): `order:<id>` for the order's first (or only) payment, `order:<id>:<n>` for a
 * later instalment.
 */
export function invoicePayload(orderId: number, instalment = 1): string {
  return instalment === 1 ? `order:${orderId}` : `order:${orderId}:${instalment}`;
}

/** The name Stars invoices had first. */
export const starsInvoicePayload = invoicePayload;

export function orderIdFromInvoicePayload(payload: string): number | null {
  return invoiceTarget(payload)?.orderId ?? null;
}

/** Which order and which of its payments an invoice payload names. */
export function invoiceTarget(payload: string): { orderId: number; instalment: number } | null {
  const match = /^order:(\d{1,15})(?::([1-3]))?$/.exec(payload);
  return match ? { orderId: Number(match[1]), instalment: match[2] ? Number(match[2]) : 1 } : null;
}

/** An instalment order is paid in this many parts. */
export const INSTALMENT_COUNT = 3;
/**
 * Later instalments fall due every 30 days after the first was paid (not "the same day next
 * month": no short-month edge cases, and the lead's schedule does not drift if one is paid late).
 */
export const INSTALMENT_INTERVAL_MS = 30 * 24 * 3_600_000;

/**
 * The three payments of an instalment order. Money: a third in cents, the last takes the rounding
 * so the parts add up to the price exactly; Stars: a third rounded up, every part the same.
 */
export function instalmentAmounts(price: number, currency: string): number[] {
  const part = firstPaymentAmount(price, 'instalment', currency);
  if (currency === STARS_CURRENCY) return [part, part, part];
  const last = Math.round(price * 100 - part * 200) / 100;
  return [part, part, last];
}

/** When instalment `n` is due, counted from the moment the first was paid. */
export function instalmentDueMs(firstPaidMs: number, n: number): number {
  return firstPaidMs + (n - 1) * INSTALMENT_INTERVAL_MS;
}

/** The order's payment page for instalment `n`: the provider sends the number back in the webhook. */
export function instalmentPaymentUrl(orderUrl: string, n: number): string {
  if (n === 1) return orderUrl;
  const url = new URL(orderUrl);
  url.searchParams.set('instalment', String(n));
  return url.toString();
}

/** What a payment webhook is about: the order, or one of its later instalments, as Postgres has it. */
export interface PaymentTarget {
  state: 'open' | 'paid' | 'closed';
  /** The status that closed it (expired, cancelled, refunded...), for the managers. */
  closedAs?: string;
  amount: number;
  currency: string;
  /** The provider's id of the payment that paid it, when known. */
  paidPaymentId?: string;
}

export type WebhookVerdict =
  | { kind: 'duplicate' }
  | { kind: 'mismatch'; reason: string }
  | { kind: 'closed'; reason: string }
  | { kind: 'failed' }
  | { kind: 'paid' };

/**
 * What a signed, well-formed webhook does. A repeat (the same payment again, a failure for what is
 * already paid, the same failure event twice) changes nothing; money for something closed, or a
 * second different payment for something paid, goes to the managers; a wrong amount is flagged.
 */
export function webhookVerdict(
  target: PaymentTarget,
  body: { status: 'paid' | 'failed'; amount: number; currency: string; paymentId?: string },
  seenFailureEvent: boolean,
): WebhookVerdict {
  if (body.status === 'failed') {
    return target.state === 'open' && !seenFailureEvent ? { kind: 'failed' } : { kind: 'duplicate' };
  }
  if (target.state === 'paid') {
    const another = body.paymentId !== undefined && target.paidPaymentId !== undefined && body.paymentId !== target.paidPaymentId;
    return another ? { kind: 'closed', reason: `paid again (payment ${body.paymentId}) after payment ${target.paidPaymentId} (webhook)` } : { kind: 'duplicate' };
  }
  if (body.currency !== target.currency || !amountsMatch(target.amount, body.amount)) {
    return { kind: 'mismatch', reason: `paid ${formatAmount(body.amount, body.currency)} instead of ${formatAmount(target.amount, target.currency)} (webhook)` };
  }
  if (target.state === 'closed') return { kind: 'closed', reason: `paid after the order was ${target.closedAs ?? 'closed'} (webhook)` };
  return { kind: 'paid' };
}

export function formatAmount(amount: number, currency: string): string {
  if (currency === STARS_CURRENCY) return `${amount} ⭐`;
  return `${Number.isInteger(amount) ? amount : amount.toFixed(2)} ${currency}`;
}

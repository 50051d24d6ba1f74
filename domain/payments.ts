/**
 * Payment rules (PRODUCT.md section 7). Pure: the payment workflow imports them.
 */

export const PAYMENT_TYPES = ['full', 'instalment', 'manual'] as const;
export type PaymentType = (typeof PAYMENT_TYPES)[number];

/** A payment-provider link, or a native Telegram Stars invoice. */
export const PAYMENT_METHODS = ['link', 'stars'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

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

/** The invoice payload of a Stars order (Telegram sends it back in pre-checkout and the payment). */
export function starsInvoicePayload(orderId: number): string {
  return `order:${orderId}`;
}

export function orderIdFromInvoicePayload(payload: string): number | null {
  const match = /^order:(\d{1,15})$/.exec(payload);
  return match ? Number(match[1]) : null;
}

export function formatAmount(amount: number, currency: string): string {
  if (currency === STARS_CURRENCY) return `${amount} ⭐`;
  return `${Number.isInteger(amount) ? amount : amount.toFixed(2)} ${currency}`;
}

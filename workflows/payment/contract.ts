import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PaymentLanguage } from '../../domain/payments/payment-texts';
import type { OrderStatus, PaymentMethod, PaymentType } from '../../domain/payments/payments';

export type { PaymentLanguage };

/** The workflow type name, for clients that start it without importing workflow code. */
export const paymentWorkflowType = 'paymentWorkflow';

/** One workflow per order: `payment-<order id>`. */
export function paymentWorkflowId(orderId: number): string {
  return `payment-${orderId}`;
}

/** Everything the workflow needs about its order, made by the `createOrder` activity. */
export interface PaymentInput {
  orderId: number;
  leadId: number;
  telegramUserId: number;
  chatId: number;
  language: PaymentLanguage;
  product: { id: number; code: string; name: string; landingUrl?: string };
  type: PaymentType;
  method: PaymentMethod;
  amount: number;
  currency: string;
  /** The provider's page for this order (method `link`). */
  paymentUrl?: string;
  /** The provider made `paymentUrl` for one payment (YooKassa): a later instalment gets a page of its own, not this one. */
  pagePerPayment?: boolean;
  /** An instalment order: the amount of each payment, the first being `amount` (orders made before instalments lack it). */
  instalments?: number[];
  /** Defaults: reminders after 1 hour and 24 hours, expiry after 72 hours (from the start). */
  timing?: { reminderAfterMs?: number[]; expireAfterMs?: number };
}

export interface PaymentOutcome {
  orderId: number;
  status: Extract<OrderStatus, 'paid' | 'cancelled' | 'expired'>;
  /** An instalment order: how many of its payments arrived (3: fully paid). */
  instalmentsPaid?: number;
}

/** A payment the provider or Telegram reported. The amount is checked against the order. */
export interface PaymentConfirmation {
  /** `telegram`: an invoice paid inside Telegram through the provider token (the amount in major units). */
  via: 'webhook' | 'stars' | 'telegram';
  amount: number;
  currency: string;
  /** Stars and Telegram Payments: Telegram's charge id (a Stars refund needs it). */
  chargeId?: string;
  providerPayload?: Record<string, unknown>;
  /** Which payment of an instalment order (from the link's `instalment` or the invoice payload); 1 when absent. */
  instalment?: number;
}

export const paymentPaidSignal = defineSignal<[PaymentConfirmation]>('paymentPaid');
export const paymentFailedSignal = defineSignal<[{ reason: string; providerPayload?: Record<string, unknown> }]>('paymentFailed');
export const paymentCancelledSignal = defineSignal<[{ reason: string }]>('paymentCancelled');
/** A payment that did not match the order (already flagged in Postgres): the managers must look. */
export const paymentFlaggedSignal = defineSignal<[{ reason: string }]>('paymentFlagged');

/** A manager's command. An Update: the manager needs to know what happened. */
export interface ManagerAction {
  by: number;
}

export type ManagerActionResult =
  /** `instalment`: which payment of an instalment order the confirm counted as paid. */
  | { outcome: 'confirmed'; instalment?: number }
  | { outcome: 'cancelled' }
  | { outcome: 'already_paid' }
  | { outcome: 'already_closed'; status: OrderStatus }
  /** Taken, not carried out yet (Postgres or Telegram slow): the managers' chat hears the outcome. */
  | { outcome: 'in_progress' };

export const confirmPaymentUpdate = defineUpdate<ManagerActionResult, [ManagerAction]>('confirmPayment');
export const cancelPaymentUpdate = defineUpdate<ManagerActionResult, [ManagerAction]>('cancelPayment');

export interface PaymentView {
  orderId: number;
  status: OrderStatus;
  remindersSent: number;
  fulfilled: boolean;
  /** The payment the order waits for now (1 for a full order; 2 or 3 for a later instalment). */
  instalment: number;
}

export const paymentStateQuery = defineQuery<PaymentView>('paymentState');

/** The lead workflow hears about a payment through its domainEventSignal under these names. */
export const PAYMENT_PAID_EVENT = 'payment_paid';
export function paymentPaidEventId(orderId: number): string {
  return `payment-${orderId}-paid`;
}

export const HOUR_MS = 3_600_000;
export const DEFAULT_REMINDERS_MS = [1 * HOUR_MS, 24 * HOUR_MS];
export const DEFAULT_EXPIRY_MS = 72 * HOUR_MS;

/** A later instalment falls due 30 days apart; reminders and the overdue notice count from its link. */
export const DEFAULT_INSTALMENT_OVERDUE_MS = 72 * HOUR_MS;

/**
 * Money that arrived for an order whose workflow has ended (expired, cancelled, or paid already):
 * a short workflow tells the managers. Its id is derived from the payment (the provider's payment
 * id, the Stars charge id, or a digest of the body), so the same money announced twice is told once.
 */
export const paymentAfterCloseWorkflowType = 'paymentAfterCloseWorkflow';

export function paymentAfterCloseWorkflowId(orderId: number, paymentKey: string): string {
  return `payment-${orderId}-late-${paymentKey.slice(0, 100)}`;
}

export interface PaymentAfterCloseInput {
  orderId: number;
  /** Why it cannot be fulfilled, e.g. "paid after the order was expired (webhook)". */
  reason: string;
}

/**
 * Stars money whose invoice names no order we know (a payload we never made, an order gone from a
 * restored database): kept in `payment_flags`, and a short workflow tells the managers, once per charge.
 */
export const unmatchedPaymentWorkflowType = 'unmatchedPaymentWorkflow';

export function unmatchedPaymentWorkflowId(chargeId: string): string {
  return `payment-unmatched-${chargeId.slice(0, 100)}`;
}

export interface UnmatchedPaymentInput {
  /** The `payment_flags` row that holds the payment. */
  flagId: number;
}

/** The cancel reason when the customer erased their data with /reset (the order stays in the books). */
export const LEAD_RESET_REASON = 'lead_reset';

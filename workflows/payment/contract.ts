import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PaymentLanguage } from '../../domain/payment-texts';
import type { OrderStatus, PaymentMethod, PaymentType } from '../../domain/payments';

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
  /** Defaults: reminders after 1 hour and 24 hours, expiry after 72 hours (from the start). */
  timing?: { reminderAfterMs?: number[]; expireAfterMs?: number };
}

export interface PaymentOutcome {
  orderId: number;
  status: Extract<OrderStatus, 'paid' | 'cancelled' | 'expired'>;
}

/** A payment the provider or Telegram reported. The amount is checked against the order. */
export interface PaymentConfirmation {
  via: 'webhook' | 'stars';
  amount: number;
  currency: string;
  /** Stars: needed to refund. */
  chargeId?: string;
  providerPayload?: Record<string, unknown>;
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
  | { outcome: 'confirmed' }
  | { outcome: 'cancelled' }
  | { outcome: 'already_paid' }
  | { outcome: 'already_closed'; status: OrderStatus };

export const confirmPaymentUpdate = defineUpdate<ManagerActionResult, [ManagerAction]>('confirmPayment');
export const cancelPaymentUpdate = defineUpdate<ManagerActionResult, [ManagerAction]>('cancelPayment');

export interface PaymentView {
  orderId: number;
  status: OrderStatus;
  remindersSent: number;
  fulfilled: boolean;
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

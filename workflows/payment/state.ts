import { amountsMatch, formatAmount, isPayable, type OrderStatus } from '../../domain/payments';
import type { PaymentConfirmation, PaymentInput } from './contract';

/** A payment the workflow has accepted and will fulfil. */
export interface AcceptedPayment {
  via: 'webhook' | 'stars' | 'manager';
  chargeId?: string;
  providerPayload?: Record<string, unknown>;
}

/** What one order's workflow knows. Pure: handlers change it, the flow acts on it. */
export interface PaymentState {
  status: OrderStatus;
  remindersSent: number;
  fulfilled: boolean;
  /** The first accepted payment; every later confirmation is ignored. */
  payment: AcceptedPayment | null;
  cancelRequested: boolean;
  failures: { reason: string; providerPayload?: Record<string, unknown> }[];
  /** Payments that did not match the order; `alreadyStored`: the api flagged it in Postgres itself. */
  flags: { reason: string; alreadyStored: boolean }[];
}

export function initialPaymentState(): PaymentState {
  return { status: 'created', remindersSent: 0, fulfilled: false, payment: null, cancelRequested: false, failures: [], flags: [] };
}

/** Whether a payment, a failure or a cancellation may still change the order. */
export function isOpen(state: PaymentState): boolean {
  return state.payment === null && !state.cancelRequested && isPayable(state.status);
}

/**
 * A reported payment: accepted when the order is open and the amount and currency match; a
 * mismatch becomes a flag for the managers; anything else (a repeat, too late) changes nothing.
 */
export function receivePayment(state: PaymentState, input: PaymentInput, confirmation: PaymentConfirmation): void {
  if (!isOpen(state)) return;
  if (confirmation.currency !== input.currency || !amountsMatch(input.amount, confirmation.amount)) {
    const paid = formatAmount(confirmation.amount, confirmation.currency);
    state.flags.push({ reason: `paid ${paid} instead of ${formatAmount(input.amount, input.currency)} (${confirmation.via})`, alreadyStored: false });
    return;
  }
  state.payment = { via: confirmation.via, chargeId: confirmation.chargeId, providerPayload: confirmation.providerPayload };
}

/** Something for the flow to act on before its next timer. */
export function hasWork(state: PaymentState): boolean {
  return state.payment !== null || state.cancelRequested || state.failures.length > 0 || state.flags.length > 0;
}

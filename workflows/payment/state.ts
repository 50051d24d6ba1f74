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
  /** The accepted payment of the current instalment (the only one for a full order); later confirmations are ignored. */
  payment: AcceptedPayment | null;
  cancelRequested: boolean;
  failures: { reason: string; providerPayload?: Record<string, unknown> }[];
  /** Payments that did not match the order; `alreadyStored`: the api flagged it in Postgres itself. */
  flags: { reason: string; alreadyStored: boolean }[];
  /** The payment the order waits for: 1, then 2 and 3 for an instalment order. */
  instalment: number;
  /** How many payments have been fulfilled (the first opens access). */
  paidCount: number;
  /** A later instalment is being collected: the order is paid (access open) and still takes money. */
  collecting: boolean;
}

export function initialPaymentState(): PaymentState {
  return {
    status: 'created',
    remindersSent: 0,
    fulfilled: false,
    payment: null,
    cancelRequested: false,
    failures: [],
    flags: [],
    instalment: 1,
    paidCount: 0,
    collecting: false,
  };
}

/** Whether a payment, a failure or a cancellation may still change the order. */
export function isOpen(state: PaymentState): boolean {
  return state.payment === null && !state.cancelRequested && (isPayable(state.status) || state.collecting);
}

/** What payment `n` of the order must bring. */
export function expectedAmount(input: PaymentInput, n: number): number {
  return input.instalments?.[n - 1] ?? input.amount;
}

/**
 * A reported payment: accepted when it is for the instalment the order waits for, the order is
 * open and the amount and currency match; a mismatch becomes a flag for the managers; anything
 * else (a repeat, an instalment already paid, too late) changes nothing. Idempotent by order id
 * and instalment number: the workflow is one per order and takes one payment per instalment.
 */
export function receivePayment(state: PaymentState, input: PaymentInput, confirmation: PaymentConfirmation): void {
  const n = confirmation.instalment ?? 1;
  if (n > state.instalment && n <= (input.instalments?.length ?? 1)) {
    // Money for an instalment that is not due yet: never lost silently, never counted early.
    const paid = formatAmount(confirmation.amount, confirmation.currency);
    state.flags.push({ reason: `paid ${paid} for instalment ${n} while instalment ${state.instalment} is due (${confirmation.via})`, alreadyStored: false });
    return;
  }
  if (!isOpen(state) || n !== state.instalment) return;
  const expected = expectedAmount(input, state.instalment);
  if (confirmation.currency !== input.currency || !amountsMatch(expected, confirmation.amount)) {
    const paid = formatAmount(confirmation.amount, confirmation.currency);
    state.flags.push({ reason: `paid ${paid} instead of ${formatAmount(expected, input.currency)} (${confirmation.via})`, alreadyStored: false });
    return;
  }
  state.payment = { via: confirmation.via, chargeId: confirmation.chargeId, providerPayload: confirmation.providerPayload };
}

/** Something for the flow to act on before its next timer. */
export function hasWork(state: PaymentState): boolean {
  return state.payment !== null || state.cancelRequested || state.failures.length > 0 || state.flags.length > 0;
}

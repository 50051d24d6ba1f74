import { amountsMatch, formatAmount, isPayable, type OrderStatus } from '../../domain/payments/payments';
import type { PaymentConfirmation, PaymentInput } from './contract';

/** A payment the workflow has accepted and will fulfil. */
export interface AcceptedPayment {
  via: 'webhook' | 'stars' | 'telegram' | 'manager';
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
  /**
   * The order is being closed (its `closeOrder` runs): from this moment nothing may be taken or
   * cancelled, even though Postgres (and `status`) do not say so yet.
   */
  closing: Extract<OrderStatus, 'expired' | 'cancelled'> | null;
  /** The payment id (provider's `payment_id` or Stars charge id) each instalment was taken with, when it had one. */
  acceptedIds: Record<number, string>;
  /**
   * Money the order cannot take (it arrived while the order was closing or closed, or it is a second
   * charge of an instalment already taken): flagged and told to the managers, never dropped.
   * `key` names the money (its payment id), so a notice about it goes out once.
   */
  stray: StrayPayment[];
}

/** Money that reached the workflow but cannot be fulfilled. */
export interface StrayPayment {
  reason: string;
  key?: string;
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
    closing: null,
    acceptedIds: {},
    stray: [],
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

/** Whether the order takes a payment, a failure or a cancellation now (open and not being closed). */
export function takesChanges(state: PaymentState): boolean {
  return isOpen(state) && state.closing === null;
}

/** The provider's payment id or the Stars charge id: two different ones are two charges. */
export function paymentIdOf(confirmation: Pick<PaymentConfirmation, 'chargeId' | 'providerPayload'>): string | undefined {
  if (confirmation.chargeId) return confirmation.chargeId;
  const id = confirmation.providerPayload?.payment_id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * Why payment `n` cannot be taken although it is money for this order, or null when it can (or is a
 * mere repeat): a second charge (another payment id for an instalment already taken), or money that
 * came while the order was being closed or after it was closed.
 */
export function strayReason(state: PaymentState, n: number, confirmation: PaymentConfirmation): string | null {
  const id = paymentIdOf(confirmation);
  const via = id ? `${confirmation.via}, payment ${id}` : confirmation.via;
  const taken = n < state.instalment || (n === state.instalment && (state.payment !== null || state.paidCount >= n));
  if (taken) {
    const first = state.acceptedIds[n];
    // Without both ids the two cannot be told apart: a repeat (as the webhook's own check treats it).
    if (!id || !first || id === first) return null;
    const when = state.paidCount >= n ? `after payment ${first}` : `while payment ${first} was being fulfilled`;
    return `paid again (payment ${id}) ${when} (${confirmation.via})`;
  }
  if (state.closing !== null) return `paid while the order was being ${state.closing} (${via})`;
  if (state.cancelRequested) return `paid while the order was being ${state.collecting ? 'written off' : 'cancelled'} (${via})`;
  if (!isPayable(state.status) && !state.collecting) return `paid after the order was ${state.status === 'paid' ? 'written off' : state.status} (${via})`;
  return null;
}

/**
 * A reported payment: accepted when it is for the instalment the order waits for, the order is
 * open and the amount and currency match; a mismatch becomes a flag for the managers; anything
 * else (a repeat, an instalment already paid, too late) changes nothing. Idempotent by order id
 * and instalment number: the workflow is one per order and takes one payment per instalment.
 */
export function receivePayment(
  state: PaymentState,
  input: PaymentInput,
  confirmation: PaymentConfirmation,
  /** Whether stray money is reported (the workflow's patch; workflows that ran before it dropped it). */
  reportStray: () => boolean = () => true,
): void {
  const n = confirmation.instalment ?? 1;
  if (n > state.instalment && n <= (input.instalments?.length ?? 1)) {
    // Money for an instalment that is not due yet: never lost silently, never counted early.
    const paid = formatAmount(confirmation.amount, confirmation.currency);
    state.flags.push({ reason: `paid ${paid} for instalment ${n} while instalment ${state.instalment} is due (${confirmation.via})`, alreadyStored: false });
    return;
  }
  const stray = strayReason(state, n, confirmation);
  if (stray !== null && reportStray()) {
    const key = paymentIdOf(confirmation);
    if (!key || !state.stray.some((s) => s.key === key)) state.stray.push({ reason: stray, ...(key && { key }) });
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
  const id = paymentIdOf(confirmation);
  if (id) state.acceptedIds[n] = id;
}

/** Something for the flow to act on before its next timer. */
export function hasWork(state: PaymentState): boolean {
  return state.payment !== null || state.cancelRequested || state.failures.length > 0 || state.flags.length > 0 || state.stray.length > 0;
}

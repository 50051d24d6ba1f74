import { condition, patched, setHandler } from '@temporalio/workflow';
import {
  cancelPaymentUpdate,
  confirmPaymentUpdate,
  paymentCancelledSignal,
  paymentFailedSignal,
  paymentFlaggedSignal,
  paymentPaidSignal,
  paymentStateQuery,
  type ManagerAction,
  type ManagerActionResult,
  type PaymentInput,
} from './contract';
import { receivePayment, takesChanges, type PaymentState } from './state';

/**
 * Money the order cannot take is flagged and told to the managers (it was dropped before), and a
 * manager's command waits for its outcome at most MANAGER_ANSWER_WITHIN_MS.
 */
export const PAYMENT_STRAY_MONEY_PATCH = 'payment-stray-money';

/** How long a manager's confirm or cancel waits for the order to be carried out before it answers `in_progress`. */
export const MANAGER_ANSWER_WITHIN_MS = 30_000;

/**
 * Waits for `done`, bounded: a manager's update never waits on an outage (the bot would stall behind
 * it). Workflows that ran before the patch waited without a bound, as their histories show.
 */
async function waitForOutcome(done: () => boolean): Promise<boolean> {
  if (!patched(PAYMENT_STRAY_MONEY_PATCH)) {
    await condition(done);
    return true;
  }
  return condition(done, MANAGER_ANSWER_WITHIN_MS);
}

/** A manager's id must be a Telegram user id: refused before the update reaches the history. */
function validateManager({ by }: ManagerAction): void {
  if (!Number.isSafeInteger(by) || by <= 0) throw new Error(`not a Telegram user id: ${by}`);
}

/** What a command on an order that no longer takes one is told: the status it has or is closing to. */
function closedAs(state: PaymentState): ManagerActionResult {
  const status = state.closing ?? (state.cancelRequested && !state.collecting ? 'cancelled' : state.status);
  return { outcome: 'already_closed', status };
}

/** The only place that calls setHandler for the payment workflow. */
export function installPaymentHandlers(state: PaymentState, input: PaymentInput): void {
  setHandler(paymentStateQuery, () => ({
    orderId: input.orderId,
    status: state.status,
    remindersSent: state.remindersSent,
    fulfilled: state.fulfilled,
    instalment: state.instalment,
  }));
  setHandler(paymentPaidSignal, (confirmation) => receivePayment(state, input, confirmation, () => patched(PAYMENT_STRAY_MONEY_PATCH)));
  setHandler(paymentFailedSignal, (failure) => {
    if (takesChanges(state)) state.failures.push(failure);
  });
  setHandler(paymentCancelledSignal, () => {
    if (takesChanges(state)) state.cancelRequested = true;
  });
  setHandler(paymentFlaggedSignal, ({ reason }) => {
    // A mismatched payment while another is being fulfilled is money too: the managers must hear of it.
    if (state.payment === null || patched(PAYMENT_STRAY_MONEY_PATCH)) state.flags.push({ reason, alreadyStored: true });
  });
  // Updates: the manager needs to know whether their confirm or cancel did anything.
  setHandler(
    confirmPaymentUpdate,
    async ({ by }): Promise<ManagerActionResult> => {
      if (state.payment !== null || (state.status === 'paid' && !state.collecting)) return { outcome: 'already_paid' };
      // Closing (expiry or a cancel under way): nothing will be fulfilled, the manager hears it at once.
      if (!takesChanges(state)) return closedAs(state);
      // A confirm counts as the payment the order waits for now (a later instalment once access is open).
      const n = state.instalment;
      state.payment = { via: 'manager', providerPayload: { confirmedBy: by } };
      // The answer comes once that payment is fulfilled (or, during an outage, that it is under way).
      if (!(await waitForOutcome(() => state.paidCount >= n))) return { outcome: 'in_progress' };
      return n === 1 ? { outcome: 'confirmed' } : { outcome: 'confirmed', instalment: n };
    },
    { validator: validateManager },
  );
  setHandler(
    cancelPaymentUpdate,
    async (): Promise<ManagerActionResult> => {
      if (state.collecting) {
        // Collecting later instalments: the cancel writes off what is left (after an instalment being
        // fulfilled right now); access stays open.
        if (state.cancelRequested) return { outcome: 'already_closed', status: state.status };
        state.cancelRequested = true;
        return (await waitForOutcome(() => !state.collecting)) ? { outcome: 'cancelled' } : { outcome: 'in_progress' };
      }
      if (state.payment !== null || state.status === 'paid') return { outcome: 'already_paid' };
      if (!takesChanges(state)) return closedAs(state);
      state.cancelRequested = true;
      return (await waitForOutcome(() => state.status === 'cancelled')) ? { outcome: 'cancelled' } : { outcome: 'in_progress' };
    },
    { validator: validateManager },
  );
}

import { condition, setHandler } from '@temporalio/workflow';
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
import { isOpen, receivePayment, type PaymentState } from './state';

/** A manager's id must be a Telegram user id: refused before the update reaches the history. */
function validateManager({ by }: ManagerAction): void {
  if (!Number.isSafeInteger(by) || by <= 0) throw new Error(`not a Telegram user id: ${by}`);
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
  setHandler(paymentPaidSignal, (confirmation) => receivePayment(state, input, confirmation));
  setHandler(paymentFailedSignal, (failure) => {
    if (isOpen(state)) state.failures.push(failure);
  });
  setHandler(paymentCancelledSignal, () => {
    if (isOpen(state)) state.cancelRequested = true;
  });
  setHandler(paymentFlaggedSignal, ({ reason }) => {
    if (state.payment === null) state.flags.push({ reason, alreadyStored: true });
  });
  // Updates: the manager needs to know whether their confirm or cancel did anything.
  setHandler(
    confirmPaymentUpdate,
    async ({ by }): Promise<ManagerActionResult> => {
      if (state.payment !== null || (state.status === 'paid' && !state.collecting)) return { outcome: 'already_paid' };
      if (!isOpen(state)) return { outcome: 'already_closed', status: state.status };
      // A confirm counts as the payment the order waits for now (a later instalment once access is open).
      const n = state.instalment;
      state.payment = { via: 'manager', providerPayload: { confirmedBy: by } };
      // The answer comes only once that payment is fulfilled.
      await condition(() => state.paidCount >= n);
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
        await condition(() => !state.collecting);
        return { outcome: 'cancelled' };
      }
      if (state.payment !== null || state.status === 'paid') return { outcome: 'already_paid' };
      if (!isOpen(state)) return { outcome: 'already_closed', status: state.status };
      state.cancelRequested = true;
      await condition(() => state.status === 'cancelled');
      return { outcome: 'cancelled' };
    },
    { validator: validateManager },
  );
}

import { condition } from '@temporalio/workflow';
import type { PaymentActivities, PaymentMessageKind } from '../../activities/payments';
import { instalmentDueMs } from '../../domain/payments/payments';
import { DEFAULT_INSTALMENT_OVERDUE_MS, DEFAULT_REMINDERS_MS, type PaymentInput } from './contract';
import { hasWork, type PaymentState } from './state';

/** What the payment workflow lends the instalment flow: its state, its activities and its ways to talk. */
export interface PaymentFlow {
  input: PaymentInput;
  state: PaymentState;
  workflowId: string;
  payments: Pick<
    PaymentActivities,
    'recordInstalmentPaid' | 'instalmentStillDue' | 'markInstalmentSent' | 'markInstalmentOverdue' | 'cancelUnpaidInstalments'
  >;
  tell(kind: PaymentMessageKind, outboundId: string, instalment?: number): Promise<boolean>;
  tellManagers(request: { kind: 'instalmentPaid' | 'fullyPaid' | 'instalmentOverdue' | 'instalmentsCancelled'; outboundId: string; via?: string; instalment?: number }): Promise<void>;
  /** Flags and failures reported meanwhile; true when it handled one. */
  handleReports(state: PaymentState): Promise<boolean>;
}

/** Where one later instalment stands. */
type Phase = 'scheduled' | 'sent' | 'overdue';

/**
 * The second and third payments of an instalment order, after the first opened access. Each falls
 * due 30 days apart counted from the first payment; when due, the lead gets the link (or a Stars
 * invoice), reminders 1 h and 24 h later, and after 72 h unpaid the managers are told: access is
 * never revoked by a timer, the instalment stays payable, and a manager confirms it (paid some other
 * way) or writes off the rest with a cancel. Each payment is fulfilled once: the workflow takes one
 * per instalment number and the activity is keyed by order id and number.
 */
export async function collectLaterInstalments(flow: PaymentFlow): Promise<void> {
  const { input, state, workflowId } = flow;
  const count = input.instalments?.length ?? 1;
  const firstPaidAt = Date.now();
  const reminders = (input.timing?.reminderAfterMs ?? DEFAULT_REMINDERS_MS).slice(0, 2);
  const overdueAfter = input.timing?.expireAfterMs ?? DEFAULT_INSTALMENT_OVERDUE_MS;

  for (let n = 2; n <= count; n++) {
    Object.assign(state, { instalment: n, payment: null, collecting: true, remindersSent: 0 });
    const prefix = `${workflowId}/instalment-${n}`;
    let phase: Phase = 'scheduled';
    let sentAt = 0;
    // A payment made late pushes nothing: the schedule counts from the first payment.
    const dueAt = Math.max(instalmentDueMs(firstPaidAt, n), Date.now());

    for (;;) {
      const nextAt =
        phase === 'scheduled'
          ? dueAt
          : phase === 'sent'
            ? sentAt + (state.remindersSent < reminders.length ? reminders[state.remindersSent] : overdueAfter)
            : undefined;
      // Overdue: no timer is left, only a payment or a manager moves the order on.
      let woken = true;
      if (nextAt === undefined) await condition(() => hasWork(state));
      else woken = await condition(() => hasWork(state), Math.max(0, nextAt - Date.now()));
      if (state.payment !== null) {
        await fulfilInstalment(flow, n, count);
        break;
      }
      if (state.cancelRequested) {
        await flow.payments.cancelUnpaidInstalments({ orderId: input.orderId });
        await flow.tellManagers({ kind: 'instalmentsCancelled', outboundId: `${prefix}/cancelled/managers`, instalment: n });
        state.collecting = false;
        return;
      }
      if (await flow.handleReports(state)) continue;
      if (woken) continue;
      if (phase === 'scheduled') {
        if (!(await flow.payments.instalmentStillDue({ orderId: input.orderId, instalment: n }))) {
          state.collecting = false;
          return;
        }
        if (await flow.tell('instalmentDue', `${prefix}/due`, n)) await flow.payments.markInstalmentSent({ orderId: input.orderId, instalment: n });
        phase = 'sent';
        sentAt = Date.now();
      } else if (state.remindersSent < reminders.length) {
        const kind = state.remindersSent === 0 ? 'instalmentReminder1' : 'instalmentReminder2';
        await flow.tell(kind, `${prefix}/${kind}`, n);
        state.remindersSent += 1;
      } else {
        await flow.payments.markInstalmentOverdue({ orderId: input.orderId, instalment: n });
        await flow.tellManagers({ kind: 'instalmentOverdue', outboundId: `${prefix}/overdue/managers`, instalment: n });
        phase = 'overdue';
      }
    }
  }
  state.collecting = false;
}

/** Payment `n` arrived: recorded once; the lead is thanked and the managers told (the last one: fully paid). */
async function fulfilInstalment(flow: PaymentFlow, n: number, count: number): Promise<void> {
  const { input, state, workflowId } = flow;
  const paid = state.payment as NonNullable<PaymentState['payment']>;
  await flow.payments.recordInstalmentPaid({ orderId: input.orderId, instalment: n, ...paid });
  const last = n === count;
  await flow.tell(last ? 'fullyPaid' : 'instalmentPaid', `${workflowId}/instalment-${n}/paid`, n);
  await flow.tellManagers({ kind: last ? 'fullyPaid' : 'instalmentPaid', outboundId: `${workflowId}/instalment-${n}/paid/managers`, via: paid.via, instalment: n });
  state.paidCount = n;
}

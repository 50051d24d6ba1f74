import { allHandlersFinished, condition, getExternalWorkflowHandle, log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { PaymentActivities, PaymentMessageKind } from '../../activities/payments';
import { domainEventSignal, leadWorkflowId } from '../lead-conversation/contract';
import {
  DEFAULT_EXPIRY_MS,
  DEFAULT_REMINDERS_MS,
  PAYMENT_PAID_EVENT,
  paymentAfterCloseWorkflowId,
  paymentPaidEventId,
  type PaymentInput,
  type PaymentOutcome,
} from './contract';
import { installPaymentHandlers, PAYMENT_STRAY_MONEY_PATCH } from './handlers';
import { collectLaterInstalments, type PaymentFlow } from './instalments';
import { hasWork, initialPaymentState, type AcceptedPayment, type PaymentState } from './state';

/** An offer that could not be delivered is told to the managers (before, the order only stayed `created`). */
const OFFER_UNDELIVERED_PATCH = 'payment-offer-undelivered-notice';

/** Telegram's reason, as the activity's failure carries it, short enough for a notice. */
function failureReason(error: unknown): string {
  const failure = error as { cause?: { message?: string }; message?: string };
  return String(failure.cause?.message ?? failure.message ?? error).slice(0, 200);
}

type RecordActivities = Omit<PaymentActivities, 'sendPaymentMessage' | 'notifyManagersAboutPayment' | 'createOrder'>;

/**
 * Postgres work (and the notice about money the order cannot take): an outage delays the order, and
 * the fulfilment of money already paid, but never fails it: retried without a cap, as the lead
 * workflow does.
 */
const records = proxyActivities<RecordActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: ['BadOrderRequest'] },
});

/** Messages to the lead and the managers: capped; one that cannot go out is logged and the order goes on. */
const messages = proxyActivities<Pick<PaymentActivities, 'sendPaymentMessage' | 'notifyManagersAboutPayment'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
});

/** What the paying customer must get (access, the receipt of an instalment): never given up on. */
const access = proxyActivities<Pick<PaymentActivities, 'sendPaymentMessage'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});
const ACCESS_MESSAGES: readonly PaymentMessageKind[] = ['onboarding', 'instalmentPaid', 'fullyPaid'];

/**
 * One order from the offer to its end: the link or Stars invoice goes out, reminders after 1 h and
 * 24 h, expiry at 72 h. A confirmed payment (webhook, Stars, or a manager) is fulfilled exactly once,
 * however many confirmations arrive: the workflow takes the first and ignores the rest, and every
 * fulfilment activity is keyed by the order id, so a retried one changes nothing either. An
 * instalment order then collects its second and third payments (instalments.ts).
 */
export async function paymentWorkflow(input: PaymentInput): Promise<PaymentOutcome> {
  const workflowId = workflowInfo().workflowId;
  const state = initialPaymentState();
  installPaymentHandlers(state, input);
  let failureCount = 0;
  let flagCount = 0;
  let strayCount = 0;
  /** Instalments whose failure was already answered: a repeated failure gets no second retry offer or notice. */
  const failureAnswered = new Set<number>();

  /** Why the last message could not be delivered, for the managers' notice about an undelivered offer. */
  let undelivered = '';

  /** A message that cannot be delivered (the lead blocked the bot) is logged; the order goes on. */
  async function tell(kind: PaymentMessageKind, outboundId: string, instalment?: number): Promise<boolean> {
    try {
      const proxy = ACCESS_MESSAGES.includes(kind) ? access : messages;
      await proxy.sendPaymentMessage({ input, kind, outboundId, ...(instalment !== undefined && { instalment }) });
      return true;
    } catch (error) {
      log.warn('payment message not delivered', { orderId: input.orderId, kind, error: String(error) });
      undelivered = failureReason(error);
      return false;
    }
  }

  async function tellManagers(request: Omit<Parameters<PaymentActivities['notifyManagersAboutPayment']>[0], 'input'>): Promise<void> {
    try {
      await messages.notifyManagersAboutPayment({ input, ...request });
    } catch (error) {
      log.warn('managers not told about a payment', { orderId: input.orderId, kind: request.kind, error: String(error) });
    }
  }

  async function fulfil(paid: AcceptedPayment): Promise<void> {
    await records.recordOrderPaid({ orderId: input.orderId, ...paid });
    state.status = 'paid';
    await records.makeCustomer({ orderId: input.orderId, leadId: input.leadId, productCode: input.product.code });
    await tell('onboarding', `${workflowId}/onboarding`);
    await tellManagers({ kind: 'paid', outboundId: `${workflowId}/paid`, via: paid.via });
    try {
      // The lead's conversation stops warm-up follow-ups; it may not exist (a lead from elsewhere).
      await getExternalWorkflowHandle(leadWorkflowId(input.telegramUserId)).signal(domainEventSignal, {
        id: paymentPaidEventId(input.orderId),
        name: PAYMENT_PAID_EVENT,
        payload: { orderId: input.orderId, product: input.product.code },
      });
    } catch (error) {
      log.warn('lead workflow not signalled about the payment', { orderId: input.orderId, error: String(error) });
    }
    state.fulfilled = true;
    state.paidCount = 1;
  }

  // `sent` means the lead has the link or invoice; an undelivered offer leaves the order `created`
  // (payable still: a manager can confirm it or send a personal link).
  if (await tell('offer', `${workflowId}/offer`)) {
    await records.markOrderSent(input.orderId);
    state.status = 'sent';
  } else if (patched(OFFER_UNDELIVERED_PATCH)) {
    // Nobody else would know: the lead waits for a link that never came (or blocked the bot).
    await tellManagers({ kind: 'offerUndelivered', outboundId: `${workflowId}/offer-undelivered`, reason: undelivered });
  }

  const start = Date.now();
  const reminders = input.timing?.reminderAfterMs ?? DEFAULT_REMINDERS_MS;
  const deadlines: { atMs: number; kind: 'reminder1' | 'reminder2' | 'expire' }[] = [
    ...reminders.slice(0, 2).map((atMs, index) => ({ atMs, kind: index === 0 ? ('reminder1' as const) : ('reminder2' as const) })),
    { atMs: input.timing?.expireAfterMs ?? DEFAULT_EXPIRY_MS, kind: 'expire' },
  ];
  let next = 0;

  for (;;) {
    const due = deadlines[next];
    const woken = await condition(() => hasWork(state), Math.max(0, start + due.atMs - Date.now()));
    if (state.payment !== null) {
      await fulfil(state.payment);
      break;
    }
    if (state.cancelRequested) {
      // From here a payment or a manager's command finds the order closing (state.ts), never open.
      state.closing = 'cancelled';
      const { changed } = await records.closeOrder({ orderId: input.orderId, status: 'cancelled' });
      state.status = 'cancelled';
      state.closing = null;
      if (changed) {
        await tell('cancelled', `${workflowId}/cancelled`);
        await tellManagers({ kind: 'cancelled', outboundId: `${workflowId}/cancelled/managers` });
      }
      break;
    }
    if (await handleReports(state)) continue;
    if (woken) continue;
    if (due.kind === 'expire') {
      state.closing = 'expired';
      const { changed } = await records.closeOrder({ orderId: input.orderId, status: 'expired' });
      state.status = 'expired';
      state.closing = null;
      if (changed) {
        await tell('expired', `${workflowId}/expired`);
        await tellManagers({ kind: 'expired', outboundId: `${workflowId}/expired/managers` });
      }
      break;
    }
    await tell(due.kind, `${workflowId}/${due.kind}`);
    state.remindersSent += 1;
    next += 1;
  }

  // Orders made before instalments existed end at their first payment, as their histories did.
  const laterInstalments = state.status === 'paid' && (input.instalments?.length ?? 0) > 1 && patched('payment-instalments');
  if (laterInstalments) {
    const flow: PaymentFlow = { input, state, workflowId, payments: records, tell, tellManagers, handleReports };
    await collectLaterInstalments(flow);
  }

  // Money that came while the order was fulfilled or closed is reported before the workflow ends;
  // a manager's confirm or cancel gets its answer; then anything that came meanwhile.
  await reportStrayMoney();
  await condition(allHandlersFinished);
  await reportStrayMoney();
  return {
    orderId: input.orderId,
    status: state.status as PaymentOutcome['status'],
    ...(laterInstalments && { instalmentsPaid: state.paidCount }),
  };

  /**
   * A flagged payment or a failure reported meanwhile; true when there was one. A failure is answered
   * (a retry offer, a manager notice) once per instalment: repeats are only recorded.
   */
  async function handleReports(current: PaymentState): Promise<boolean> {
    if ((await reportOneStray(current)) || (await reportOneFlag(current))) return true;
    const failure = current.failures.shift();
    if (!failure) return false;
    await records.recordOrderFailed({ orderId: input.orderId, providerPayload: failure.providerPayload });
    if (!current.collecting) current.status = 'failed';
    if (failureAnswered.has(current.instalment)) {
      log.info('repeated payment failure: recorded, not answered again', { orderId: input.orderId, instalment: current.instalment });
      return true;
    }
    failureAnswered.add(current.instalment);
    failureCount += 1;
    const about = current.instalment === 1 ? {} : { instalment: current.instalment };
    await tell('failed', `${workflowId}/failed-${failureCount}`, about.instalment);
    await tellManagers({ kind: 'failed', outboundId: `${workflowId}/failed-${failureCount}/managers`, reason: failure.reason, ...about });
    return true;
  }

  /**
   * Money the order cannot take: the order is flagged and the managers get the late-payment notice,
   * keyed like the one the api or the bot would start for the same payment id, so it goes out once
   * whichever path hears of the money. True when there was one.
   */
  async function reportOneStray(current: PaymentState): Promise<boolean> {
    const stray = current.stray.shift();
    if (!stray) return false;
    strayCount += 1;
    await records.flagOrder({ orderId: input.orderId, reason: stray.reason });
    const outboundId = stray.key ? paymentAfterCloseWorkflowId(input.orderId, stray.key) : `${workflowId}/stray-${strayCount}`;
    try {
      await records.notifyManagersAboutPaymentAfterClose({ orderId: input.orderId, reason: stray.reason, outboundId });
    } catch (error) {
      log.error('managers not told about money the order cannot take', { orderId: input.orderId, reason: stray.reason, error: String(error) });
    }
    log.warn('money the order cannot take: flagged, managers told', { orderId: input.orderId, reason: stray.reason });
    return true;
  }

  /** After the order's own flow: stray money and flags that came meanwhile (workflows before the patch dropped them). */
  async function reportStrayMoney(): Promise<void> {
    while (state.stray.length > 0 || state.flags.length > 0) {
      if (!patched(PAYMENT_STRAY_MONEY_PATCH)) return;
      if (!(await reportOneStray(state))) await reportOneFlag(state);
    }
  }

  /** A payment that did not match the order: flagged (unless the api did) and told to the managers. */
  async function reportOneFlag(current: PaymentState): Promise<boolean> {
    const flag = current.flags.shift();
    if (!flag) return false;
    flagCount += 1;
    if (!flag.alreadyStored) await records.flagOrder({ orderId: input.orderId, reason: flag.reason });
    await tellManagers({ kind: 'flagged', outboundId: `${workflowId}/flagged-${flagCount}`, reason: flag.reason });
    return true;
  }
}

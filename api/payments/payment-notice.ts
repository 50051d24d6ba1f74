import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { PaymentWorkflowsPort } from '../../bot/payments/payment-workflows';
import { findInstalment, type InstalmentRow } from '../../db/instalments';
import { failureEventSeen, findOrder, flagOrder, otherPaymentHandedOver, recordPaymentWebhook, type OrderRow, type WebhookOutcome } from '../../db/orders';
import { isPayable, webhookVerdict, type PaymentTarget } from '../../domain/payments/payments';
import { flagMoneyForNoOrder } from './money-for-no-order';

/**
 * What a payment notification says, whoever sent it: our own webhook format or a provider's
 * adapter (api/payments/*). Every adapter turns its provider's notification into one of these, so
 * the verdict, the record, the flags and the workflow signals are the same for every provider.
 */
export interface PaymentNotice {
  orderId: number;
  /** Which payment of an instalment order; 1 when absent. */
  instalment?: number;
  status: 'paid' | 'failed';
  amount: number;
  currency: string;
  /** The provider's id of this payment: the same id again is the same money. */
  paymentId?: string;
  reason?: string;
  /** Kept on the order and its flags; its `payment_id` is what tells a redelivery from a second charge. */
  providerPayload: Record<string, unknown>;
}

/** The request a notice came in: recorded with it in `payment_webhooks`. */
export interface NoticeRequest {
  /** The body as received (the first 4,000 characters are kept). */
  body: string;
  remoteAddress: string;
  /** Names the payment when it has no id of its own (our format allows that). */
  rawBody: Buffer;
}

export interface PaymentNoticeDeps {
  db: Knex;
  logger: Logger;
  workflows: PaymentWorkflowsPort;
}

export type NoticeResult =
  | { result: 'unknown_order' }
  | { result: 'no_instalment' }
  | { result: 'duplicate'; status: string }
  | { result: 'flagged'; reason: string }
  | { result: 'accepted' };

/** What a webhook for payment `instalment` (absent: the order's first or only payment) is about, as Postgres has it. */
export function paymentTarget(order: OrderRow, instalment: InstalmentRow | undefined): PaymentTarget {
  const paidId = (payload: Record<string, unknown> | null) => (typeof payload?.payment_id === 'string' ? payload.payment_id : undefined);
  if (!instalment) {
    const state = order.status === 'paid' || order.status === 'refunded' ? 'paid' : isPayable(order.status) ? 'open' : 'closed';
    return { state, closedAs: order.status, amount: Number(order.amount), currency: order.currency, paidPaymentId: paidId(order.provider_payload) };
  }
  const base = { amount: Number(instalment.amount), currency: instalment.currency };
  if (instalment.status === 'paid') return { ...base, state: 'paid', paidPaymentId: paidId(instalment.provider_payload) };
  if (order.status !== 'paid') return { ...base, state: 'closed', closedAs: order.status === 'refunded' ? 'refunded' : `${order.status}, its first payment missing` };
  if (instalment.status === 'cancelled') return { ...base, state: 'closed', closedAs: 'written off' };
  return { ...base, state: 'open' };
}

/** The order and the payment a notice names, or why there is none (a pre-payment check needs this alone). */
export async function noticeTarget(
  db: Knex,
  orderId: number,
  n: number,
): Promise<{ order: OrderRow; instalment?: InstalmentRow; target: PaymentTarget } | { order: OrderRow; target?: undefined } | undefined> {
  const order = await findOrder(db, orderId);
  if (!order) return undefined;
  const instalment = n > 1 ? await findInstalment(db, Number(order.id), n) : undefined;
  // The order has no such payment: a body no provider should send.
  if (n > 1 && !instalment) return { order };
  return { order, instalment, target: paymentTarget(order, instalment) };
}

/**
 * Applies a verified notice: recorded in `payment_webhooks` with what became of it, a wrong amount
 * or money for something closed flagged (and the managers told), a payment handed to the order's
 * workflow. The same payment again changes nothing.
 */
export async function applyPaymentNotice(deps: PaymentNoticeDeps, notice: PaymentNotice, request: NoticeRequest): Promise<NoticeResult> {
  const log = deps.logger.child({ route: 'payment notice' });
  const n = notice.instalment ?? 1;
  const found = await noticeTarget(deps.db, notice.orderId, n);
  const text = request.body;
  if (!found) {
    await recordPaymentWebhook(deps.db, { outcome: 'unknown_order', body: text, remoteAddress: request.remoteAddress, providerEventId: notice.paymentId });
    log.warn({ orderId: notice.orderId }, 'payment webhook for an unknown order');
    if (notice.status === 'paid') {
      const paymentId = notice.paymentId ?? createHash('sha256').update(request.rawBody).digest('hex').slice(0, 16);
      await flagMoneyForNoOrder(deps, { via: notice.providerPayload.provider === undefined ? 'webhook' : String(notice.providerPayload.provider), paymentId, amount: notice.amount, currency: notice.currency, orderRef: String(notice.orderId), payload: notice.providerPayload });
    }
    return { result: 'unknown_order' };
  }
  const orderId = Number(found.order.id);
  if (!found.target) {
    await recordPaymentWebhook(deps.db, { outcome: 'invalid_body', orderId, body: text, remoteAddress: request.remoteAddress });
    return { result: 'no_instalment' };
  }
  const { order, instalment, target } = found;
  const providerPayload = notice.providerPayload;
  const seenFailure = notice.status === 'failed' && notice.paymentId !== undefined && (await failureEventSeen(deps.db, orderId, notice.paymentId));
  const verdict = webhookVerdict(target, { status: notice.status, amount: notice.amount, currency: notice.currency, paymentId: notice.paymentId }, seenFailure);
  const recordAs = (outcome: WebhookOutcome) =>
    recordPaymentWebhook(deps.db, { outcome, orderId, body: text, remoteAddress: request.remoteAddress, providerEventId: notice.paymentId, instalment: n });
  // The same payment id (or the same bytes) names the same money: one notice however often it comes.
  const paymentKey = notice.paymentId ?? createHash('sha256').update(request.rawBody).digest('hex').slice(0, 16);
  const tellManagersLate = async (reason: string) => {
    const told = await deps.workflows.paidAfterClose({ orderId, reason }, paymentKey.slice(0, 100));
    log.warn({ orderId, reason, told }, 'money for a closed order: flagged, managers told');
  };

  switch (verdict.kind) {
    case 'duplicate':
      await recordAs('duplicate');
      return { result: 'duplicate', status: instalment?.status ?? order.status };
    case 'mismatch': {
      await flagOrder(deps.db, orderId, verdict.reason, providerPayload);
      await recordAs('amount_mismatch');
      log.warn({ orderId, reason: verdict.reason }, 'payment flagged for a manager');
      const heard = target.state === 'open' && (await deps.workflows.flagged(orderId, verdict.reason));
      if (!heard) await tellManagersLate(verdict.reason);
      return { result: 'flagged', reason: verdict.reason };
    }
    case 'closed':
      await flagOrder(deps.db, orderId, verdict.reason, providerPayload);
      await recordAs('order_closed');
      await tellManagersLate(verdict.reason);
      return { result: 'flagged', reason: verdict.reason };
    case 'failed':
      await recordAs('failed');
      await deps.workflows.failed(orderId, { reason: notice.reason ?? 'declined by the provider', providerPayload });
      return { result: 'accepted' };
    case 'paid':
      break;
  }
  // Another payment id already went to the workflow for this payment (not recorded on the order yet):
  // this one is a second charge. The workflow would flag it too; here the provider hears it at once.
  const first = notice.paymentId === undefined ? undefined : await otherPaymentHandedOver(deps.db, orderId, n, notice.paymentId);
  if (first !== undefined) {
    const reason = `paid again (payment ${notice.paymentId}) while payment ${first} was being fulfilled (webhook)`;
    await flagOrder(deps.db, orderId, reason);
    await recordAs('second_payment');
    await tellManagersLate(reason);
    return { result: 'flagged', reason };
  }
  const confirmation = { via: 'webhook' as const, amount: notice.amount, currency: notice.currency, providerPayload, ...(n > 1 && { instalment: n }) };
  if (await deps.workflows.paid(orderId, confirmation)) {
    await recordAs('paid');
    return { result: 'accepted' };
  }
  // The workflow ended between our read and the signal: Postgres tells what happened.
  const now = await findOrder(deps.db, orderId);
  const nowTarget = now ? paymentTarget(now, n > 1 ? await findInstalment(deps.db, orderId, n) : undefined) : undefined;
  if (nowTarget?.state === 'paid') {
    await recordAs('duplicate');
    return { result: 'duplicate', status: now?.status ?? 'paid' };
  }
  const reason = `paid after the order was ${nowTarget?.closedAs ?? now?.status ?? 'gone'} (webhook)`;
  await flagOrder(deps.db, orderId, reason, providerPayload);
  await recordAs('order_closed');
  await tellManagersLate(reason);
  return { result: 'flagged', reason };
}

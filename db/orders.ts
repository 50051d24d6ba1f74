import type { Knex } from 'knex';
import { recordPaymentFlag } from './payment-flags';
import { PAYABLE_STATUSES, type OrderStatus, type PaymentMethod, type PaymentType } from '../domain/payments/payments';
import { insertInstalments } from './instalments';
import { providerChargeOf } from './provider-charge';

export interface OrderRow {
  id: number;
  /** null once the customer erased their data with /reset: the order stays, the person goes. */
  lead_id: number | null;
  product_id: number;
  type: PaymentType;
  method: PaymentMethod;
  /** numeric: pg returns it as a string. */
  amount: string;
  currency: string;
  payment_url: string | null;
  status: OrderStatus;
  provider_payload: Record<string, unknown> | null;
  telegram_payment_charge_id: string | null;
  /** Telegram Payments: the provider's id of the charge (migration 027). */
  provider_payment_charge_id: string | null;
  flagged_reason: string | null;
  paid_via: 'webhook' | 'stars' | 'telegram' | 'manager' | null;
  created_by: number | null;
  sent_at: Date | null;
  paid_at: Date | null;
  closed_at: Date | null;
  /** Every instalment paid; with paid_at for a full or manual order. */
  fully_paid_at: Date | null;
  /** Set on /reset: a random name shared by that person's orders. */
  customer_pseudonym: string | null;
  personal_data_erased_at: Date | null;
  /** Set on /reset for an order with a Stars charge: refundStarPayment needs the payer's id. */
  payer_telegram_id: number | null;
  created_at: Date;
  updated_at: Date;
}

/** Whom Telegram refunds a Stars charge to: the lead, or the payer id kept when the lead erased their data. */
export async function starsPayerOf(db: Knex, order: Pick<OrderRow, 'lead_id' | 'payer_telegram_id'>): Promise<number | undefined> {
  if (order.lead_id === null) return order.payer_telegram_id === null ? undefined : Number(order.payer_telegram_id);
  const lead = await db('leads').where({ id: order.lead_id }).first('telegram_user_id');
  return lead ? Number(lead.telegram_user_id) : undefined;
}

export type PaidVia = NonNullable<OrderRow['paid_via']>;

export async function insertOrder(
  db: Knex,
  order: {
    leadId: number;
    productId: number;
    type: PaymentType;
    method: PaymentMethod;
    amount: number;
    currency: string;
    /** The order's payment page, made from its id once it has one. */
    paymentUrl?: (orderId: number) => string;
    createdBy?: number;
    /** An instalment order: the amount of each of its payments (the first is `amount`). */
    instalments?: number[];
    /** An id taken ahead with `nextOrderId` (a provider's payment was made for it first). */
    id?: number;
  },
): Promise<OrderRow> {
  return db.transaction(async (trx) => {
    const [row] = await trx('orders')
      .insert({
        ...(order.id !== undefined && { id: order.id }),
        lead_id: order.leadId,
        product_id: order.productId,
        type: order.type,
        method: order.method,
        amount: order.amount,
        currency: order.currency,
        created_by: order.createdBy ?? null,
      })
      .returning('*');
    if (order.instalments) await insertInstalments(trx, Number(row.id), order.instalments, order.currency);
    if (!order.paymentUrl) return row as OrderRow;
    const [withUrl] = await trx('orders').where({ id: row.id }).update({ payment_url: order.paymentUrl(Number(row.id)) }).returning('*');
    return withUrl as OrderRow;
  });
}

/** The id the next order would get, taken now (for a provider payment keyed by it before the order exists). */
export async function nextOrderId(db: Knex): Promise<number> {
  const { rows } = await db.raw(`select nextval(pg_get_serial_sequence('orders', 'id')) as id`);
  return Number(rows[0].id);
}

export async function findOrder(db: Knex, orderId: number): Promise<OrderRow | undefined> {
  if (!Number.isSafeInteger(orderId) || orderId <= 0) return undefined;
  return db<OrderRow>('orders').where({ id: orderId }).first();
}

/** created → sent, once the link or invoice reached the lead. */
export async function markOrderSent(db: Knex, orderId: number): Promise<void> {
  await db('orders').where({ id: orderId, status: 'created' }).update({ status: 'sent', sent_at: db.fn.now(), updated_at: db.fn.now() });
}

/**
 * A payable order becomes paid; true only for the call that changed it, so a repeated
 * confirmation changes nothing.
 */
export async function markOrderPaid(
  db: Knex,
  orderId: number,
  payment: { via: PaidVia; providerPayload?: Record<string, unknown>; chargeId?: string },
): Promise<boolean> {
  const changed = await db('orders')
    .where({ id: orderId })
    .whereIn('status', [...PAYABLE_STATUSES])
    .update({
      status: 'paid',
      paid_via: payment.via,
      paid_at: db.fn.now(),
      // An instalment order is fully paid only with its last instalment (db/instalments.ts).
      fully_paid_at: db.raw(`case when type = 'instalment' then null else now() end`),
      updated_at: db.fn.now(),
      ...(payment.providerPayload && { provider_payload: payment.providerPayload }),
      ...(payment.chargeId && { telegram_payment_charge_id: payment.chargeId }),
      ...providerChargeOf(payment.providerPayload),
    });
  return changed > 0;
}

export async function markOrderFailed(db: Knex, orderId: number, providerPayload?: Record<string, unknown>): Promise<boolean> {
  const changed = await db('orders')
    .where({ id: orderId })
    .whereIn('status', ['created', 'sent'])
    .update({ status: 'failed', updated_at: db.fn.now(), ...(providerPayload && { provider_payload: providerPayload }) });
  return changed > 0;
}

/** A payable order is cancelled (a manager) or expired (72 hours unpaid). */
export async function closeOrder(db: Knex, orderId: number, status: 'cancelled' | 'expired'): Promise<boolean> {
  const changed = await db('orders')
    .where({ id: orderId })
    .whereIn('status', [...PAYABLE_STATUSES])
    .update({ status, closed_at: db.fn.now(), updated_at: db.fn.now() });
  return changed > 0;
}

export async function markOrderRefunded(db: Knex, orderId: number): Promise<boolean> {
  const changed = await db('orders')
    .where({ id: orderId, status: 'paid' })
    .update({ status: 'refunded', closed_at: db.fn.now(), updated_at: db.fn.now() });
  return changed > 0;
}

/**
 * A payment that does not match the order: kept for a manager, never fulfilled by itself. Its payload
 * is kept on an order nobody paid yet; a paid order keeps the payload of the payment that was
 * fulfilled (its payment id is what tells a redelivery from a second charge). Every body stays in
 * `payment_webhooks` either way, and every flag in `payment_flags`.
 */
export async function flagOrder(
  db: Knex,
  orderId: number,
  reason: string,
  providerPayload?: Record<string, unknown>,
  payerTelegramId?: number,
): Promise<void> {
  // Every flag keeps its own row (the payment's id, payload and payer); the order shows the latest reason.
  await recordPaymentFlag(db, { orderId, reason, payload: providerPayload, payerTelegramId });
  await db('orders')
    .where({ id: orderId })
    .update({
      flagged_reason: reason,
      updated_at: db.fn.now(),
      ...(providerPayload && {
        provider_payload: db.raw(`case when status in ('paid', 'refunded') then provider_payload else ?::jsonb end`, [JSON.stringify(providerPayload)]),
      }),
    });
}

/**
 * Stars and Telegram Payments: the charge ids arrive with successful_payment; a Stars refund needs
 * Telegram's, a provider's refund (in its dashboard) the provider's.
 */
export async function recordInvoiceCharge(db: Knex, orderId: number, chargeId: string, providerChargeId?: string): Promise<void> {
  await db('orders')
    .where({ id: orderId })
    .update({ telegram_payment_charge_id: chargeId, ...(providerChargeId && { provider_payment_charge_id: providerChargeId }), updated_at: db.fn.now() });
}

/** A paying lead becomes a customer (warm-up follow-ups are for leads, not customers). */
export async function makeLeadCustomer(db: Knex, leadId: number): Promise<void> {
  await db('leads').where({ id: leadId }).update({ mode: 'customer', updated_at: db.fn.now() });
}

export type WebhookOutcome =
  | 'bad_signature'
  | 'not_json'
  | 'invalid_body'
  | 'unknown_order'
  | 'duplicate'
  | 'amount_mismatch'
  | 'order_closed'
  /** Another payment id for a payment already handed to the workflow: a second charge. */
  | 'second_payment'
  | 'paid'
  | 'failed'
  /** A provider asked before taking the money (CloudPayments Check): payable, or refused with its code. */
  | 'check_accepted'
  | 'check_refused'
  /** A signed notice that moves no money (a two-stage hold, an event we do not act on). */
  | 'ignored'
  /** A refund made at the provider (YooKassa refund.succeeded): flagged for the managers. */
  | 'refund_noted';

/** Every payment webhook is recorded, refused ones too. */
export async function recordPaymentWebhook(
  db: Knex,
  entry: { outcome: WebhookOutcome; orderId?: number; body: string; remoteAddress?: string; providerEventId?: string; instalment?: number },
): Promise<void> {
  await db('payment_webhooks').insert({
    order_id: entry.orderId ?? null,
    provider_event_id: entry.providerEventId ?? null,
    instalment: entry.instalment ?? null,
    outcome: entry.outcome,
    body: entry.body.slice(0, 4000),
    remote_address: entry.remoteAddress?.slice(0, 64) ?? null,
  });
}

/**
 * The payment id of another webhook that already handed payment `instalment` of the order to its
 * workflow (recorded `paid`), if any: a different id now is a second charge, even before the first
 * is recorded on the order.
 */
export async function otherPaymentHandedOver(db: Knex, orderId: number, instalment: number, paymentId: string): Promise<string | undefined> {
  const row = await db('payment_webhooks')
    .where({ order_id: orderId, outcome: 'paid' })
    .whereRaw('coalesce(instalment, 1) = ?', [instalment])
    .whereNotNull('provider_event_id')
    .whereNot({ provider_event_id: paymentId })
    .orderBy('id')
    .first('provider_event_id');
  return row?.provider_event_id ?? undefined;
}

/** Whether this provider event already came in as a failure for the order: one retry offer per event. */
export async function failureEventSeen(db: Knex, orderId: number, providerEventId: string): Promise<boolean> {
  const row = await db('payment_webhooks').where({ order_id: orderId, provider_event_id: providerEventId, outcome: 'failed' }).first('id');
  return row !== undefined;
}

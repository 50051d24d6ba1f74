import type { Knex } from 'knex';
import { INSTALMENT_INTERVAL_MS } from '../domain/payments/payments';
import type { PaidVia } from './orders';
import { providerChargeOf } from './provider-charge';

/** One of the three payments of an instalment order (migration 20261202_021). */
export interface InstalmentRow {
  id: number;
  order_id: number;
  number: number;
  /** numeric: pg returns it as a string. */
  amount: string;
  currency: string;
  due_at: Date | null;
  status: 'pending' | 'sent' | 'paid' | 'overdue' | 'cancelled';
  paid_via: PaidVia | null;
  telegram_payment_charge_id: string | null;
  /** Telegram Payments: the provider's id of this instalment's charge (migration 027). */
  provider_payment_charge_id: string | null;
  provider_payload: Record<string, unknown> | null;
  /** The provider's page made for this part (migration 033); null: the order's link serves it. */
  payment_url: string | null;
  sent_at: Date | null;
  paid_at: Date | null;
}

/** Statuses in which an instalment may still be paid (an overdue one too: access was never revoked). */
export const PAYABLE_INSTALMENT_STATUSES = ['pending', 'sent', 'overdue'] as const;

/** The rows of a new instalment order; the first is due at once, the later ones get a date when it is paid. */
export async function insertInstalments(db: Knex, orderId: number, amounts: number[], currency: string): Promise<void> {
  await db('order_instalments').insert(
    amounts.map((amount, index) => ({ order_id: orderId, number: index + 1, amount, currency, ...(index === 0 && { due_at: db.fn.now() }) })),
  );
}

export async function findInstalment(db: Knex, orderId: number, number: number): Promise<InstalmentRow | undefined> {
  return db<InstalmentRow>('order_instalments').where({ order_id: orderId, number }).first();
}

export async function listInstalments(db: Knex, orderId: number): Promise<InstalmentRow[]> {
  return db<InstalmentRow>('order_instalments').where({ order_id: orderId }).orderBy('number');
}

/** Whether instalment `number` may still be asked for: the order is paid (not refunded) and the part unpaid. */
export async function instalmentStillDue(db: Knex, orderId: number, number: number): Promise<boolean> {
  const row = await db('order_instalments as i')
    .join('orders as o', 'o.id', 'i.order_id')
    .where({ 'i.order_id': orderId, 'i.number': number, 'o.status': 'paid' })
    .whereIn('i.status', [...PAYABLE_INSTALMENT_STATUSES])
    .first('i.id');
  return row !== undefined;
}

export async function markInstalmentSent(db: Knex, orderId: number, number: number): Promise<void> {
  await db('order_instalments')
    .where({ order_id: orderId, number, status: 'pending' })
    .update({ status: 'sent', sent_at: db.fn.now(), updated_at: db.fn.now() });
}

/**
 * A payable instalment becomes paid; true only for the call that changed it (idempotent by order
 * id and number). Paying the first dates the later ones, every 30 days from now. When the last
 * unpaid one is paid, the order is marked fully paid.
 */
export async function markInstalmentPaid(
  db: Knex,
  orderId: number,
  number: number,
  payment: { via: PaidVia; providerPayload?: Record<string, unknown>; chargeId?: string },
): Promise<{ changed: boolean; fullyPaid: boolean }> {
  return db.transaction(async (trx) => {
    const changed = await trx('order_instalments')
      .where({ order_id: orderId, number })
      .whereIn('status', [...PAYABLE_INSTALMENT_STATUSES])
      .update({
        status: 'paid',
        paid_via: payment.via,
        paid_at: trx.fn.now(),
        updated_at: trx.fn.now(),
        ...(payment.providerPayload && { provider_payload: payment.providerPayload }),
        ...(payment.chargeId && { telegram_payment_charge_id: payment.chargeId }),
        ...providerChargeOf(payment.providerPayload),
      });
    if (changed > 0 && number === 1) {
      await trx('order_instalments')
        .where({ order_id: orderId })
        .where('number', '>', 1)
        .update({ due_at: trx.raw(`now() + (number - 1) * interval '${INSTALMENT_INTERVAL_MS / 1000} seconds'`), updated_at: trx.fn.now() });
    }
    const unpaid = await trx('order_instalments').where({ order_id: orderId }).whereNot({ status: 'paid' }).count<{ n: string }[]>('* as n');
    const fullyPaid = Number(unpaid[0].n) === 0;
    if (changed > 0 && fullyPaid) await trx('orders').where({ id: orderId }).update({ fully_paid_at: trx.fn.now(), updated_at: trx.fn.now() });
    return { changed: changed > 0, fullyPaid };
  });
}

/** 72 hours without the payment: kept payable, flagged for the managers. */
export async function markInstalmentOverdue(db: Knex, orderId: number, number: number): Promise<boolean> {
  const changed = await db('order_instalments').where({ order_id: orderId, number }).whereIn('status', ['pending', 'sent']).update({ status: 'overdue', updated_at: db.fn.now() });
  return changed > 0;
}

/** A manager wrote off the rest of an instalment plan: every unpaid part is cancelled (access stays). */
export async function cancelUnpaidInstalments(db: Knex, orderId: number): Promise<number> {
  return db('order_instalments').where({ order_id: orderId }).whereIn('status', [...PAYABLE_INSTALMENT_STATUSES]).update({ status: 'cancelled', updated_at: db.fn.now() });
}

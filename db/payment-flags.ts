import type { Knex } from 'knex';

/** A payment that could not be applied and waits for a person (see migration 024). */
export interface PaymentFlagRow {
  id: number;
  order_id: number | null;
  reason: string;
  payment_ref: string | null;
  payer_telegram_id: number | null;
  refunded_at: Date | null;
  payload: Record<string, unknown> | null;
  created_at: Date;
}

export interface PaymentFlag {
  orderId: number | null;
  reason: string;
  payload?: Record<string, unknown>;
  payerTelegramId?: number;
}

/** The payment's own id, as Stars and our webhook format name it. */
function paymentRefOf(payload: Record<string, unknown> | undefined): string | null {
  const ref = payload?.telegram_payment_charge_id ?? payload?.payment_id;
  return typeof ref === 'string' && ref !== '' ? ref.slice(0, 200) : null;
}

/** Records a flag once: the same reason for the same payment again (a retry, a redelivery) adds nothing. Returns its id. */
export async function recordPaymentFlag(db: Knex, flag: PaymentFlag): Promise<number> {
  const row = {
    order_id: flag.orderId,
    reason: flag.reason,
    payment_ref: paymentRefOf(flag.payload),
    payer_telegram_id: flag.payerTelegramId ?? null,
    payload: flag.payload === undefined ? null : JSON.stringify(flag.payload),
  };
  const [inserted] = await db('payment_flags').insert(row).onConflict().ignore().returning('id');
  if (inserted) return Number(inserted.id);
  const existing = await db('payment_flags')
    .whereRaw('coalesce(order_id, 0) = ? and reason = ? and coalesce(payment_ref, \'\') = ?', [flag.orderId ?? 0, flag.reason, row.payment_ref ?? ''])
    .first('id');
  return Number(existing.id);
}

export async function paymentFlagsOf(db: Knex, orderId: number): Promise<PaymentFlagRow[]> {
  return db('payment_flags').where({ order_id: orderId }).orderBy('id');
}

export async function findPaymentFlag(db: Knex, id: number): Promise<PaymentFlagRow | undefined> {
  return db('payment_flags').where({ id }).first();
}

/** A Stars charge that was flagged (a second charge, money for a closed or unknown order): what /refund_charge returns. */
export async function findFlaggedStarsCharge(db: Knex, chargeId: string): Promise<PaymentFlagRow | undefined> {
  return db('payment_flags').where({ payment_ref: chargeId }).whereRaw("payload->>'telegram_payment_charge_id' = payment_ref").orderBy('id').first();
}

/** Marks every flag of that charge refunded; false when it was refunded already. */
export async function markFlaggedChargeRefunded(db: Knex, chargeId: string): Promise<boolean> {
  const changed = await db('payment_flags').where({ payment_ref: chargeId }).whereNull('refunded_at').update({ refunded_at: db.fn.now() });
  return changed > 0;
}

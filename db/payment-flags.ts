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
  /** Settled by a person (migration 031); null while the flag is open. */
  resolved_at: Date | null;
  resolved_by: number | null;
  resolution: string | null;
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

/** Marks every flag of that charge refunded (and so settled); false when it was refunded already. */
export async function markFlaggedChargeRefunded(db: Knex, chargeId: string, by?: number): Promise<boolean> {
  const changed = await db('payment_flags')
    .where({ payment_ref: chargeId })
    .whereNull('refunded_at')
    .update({ refunded_at: db.fn.now(), resolved_at: db.raw('coalesce(resolved_at, now())'), resolved_by: db.raw('coalesce(resolved_by, ?)', [by ?? null]), resolution: db.raw("coalesce(resolution, 'refunded with /refund_charge')") });
  return changed > 0;
}

/** Settles every open flag of an order (a refund made at the provider); returns how many were open. */
export async function resolveOrderFlags(db: Knex, orderId: number, by: number, resolution: string): Promise<number> {
  return db('payment_flags').where({ order_id: orderId }).whereNull('resolved_at').update({ resolved_at: db.fn.now(), resolved_by: by, resolution });
}

export interface OpenFlag {
  id: number;
  orderId: number | null;
  reason: string;
  paymentRef: string | null;
  createdAt: Date;
}

/**
 * Flags nobody has settled yet, oldest first: every one of them, a second flag of an order too.
 * `until`: only those raised by then (the digest reports the day it was meant for).
 */
export async function openPaymentFlags(db: Knex, options: { limit?: number; until?: string } = {}): Promise<{ flags: OpenFlag[]; total: number }> {
  const open = () => {
    const q = db('payment_flags').whereNull('resolved_at').whereNull('refunded_at');
    return options.until ? q.where('created_at', '<=', db.raw('?::timestamptz', [options.until])) : q;
  };
  const rows = await open().orderBy('created_at').orderBy('id').limit(options.limit ?? 20).select('id', 'order_id', 'reason', 'payment_ref', 'created_at');
  const counted = await open().count({ n: '*' }).first();
  return {
    flags: rows.map((r) => ({ id: Number(r.id), orderId: r.order_id === null ? null : Number(r.order_id), reason: String(r.reason), paymentRef: r.payment_ref, createdAt: new Date(r.created_at) })),
    total: Number(counted?.n ?? 0),
  };
}

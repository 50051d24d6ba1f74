import type { Knex } from 'knex';

export interface BookingRow {
  id: number;
  lead_id: number;
  starts_at: Date;
  status: 'scheduled' | 'cancelled' | 'done';
  replaces_id: number | null;
  reminded_at: Date | null;
}

/**
 * Books a consultation; with `replaces`, the old booking is cancelled in the same transaction
 * (a reschedule). Idempotent by key: a retried activity returns the booking it made.
 */
export async function createBooking(
  db: Knex,
  request: { leadId: number; startsAt: string; replaces?: number; idempotencyKey: string },
): Promise<BookingRow> {
  return db.transaction(async (trx) => {
    const existing: BookingRow | undefined = await trx('bookings').where({ idempotency_key: request.idempotencyKey }).first();
    if (existing) return existing;
    if (request.replaces) {
      await trx('bookings').where({ id: request.replaces, status: 'scheduled' }).update({ status: 'cancelled', updated_at: trx.fn.now() });
    }
    // A booking left scheduled in the past (a missed consultation) must not block a new one.
    await trx('bookings').where({ lead_id: request.leadId, status: 'scheduled' }).where('starts_at', '<', trx.fn.now()).update({ status: 'done', updated_at: trx.fn.now() });
    const [row] = await trx('bookings')
      .insert({ lead_id: request.leadId, starts_at: request.startsAt, replaces_id: request.replaces ?? null, idempotency_key: request.idempotencyKey })
      .returning('*');
    return row as BookingRow;
  });
}

export async function cancelBooking(db: Knex, id: number): Promise<void> {
  await db('bookings').where({ id, status: 'scheduled' }).update({ status: 'cancelled', updated_at: db.fn.now() });
}

export async function markReminded(db: Knex, id: number): Promise<void> {
  await db('bookings').where({ id }).whereNull('reminded_at').update({ reminded_at: db.fn.now(), updated_at: db.fn.now() });
}

export async function upcomingBookingOf(db: Knex, leadId: number): Promise<BookingRow | undefined> {
  return db<BookingRow>('bookings').where({ lead_id: leadId, status: 'scheduled' }).where('starts_at', '>', db.fn.now()).first();
}

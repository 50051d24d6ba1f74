import type { Logger } from 'pino';
import type { Db } from '../db/knex';
import { cancelBooking, createBooking, markReminded } from '../db/bookings';

/** Consultation bookings and the lead's contact details in Postgres. */
export function createBookingActivities({ db, logger }: { db: Db; logger: Logger }) {
  return {
    /** Stores a booking (cancelling the one it replaces) and returns its id. */
    async bookConsultation(request: { leadId: number; startsAt: string; replaces?: number; idempotencyKey: string }): Promise<{ bookingId: number }> {
      const row = await createBooking(db, request);
      // A booked lead is `scheduled`, unless the work with them is further along already.
      await db('leads').where({ id: request.leadId }).whereIn('status', ['new', 'incomplete', 'assigned']).update({ status: 'scheduled' });
      logger.info({ leadId: request.leadId, bookingId: row.id, replaces: request.replaces ?? null }, 'consultation booked');
      return { bookingId: row.id };
    },

    async cancelConsultation(request: { leadId: number; bookingId: number }): Promise<void> {
      await cancelBooking(db, request.bookingId);
      logger.info(request, 'consultation cancelled');
    },

    async markReminderSent(request: { bookingId: number }): Promise<void> {
      await markReminded(db, request.bookingId);
    },

    /** The phone and name the lead gave (the name the lead typed wins over Telegram's). */
    async saveContact(request: { leadId: number; phone?: string; name?: string; email?: string | null }): Promise<void> {
      const changes: Record<string, unknown> = { updated_at: db.fn.now() };
      if (request.phone) changes.phone = request.phone;
      if (request.email) changes.email = request.email;
      if (request.name) changes.first_name = request.name;
      await db('leads').where({ id: request.leadId }).update(changes);
    },

    /** The lead's last few messages, oldest first, for a card that shows what they said. */
    async lastLeadMessages(request: { leadId: number; count: number }): Promise<string[]> {
      const rows = await db('messages').where({ lead_id: request.leadId, direction: 'in' }).orderBy('id', 'desc').limit(request.count).select('text');
      return rows.reverse().map((r) => String(r.text ?? '').slice(0, 300));
    },

    async contactOf(request: { leadId: number }): Promise<{ phone: string | null; name: string | null }> {
      const row = await db('leads').where({ id: request.leadId }).first('phone', 'first_name');
      return { phone: row?.phone ?? null, name: row?.first_name ?? null };
    },
  };
}

export type BookingActivities = ReturnType<typeof createBookingActivities>;

import type { Logger } from 'pino';
import type { Db } from '../db/knex';
import { cancelBooking, createBooking, markReminded } from '../db/bookings';

/** Consultation bookings and the lead's contact details in Postgres. */
export function createBookingActivities({ db, logger }: { db: Db; logger: Logger }) {
  return {
    /** Stores a booking (cancelling the one it replaces) and returns its id. */
    async bookConsultation(request: { leadId: number; startsAt: string; replaces?: number; idempotencyKey: string }): Promise<{ bookingId: number }> {
      const row = await createBooking(db, request);
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
    async saveContact(request: { leadId: number; phone?: string; name?: string }): Promise<void> {
      const changes: Record<string, unknown> = { updated_at: db.fn.now() };
      if (request.phone) changes.phone = request.phone;
      if (request.name) changes.first_name = request.name;
      await db('leads').where({ id: request.leadId }).update(changes);
    },

    async contactOf(request: { leadId: number }): Promise<{ phone: string | null; name: string | null }> {
      const row = await db('leads').where({ id: request.leadId }).first('phone', 'first_name');
      return { phone: row?.phone ?? null, name: row?.first_name ?? null };
    },
  };
}

export type BookingActivities = ReturnType<typeof createBookingActivities>;

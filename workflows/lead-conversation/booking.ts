import { reminderAt } from '../../domain/booking/booking';
import {
  BOOKING_SCOPE,
  onBookingButton,
  onBookingContact,
  onBookingText,
  reminderMessage,
  type BookingContext,
  type BookingEffect,
} from '../../domain/booking/booking-dialog';
import { decodeButton } from '../../domain/callback-data';
import type { InboundEvent } from '../../domain/inbound-event';
import type { Scenario } from '../../domain/scenario';
import { idPrefix, timeZoneOf, type Conversation } from './context';
import { notifyManagers, recordEvent, send } from './outbound';
import { nextSequence } from './state';

/** The booking dialog takes its own buttons, and text or a shared contact while it waits for them. */
export function bookingReaction(event: InboundEvent, ctx: BookingContext): BookingEffect[] | undefined {
  if (event.kind === 'button') {
    const press = decodeButton(event.data);
    return press?.scope === BOOKING_SCOPE ? onBookingButton(ctx, press.buttonId) : undefined;
  }
  if (event.kind === 'text') return onBookingText(ctx, event.text);
  if (event.kind === 'other' && event.contact) return onBookingContact(ctx, event.contact, event.from.id);
  return undefined;
}

export function bookingContext(c: Conversation, current: Scenario): BookingContext {
  const { state } = c;
  return {
    state: state.booking ?? { phase: 'idle' },
    upcoming: state.upcoming ?? null,
    contact: state.contact ?? { phone: null, name: null },
    nowMs: Date.now(),
    timeZone: timeZoneOf(c),
    language: current.language,
    texts: current.booking as NonNullable<Scenario['booking']>,
  };
}

export async function runBooking(c: Conversation, effects: BookingEffect[]): Promise<void> {
  for (const effect of effects) await applyBooking(c, effect);
}

async function applyBooking(c: Conversation, effect: BookingEffect): Promise<void> {
  const { state } = c;
  switch (effect.kind) {
    case 'send':
      return send(c, effect.content);
    case 'setBookingState':
      state.booking = effect.state;
      return;
    case 'saveContact':
      state.contact = { phone: effect.phone ?? state.contact?.phone ?? null, name: effect.name ?? state.contact?.name ?? null };
      if (state.leadId !== null) await c.records.saveContact({ leadId: state.leadId, phone: effect.phone, name: effect.name });
      return;
    case 'createBooking': {
      if (state.leadId === null) return;
      const { bookingId } = await c.records.bookConsultation({
        leadId: state.leadId,
        startsAt: effect.startsAt,
        replaces: effect.replaces,
        idempotencyKey: `${idPrefix()}/b${nextSequence(state)}`,
      });
      state.upcoming = { id: bookingId, startsAt: effect.startsAt };
      state.reminder = { bookingId, at: Date.parse(reminderAt(effect.startsAt)) };
      return;
    }
    case 'cancelBooking':
      if (state.leadId !== null) await c.records.cancelConsultation({ leadId: state.leadId, bookingId: effect.id });
      if (state.upcoming?.id === effect.id) state.upcoming = null;
      if (state.reminder?.bookingId === effect.id) state.reminder = null;
      return;
    case 'notifyManagers':
      return notifyManagers(c, effect.text);
    case 'recordEvent':
      return recordEvent(c, effect.type, effect.payload);
  }
}

/** 15 minutes before the consultation: a reminder with confirm / cancel buttons. */
export async function remind(c: Conversation, bookingId: number): Promise<void> {
  const { state } = c;
  state.reminder = null;
  const current = c.scenario;
  if (!current?.booking || state.upcoming?.id !== bookingId) return;
  const content = reminderMessage(bookingContext(c, current));
  if (content) await send(c, content);
  await c.records.markReminderSent({ bookingId });
  await recordEvent(c, 'reminder_sent', { bookingId });
}

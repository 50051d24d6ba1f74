import {
  BookingInputError,
  canBook,
  checkStart,
  dateOptions,
  formatSlot,
  parseTypedDateTime,
  slotsFor,
  type Slot,
} from './booking';
import { encodeButton } from '../callback-data';
import { normalisePhone, validName } from '../contact';
import type { OutboundButton, OutboundContent } from '../conversation';
import type { Language } from '../language';

/**
 * The consultation booking conversation (docs/lead-journey.md#consultation-booking) as a pure state machine: the caller passes
 * the lead's booking state, upcoming booking, contact and the workflow's `now`; these functions
 * answer with effects for the workflow to carry out, in order. The date, slot and time rules are
 * `booking.ts`'s; this module only decides what to say and what to store.
 *
 * Imported by workflow code: no I/O, no argument-less `Date`, no randomness.
 */

/**
 * Callback scope of every booking button: `bk:<button>`. Buttons: `d.2026-12-01` (a local date),
 * `s.202612011400` (a start, UTC `yyyyMMddHHmm`), `type`, `back`, `ok`, `chg`, `keep`, and the ones
 * about a stored booking, which carry its id so a press from a message about an earlier booking is
 * recognised as out of date: `resch.<id>`, `cancel.<id>`, `rok.<id>` (reminder: confirm),
 * `rcn.<id>` (reminder: cancel). Without the id they act on the upcoming booking, whichever it is.
 */
export const BOOKING_SCOPE = 'bk';

/**
 * The lead-facing texts, from the scenario. Placeholders: `{date}` a date label, `{slot}` a start as
 * `formatSlot` writes it; `rescheduled` and `managersRescheduled` may also use `{previous}`, the
 * start that was replaced.
 */
export interface BookingTexts {
  chooseDate: string;
  /** {date} */
  chooseSlot: string;
  otherTimeButton: string;
  backButton: string;
  typePrompt: string;
  askPhone: string;
  sharePhoneButton: string;
  badPhone: string;
  foreignContact: string;
  askName: string;
  badName: string;
  /** {slot} */
  confirm: string;
  confirmButton: string;
  changeButton: string;
  /** {slot} */
  booked: string;
  /** {slot} */
  already: string;
  rescheduleButton: string;
  cancelButton: string;
  keepButton: string;
  kept: string;
  /** {slot} */
  reminder: string;
  reminderConfirmButton: string;
  reminderCancelButton: string;
  reminderConfirmed: string;
  cancelled: string;
  /** {slot}, {previous} */
  rescheduled: string;
  slotGone: string;
  noBooking: string;
  /** {slot} */
  managersBooked: string;
  /** {slot}, {previous} */
  managersRescheduled: string;
  /** {slot} */
  managersCancelled: string;
}

/**
 * Where the lead is in the dialog: `date` (date buttons shown), `slot` (a date's slots shown),
 * `typed` (waiting for a typed date and time), `phone`, `name` (collecting a missing contact detail),
 * `confirm` (confirm / change shown). `idle` otherwise.
 */
export type BookingPhase = 'idle' | 'date' | 'slot' | 'typed' | 'phone' | 'name' | 'confirm';

/**
 * The dialog's own state, stored by the workflow as given. `date`: the local date whose slots are
 * shown (phase `slot`); `pendingStartsAt`: the chosen start, UTC ISO (phases `phone`, `name`,
 * `confirm`); `rescheduling`: the lead came from "reschedule", so confirming replaces the upcoming
 * booking.
 */
export interface BookingState {
  phase: BookingPhase;
  date?: string;
  pendingStartsAt?: string;
  rescheduling?: boolean;
}

/** The lead's scheduled booking that has not happened yet, as the workflow keeps it. */
export interface UpcomingBooking {
  id: number;
  startsAt: string;
}

export interface BookingContext {
  state: BookingState;
  upcoming: UpcomingBooking | null;
  contact: { phone: string | null; name: string | null };
  /** The workflow's deterministic now. */
  nowMs: number;
  /** The school's zone, in which slots are offered and shown. */
  timeZone: string;
  language: Language;
  texts: BookingTexts;
}

/**
 * A message of the dialog. `contactRequest`: show a reply keyboard with one "share my phone number"
 * button with this text (Telegram's `request_contact`). `removeKeyboard`: remove that reply keyboard
 * with this message. Telegram takes one `reply_markup` per message, so when a message has both
 * `removeKeyboard` and inline `buttons` (the confirmation right after a phone, when the name is
 * already known) the sender removes the keyboard on its own first.
 */
export type BookingContent = OutboundContent & { contactRequest?: string; removeKeyboard?: boolean };

export type BookingEffect =
  | { kind: 'send'; content: BookingContent }
  | { kind: 'setBookingState'; state: BookingState }
  | { kind: 'saveContact'; phone?: string; name?: string }
  /** The workflow stores it, sets `upcoming` and arms the reminder at `reminderAt(startsAt)`. */
  | { kind: 'createBooking'; startsAt: string; replaces?: number }
  /** The workflow cancels it, clears `upcoming` and the reminder. */
  | { kind: 'cancelBooking'; id: number }
  | { kind: 'notifyManagers'; text: string }
  | { kind: 'recordEvent'; type: string; payload?: Record<string, unknown> };

export const IDLE: BookingState = Object.freeze({ phase: 'idle' as const });

/** Books a consultation, or, with one already upcoming (one per lead), offers reschedule / cancel / keep. */
export function startBooking(ctx: BookingContext): BookingEffect[] {
  const upcoming = blockingBooking(ctx);
  if (upcoming) return [setState(IDLE), send(alreadyBooked(ctx, upcoming))];
  return offerDates(ctx, false);
}

/**
 * A press on a `bk:` button; `buttonId` is the part after `bk:`. Undefined when the press does not
 * fit the current phase or names a booking that is no longer the upcoming one: the caller treats it
 * as an out-of-date button.
 */
export function onBookingButton(ctx: BookingContext, buttonId: string): BookingEffect[] | undefined {
  const { state } = ctx;
  const dot = buttonId.indexOf('.');
  const action = dot < 0 ? buttonId : buttonId.slice(0, dot);
  const argument = dot < 0 ? undefined : buttonId.slice(dot + 1);
  const choosing = state.phase === 'date' || state.phase === 'slot' || state.phase === 'typed';
  switch (action) {
    case 'd':
      return choosing && argument !== undefined ? chooseDate(ctx, argument) : undefined;
    case 's': {
      const startsAt = argument === undefined ? null : startOfStamp(argument);
      return choosing && startsAt !== null ? chooseStart(ctx, startsAt) : undefined;
    }
    case 'type':
      return argument === undefined && (state.phase === 'date' || state.phase === 'slot') ? askTyped(ctx) : undefined;
    case 'back':
      return argument === undefined && (state.phase === 'slot' || state.phase === 'typed')
        ? offerDates(ctx, state.rescheduling === true)
        : undefined;
    case 'chg':
      return argument === undefined && state.phase === 'confirm' ? offerDates(ctx, state.rescheduling === true) : undefined;
    case 'ok':
      return argument === undefined && state.phase === 'confirm' && state.pendingStartsAt !== undefined
        ? confirm(ctx, state.pendingStartsAt)
        : undefined;
    case 'keep':
      if (argument !== undefined) return undefined;
      return ctx.upcoming ? [setState(IDLE), say(ctx.texts.kept)] : [say(ctx.texts.noBooking)];
    case 'resch':
    case 'cancel':
    case 'rok':
    case 'rcn': {
      const booking = bookingNamed(ctx, argument);
      if (booking === undefined) return undefined;
      if (booking === null) return [say(ctx.texts.noBooking)];
      if (action === 'resch') return offerDates(ctx, true);
      if (action === 'rok') {
        const payload = { bookingId: booking.id, startsAt: booking.startsAt };
        return [say(ctx.texts.reminderConfirmed), event('reminder_confirmed', payload)];
      }
      return cancel(ctx, booking);
    }
    default:
      return undefined;
  }
}

/**
 * Text typed while the dialog waits for one (phases `typed`, `phone`, `name`); undefined in any
 * other phase, and the caller handles the text as usual.
 */
export function onBookingText(ctx: BookingContext, text: string): BookingEffect[] | undefined {
  switch (ctx.state.phase) {
    case 'typed': {
      const check = parseTypedDateTime(text, ctx.nowMs, ctx.timeZone, ctx.language);
      if (check.ok) return chooseStart(ctx, check.startsAt);
      // Stays in `typed`: the lead types again, takes the suggested start, or goes back to the dates.
      const buttons: OutboundButton[][] = [];
      if (check.suggestion !== undefined) {
        buttons.push([button(slotLabel(ctx, check.suggestion), `s.${stampOf(check.suggestion)}`)]);
      }
      buttons.push([button(ctx.texts.backButton, 'back')]);
      return [send({ type: 'text', text: check.guidance, buttons })];
    }
    case 'phone': {
      const phone = normalisePhone(text);
      return phone === null ? [send(askForPhone(ctx, ctx.texts.badPhone))] : phoneGiven(ctx, phone);
    }
    case 'name': {
      const name = validName(text);
      if (name === null) return [say(ctx.texts.badName)];
      const pending = ctx.state.pendingStartsAt;
      const next =
        pending === undefined
          ? offerDates(ctx, ctx.state.rescheduling === true) // not reached by these transitions; stay usable
          : nextStep(ctx, pending, { phone: ctx.contact.phone, name });
      return [{ kind: 'saveContact', name }, ...next];
    }
    default:
      return undefined;
  }
}

/**
 * A contact shared while the dialog asks for the phone; undefined in any other phase. Only the
 * sender's own contact counts: Telegram sets `userId` to the sender when it comes from the
 * "share my phone number" button, and a forwarded card has someone else's id or none.
 */
export function onBookingContact(
  ctx: BookingContext,
  contact: { phoneNumber: string; userId?: number },
  senderId: number,
): BookingEffect[] | undefined {
  if (ctx.state.phase !== 'phone') return undefined;
  if (contact.userId === undefined || contact.userId !== senderId) return [send(askForPhone(ctx, ctx.texts.foreignContact))];
  // Telegram sends the number in international form, usually without its `+`.
  const raw = contact.phoneNumber.trim();
  const phone = normalisePhone(raw.startsWith('+') ? raw : `+${raw}`) ?? normalisePhone(raw);
  return phone === null ? [send(askForPhone(ctx, ctx.texts.badPhone))] : phoneGiven(ctx, phone);
}

/**
 * The reminder for `ctx.upcoming`, with confirm / cancel buttons; null when there is none or it has
 * already started (a late timer must not remind about the past).
 */
export function reminderMessage(ctx: BookingContext): OutboundContent | null {
  const booking = ctx.upcoming;
  if (booking === null || Date.parse(booking.startsAt) <= ctx.nowMs) return null;
  return {
    type: 'text',
    text: fill(ctx.texts.reminder, { slot: slotLabel(ctx, booking.startsAt) }),
    buttons: [
      [
        button(ctx.texts.reminderConfirmButton, `rok.${booking.id}`),
        button(ctx.texts.reminderCancelButton, `rcn.${booking.id}`),
      ],
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Steps

function offerDates(ctx: BookingContext, rescheduling: boolean): BookingEffect[] {
  const options = dateOptions(ctx.nowMs, ctx.timeZone, ctx.language);
  const buttons: OutboundButton[][] = [];
  if (options.length > 0) buttons.push(options.map((option) => button(option.label, `d.${option.date}`)));
  buttons.push([button(ctx.texts.otherTimeButton, 'type')]);
  return [setState(withFlag({ phase: 'date' }, rescheduling)), send({ type: 'text', text: ctx.texts.chooseDate, buttons })];
}

/** A date button from any message still in the choosing phases: its slots, or "gone" and fresh dates. */
function chooseDate(ctx: BookingContext, date: string): BookingEffect[] | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
  const rescheduling = ctx.state.rescheduling === true;
  let slots: Slot[];
  try {
    slots = slotsFor(date, ctx.nowMs, ctx.timeZone);
  } catch (error) {
    if (error instanceof BookingInputError && error.field === 'date') return undefined; // 2026-02-31
    throw error;
  }
  if (slots.length === 0) return [say(ctx.texts.slotGone), ...offerDates(ctx, rescheduling)];
  const label =
    dateOptions(ctx.nowMs, ctx.timeZone, ctx.language).find((option) => option.date === date)?.label ??
    longDate(date, ctx.language);
  return [
    setState(withFlag({ phase: 'slot', date }, rescheduling)),
    send({
      type: 'text',
      text: fill(ctx.texts.chooseSlot, { date: label }),
      buttons: [
        slots.map((slot) => button(slot.time, `s.${stampOf(slot.startsAt)}`)),
        [button(ctx.texts.otherTimeButton, 'type'), button(ctx.texts.backButton, 'back')],
      ],
    }),
  ];
}

function askTyped(ctx: BookingContext): BookingEffect[] {
  return [
    setState(withFlag({ phase: 'typed' }, ctx.state.rescheduling === true)),
    send({ type: 'text', text: ctx.texts.typePrompt, buttons: [[button(ctx.texts.backButton, 'back')]] }),
  ];
}

/**
 * A start picked from a button or typed. Slot buttons may come from an older message, so the start
 * is checked again; a start no longer bookable is "gone" and the dates are offered afresh.
 */
function chooseStart(ctx: BookingContext, startsAt: string): BookingEffect[] {
  const check = checkStart(startsAt, ctx.nowMs, ctx.timeZone, ctx.language);
  if (!check.ok) return [say(ctx.texts.slotGone), ...offerDates(ctx, ctx.state.rescheduling === true)];
  return nextStep(ctx, check.startsAt, ctx.contact);
}

function phoneGiven(ctx: BookingContext, phone: string): BookingEffect[] {
  const pending = ctx.state.pendingStartsAt;
  const save: BookingEffect = { kind: 'saveContact', phone };
  // The reply keyboard with the share button is up whichever way the phone came: the next message removes it.
  const next =
    pending === undefined
      ? offerDates(ctx, ctx.state.rescheduling === true) // not reached by these transitions; stay usable
      : nextStep(ctx, pending, { phone, name: ctx.contact.name });
  return [save, ...removingKeyboard(next)];
}

/** After a start is chosen or a contact detail given: the next missing detail, or the confirmation. */
function nextStep(
  ctx: BookingContext,
  startsAt: string,
  contact: { phone: string | null; name: string | null },
): BookingEffect[] {
  const draft = withFlag({ phase: 'confirm', pendingStartsAt: startsAt }, ctx.state.rescheduling === true);
  if (!contact.phone) return [setState({ ...draft, phase: 'phone' }), send(askForPhone(ctx, ctx.texts.askPhone))];
  if (!contact.name) return [setState({ ...draft, phase: 'name' }), say(ctx.texts.askName)];
  return [
    setState(draft),
    send({
      type: 'text',
      text: fill(ctx.texts.confirm, { slot: slotLabel(ctx, startsAt) }),
      buttons: [[button(ctx.texts.confirmButton, 'ok'), button(ctx.texts.changeButton, 'chg')]],
    }),
  ];
}

/** The same effects with the first message also removing the reply keyboard. */
function removingKeyboard(effects: BookingEffect[]): BookingEffect[] {
  const first = effects.findIndex((effect) => effect.kind === 'send');
  return effects.map((effect, index) =>
    index === first && effect.kind === 'send' ? { ...effect, content: { ...effect.content, removeKeyboard: true } } : effect,
  );
}

/**
 * The lead confirms: the start is checked once more (time has passed since it was shown), then
 * booked, replacing the upcoming booking when rescheduling. The store comes first and the state
 * last but one, so if storing fails the lead is still at the confirmation and can press again.
 */
function confirm(ctx: BookingContext, startsAt: string): BookingEffect[] {
  const rescheduling = ctx.state.rescheduling === true;
  const check = checkStart(startsAt, ctx.nowMs, ctx.timeZone, ctx.language);
  if (!check.ok) return [say(ctx.texts.slotGone), ...offerDates(ctx, rescheduling)];
  const slot = slotLabel(ctx, check.startsAt);
  const previous = ctx.upcoming;
  if (rescheduling && previous) {
    if (Date.parse(previous.startsAt) === Date.parse(check.startsAt)) return [setState(IDLE), say(ctx.texts.kept)];
    const values = { slot, previous: slotLabel(ctx, previous.startsAt) };
    return [
      { kind: 'createBooking', startsAt: check.startsAt, replaces: previous.id },
      setState(IDLE),
      say(fill(ctx.texts.rescheduled, values)),
      { kind: 'notifyManagers', text: fill(ctx.texts.managersRescheduled, values) },
      event('consultation_rescheduled', { startsAt: check.startsAt, previousStartsAt: previous.startsAt, replaces: previous.id }),
    ];
  }
  // One upcoming booking per lead: one made meanwhile (another message, another device) wins.
  const blocking = blockingBooking(ctx);
  if (blocking) return [setState(IDLE), send(alreadyBooked(ctx, blocking))];
  return [
    { kind: 'createBooking', startsAt: check.startsAt },
    setState(IDLE),
    say(fill(ctx.texts.booked, { slot })),
    { kind: 'notifyManagers', text: fill(ctx.texts.managersBooked, { slot }) },
    event('consultation_booked', { startsAt: check.startsAt }),
  ];
}

function cancel(ctx: BookingContext, booking: UpcomingBooking): BookingEffect[] {
  const slot = slotLabel(ctx, booking.startsAt);
  return [
    { kind: 'cancelBooking', id: booking.id },
    setState(IDLE),
    say(ctx.texts.cancelled),
    { kind: 'notifyManagers', text: fill(ctx.texts.managersCancelled, { slot }) },
    event('consultation_cancelled', { bookingId: booking.id, startsAt: booking.startsAt }),
  ];
}

function alreadyBooked(ctx: BookingContext, booking: UpcomingBooking): BookingContent {
  return {
    type: 'text',
    text: fill(ctx.texts.already, { slot: slotLabel(ctx, booking.startsAt) }),
    buttons: [
      [button(ctx.texts.rescheduleButton, `resch.${booking.id}`), button(ctx.texts.cancelButton, `cancel.${booking.id}`)],
      [button(ctx.texts.keepButton, 'keep')],
    ],
  };
}

function askForPhone(ctx: BookingContext, text: string): BookingContent {
  return { type: 'text', text, contactRequest: ctx.texts.sharePhoneButton };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** The upcoming booking that blocks a new one (`canBook`): scheduled and not started yet. */
function blockingBooking(ctx: BookingContext): UpcomingBooking | null {
  const booking = ctx.upcoming;
  if (booking === null) return null;
  return canBook([{ startsAt: booking.startsAt, status: 'scheduled' }], ctx.nowMs) ? null : booking;
}

/**
 * The booking a `resch` / `cancel` / `rok` / `rcn` button is about: the upcoming one when the id
 * matches or is absent; null when there is none at all (the lead is told so); undefined when the
 * button names another booking or a malformed id (out of date).
 */
function bookingNamed(ctx: BookingContext, argument: string | undefined): UpcomingBooking | null | undefined {
  if (argument !== undefined && !/^\d{1,16}$/.test(argument)) return undefined;
  if (ctx.upcoming === null) return null;
  if (argument !== undefined && Number(argument) !== ctx.upcoming.id) return undefined;
  return ctx.upcoming;
}

/** `2026-12-01T11:00:00.000Z` → `202612011100`: a start in 12 bytes of callback data. */
function stampOf(startsAt: string): string {
  return new Date(Date.parse(startsAt)).toISOString().slice(0, 16).replace(/[-T:]/g, '');
}

/** The inverse of `stampOf`; null for anything that is not a real UTC minute. */
function startOfStamp(stamp: string): string | null {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(stamp);
  if (!match) return null;
  const [year, month, day, hour, minute] = match.slice(1).map(Number);
  const startsAt = new Date(Date.UTC(year, month - 1, day, hour, minute)).toISOString();
  return stampOf(startsAt) === stamp ? startsAt : null;
}

/** A date label for a date that is not among today's options (a button from an older message). */
function longDate(date: string, language: Language): string {
  const [year, month, day] = date.split('-').map(Number);
  return new Intl.DateTimeFormat(language === 'ru' ? 'ru-RU' : 'en-GB', {
    timeZone: 'UTC',
    weekday: 'long',
    day: 'numeric',
    month: 'long',
  }).format(new Date(Date.UTC(year, month - 1, day)));
}

function slotLabel(ctx: BookingContext, startsAt: string): string {
  return formatSlot(startsAt, ctx.timeZone, ctx.language);
}

function fill(template: string, values: Record<string, string>): string {
  return Object.entries(values).reduce((text, [name, value]) => text.replaceAll(`{${name}}`, value), template);
}

function withFlag(state: BookingState, rescheduling: boolean): BookingState {
  return rescheduling ? { ...state, rescheduling: true } : state;
}

function button(text: string, buttonId: string): OutboundButton {
  return { text, data: encodeButton(BOOKING_SCOPE, buttonId) };
}

function setState(state: BookingState): BookingEffect {
  return { kind: 'setBookingState', state: { ...state } };
}

function send(content: BookingContent): BookingEffect {
  return { kind: 'send', content };
}

function say(text: string): BookingEffect {
  return { kind: 'send', content: { type: 'text', text } };
}

function event(type: string, payload: Record<string, unknown>): BookingEffect {
  return { kind: 'recordEvent', type, payload };
}

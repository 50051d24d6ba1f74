import type { BookingState, UpcomingBooking } from '../../domain/booking/booking-dialog';
import type { ContactForm } from '../../domain/contact-form';
import type { MatchSummary } from '../../domain/conversation';
import type { NextAction } from '../../domain/llm-reply';
import type { TelegramPerson } from '../../domain/inbound-event';
import type { PostSaleProgress } from '../../domain/payments/post-sale';
import type { Segment } from '../../domain/product-matching';

/** How many recent update ids a conversation remembers (and carries over continue-as-new). */
export const SEEN_UPDATES_KEPT = 2000;

/** What campaigns respect: `with_manager` holds every automated message. */
export type ConversationMode = 'bot' | 'with_manager' | 'opted_out' | 'customer';

/** The conversation's mode, from its state: a manager holding the dialog comes first. */
export function conversationMode(state: LeadState): ConversationMode {
  return state.handoff?.phase === 'taken' ? 'with_manager' : state.optedOut ? 'opted_out' : state.customer ? 'customer' : 'bot';
}

/** The conversation's own state: plain data, carried whole across continue-as-new. */
export interface LeadState {
  telegramUserId: number;
  chatId: number;
  leadId: number | null;
  person: TelegramPerson | null;
  /** The step of the pinned scenario the lead is at; null before the first event. */
  step: string | null;
  resetPending: boolean;
  /** Telegram answered 403: no sends until the lead writes again. */
  blocked: boolean;
  /** /stop: no follow-ups or broadcasts; the bot still answers the lead. */
  optedOut?: boolean;
  segment?: Segment | null;
  score?: number | null;
  answers?: Record<string, string>;
  surveyIndex?: number | null;
  match?: MatchSummary | false | null;
  stage?: string;
  /** Where the booking dialog stands, and the consultation booked (one upcoming per lead). */
  booking?: BookingState;
  upcoming?: UpcomingBooking | null;
  contact?: { phone: string | null; name: string | null };
  /** A step's `then` (after_seconds, goto): a deadline, so messages and other timers never wait for it; a newer one replaces it. */
  stepTimer?: { stepId: string; at: number } | null;
  /** The booking reminder: a re-armable deadline, replaced on reschedule and dropped on cancel. */
  reminder?: { bookingId: number; at: number } | null;
  /** The policy layer's memory: readiness 0–100, the bot's recent next actions, the last confidence, facts the model learned. */
  readiness?: number;
  recentActions?: NextAction[];
  lastConfidence?: number | null;
  facts?: Record<string, string>;
  /** The contact form ("Leave a request") and when an untouched form becomes an incomplete lead. */
  form?: ContactForm;
  formDeadline?: number | null;
  /** Follow-ups: when the lead last wrote, what went out in this silence and ever, a catch-up slot after downtime. */
  lastActivityAt?: number;
  followUpsThisSilence?: string[];
  followUpsEver?: string[];
  followUpCatchUpAt?: number | null;
  /** The open manager handoff (its workflow), waiting to be taken or taken; how many the lead has had. */
  handoff?: { workflowId: string; phase: 'waiting' | 'taken' } | null;
  handoffCount?: number;
  /** Paid an order (a `payment_paid` event): no more warm-up follow-ups. */
  customer?: boolean;
  /** The post-sale sequence: when the first payment came and which of its messages went out. */
  postSale?: PostSaleProgress | null;
  /** The mode last written to the lead's row for campaigns (see mode-record.ts); absent until the first write. */
  recordedMode?: { leadId: number; mode: ConversationMode };
  /** Counter behind outbound ids and event keys; never reset, so ids stay unique for the chain. */
  sequence: number;
  seenUpdateIds: number[];
  seenDomainEventIds?: string[];
}

export function initialState(telegramUserId: number, chatId: number): LeadState {
  return {
    telegramUserId,
    chatId,
    leadId: null,
    person: null,
    step: null,
    resetPending: false,
    blocked: false,
    ...freshProfile(),
    sequence: 0,
    seenUpdateIds: [],
  };
}

/** What /reset forgets about the lead (the conversation's counters stay). */
export function freshProfile(): Required<
  Pick<LeadState, 'optedOut' | 'segment' | 'score' | 'answers' | 'surveyIndex' | 'match' | 'stage' | 'booking' | 'upcoming' | 'contact' | 'reminder'>
> {
  return {
    optedOut: false,
    segment: null,
    score: null,
    answers: {},
    surveyIndex: null,
    match: null,
    stage: 'opening',
    booking: { phase: 'idle' },
    upcoming: null,
    contact: { phone: null, name: null },
    reminder: null,
  };
}

/** Remembers an update id; false if it was seen already (Telegram may deliver an update twice). */
export function rememberUpdate(state: LeadState, updateId: number): boolean {
  if (state.seenUpdateIds.includes(updateId)) return false;
  state.seenUpdateIds.push(updateId);
  if (state.seenUpdateIds.length > SEEN_UPDATES_KEPT) {
    state.seenUpdateIds.splice(0, state.seenUpdateIds.length - SEEN_UPDATES_KEPT);
  }
  return true;
}

/** Remembers a domain event id; false if it was seen already. */
export function rememberDomainEvent(state: LeadState, id: string): boolean {
  const seen = (state.seenDomainEventIds ??= []);
  if (seen.includes(id)) return false;
  seen.push(id);
  if (seen.length > SEEN_UPDATES_KEPT) seen.splice(0, seen.length - SEEN_UPDATES_KEPT);
  return true;
}

/** The next id in the conversation's sequence, e.g. for an outbound message. */
export function nextSequence(state: LeadState): number {
  state.sequence += 1;
  return state.sequence;
}

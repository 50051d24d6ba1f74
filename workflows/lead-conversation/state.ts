import type { TelegramPerson } from '../../domain/inbound-event';

/** How many recent update ids a conversation remembers (and carries over continue-as-new). */
export const SEEN_UPDATES_KEPT = 2000;

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
  /** Counter behind outbound ids and event keys; never reset, so ids stay unique for the chain. */
  sequence: number;
  seenUpdateIds: number[];
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
    sequence: 0,
    seenUpdateIds: [],
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

/** The next id in the conversation's sequence, e.g. for an outbound message. */
export function nextSequence(state: LeadState): number {
  state.sequence += 1;
  return state.sequence;
}

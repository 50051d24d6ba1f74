/**
 * Anti-spam for leads (docs/protection.md#anti-spam): 8 messages in 10 s, 20 events (presses too) in 60 s, or 5 identical
 * messages in 30 s mute the lead for 2 hours, then 4, 8, 16 and 24 hours on repeats; the level
 * goes back to zero after 14 days without a mute. Pure: the caller passes the stored state, the
 * event and the time, and stores the state it gets back.
 */

export const SPAM_RULES = {
  burst: { count: 8, windowMs: 10_000 },
  sustained: { count: 20, windowMs: 60_000 },
  duplicates: { count: 5, windowMs: 30_000 },
  muteHours: [2, 4, 8, 16, 24],
  decayMs: 14 * 24 * 3_600_000,
} as const;

/** The longest window: older events can never matter again, so they are not kept. */
const KEEP_MS = Math.max(SPAM_RULES.burst.windowMs, SPAM_RULES.sustained.windowMs, SPAM_RULES.duplicates.windowMs);

export interface RecentEvent {
  /** Epoch milliseconds. */
  at: number;
  /** Telegram's update id: a redelivered update is not counted twice. */
  updateId: number;
  /** The message's text, normalised; null for buttons and media (they are never "identical"). */
  fingerprint: string | null;
  /** A press of an inline button (absent in events stored before presses were told apart: a message). */
  press?: boolean;
}

export interface SpamState {
  /** How many mutes count towards the next one's length (0: none yet, or forgiven). */
  level: number;
  /** Epoch milliseconds the current mute ends, or null. */
  mutedUntil: number | null;
  /** Epoch milliseconds the last mute ended (the start of the quiet period that resets the level). */
  lastMuteEndsAt: number | null;
  recent: RecentEvent[];
}

export interface SpamEvent {
  updateId: number;
  /** The text of a message or command; undefined for buttons and media. */
  text?: string;
  /** An inline button press: counts towards the 20-in-60 s rule only (see floodReason). */
  press?: boolean;
}

export type SpamReason = 'burst' | 'sustained' | 'duplicates';

export type SpamDecision =
  | { kind: 'pass' }
  /** This event started a mute: drop it and tell the lead once, for how long. */
  | { kind: 'mute'; reason: SpamReason; until: number; hours: number; level: number }
  /** The lead is already muted: drop the event silently (they were told when the mute began). */
  | { kind: 'drop'; until: number };

export const EMPTY_SPAM_STATE: SpamState = { level: 0, mutedUntil: null, lastMuteEndsAt: null, recent: [] };

/** The length of the mute that follows `previousMutes` earlier ones (capped at the last step). */
export function muteHoursFor(previousMutes: number): number {
  const steps = SPAM_RULES.muteHours;
  return steps[Math.min(previousMutes, steps.length - 1)];
}

/** Lower case, single spaces, trimmed: "Привет " and "привет" are the same message. */
export function fingerprintOf(text: string | undefined): string | null {
  if (text === undefined) return null;
  const normalised = text.trim().toLowerCase().replace(/\s+/g, ' ');
  return normalised || null;
}

/** Decides what happens to one event of the lead and returns the state to store. */
export function judge(state: SpamState, event: SpamEvent, now: number): { decision: SpamDecision; state: SpamState } {
  const current = forgiveIfQuiet(endMuteIfOver(state, now), now);

  if (current.mutedUntil !== null) return { decision: { kind: 'drop', until: current.mutedUntil }, state: current };
  if (current.recent.some((e) => e.updateId === event.updateId)) return { decision: { kind: 'pass' }, state: current };

  const recent = [...current.recent.filter((e) => now - e.at < KEEP_MS), { at: now, updateId: event.updateId, fingerprint: fingerprintOf(event.text), ...(event.press && { press: true }) }];
  const reason = floodReason(recent, now);
  if (!reason) return { decision: { kind: 'pass' }, state: { ...current, recent: recent.slice(-SPAM_RULES.sustained.count) } };

  const hours = muteHoursFor(current.level);
  const until = now + hours * 3_600_000;
  return {
    decision: { kind: 'mute', reason, until, hours, level: current.level + 1 },
    // The window starts afresh after the mute: what led to it is punished once.
    state: { level: current.level + 1, mutedUntil: until, lastMuteEndsAt: until, recent: [] },
  };
}

/** Staff lifted the mute: the lead starts over as if they had never flooded. */
export function liftMute(): SpamState {
  return EMPTY_SPAM_STATE;
}

function endMuteIfOver(state: SpamState, now: number): SpamState {
  return state.mutedUntil !== null && now >= state.mutedUntil ? { ...state, mutedUntil: null, recent: [] } : state;
}

function forgiveIfQuiet(state: SpamState, now: number): SpamState {
  const quietSince = state.lastMuteEndsAt;
  if (state.mutedUntil !== null || quietSince === null || now - quietSince < SPAM_RULES.decayMs) return state;
  return { ...state, level: 0, lastMuteEndsAt: null };
}

/**
 * A lead tapping through the survey presses a button every second or two: presses never make a
 * burst (that is for typed messages), but they count towards the sustained rule, so a script
 * pressing forged buttons is still muted at 20 in a minute.
 */
function floodReason(recent: RecentEvent[], now: number): SpamReason | null {
  const within = (ms: number) => recent.filter((e) => now - e.at < ms);
  if (within(SPAM_RULES.burst.windowMs).filter((e) => !e.press).length >= SPAM_RULES.burst.count) return 'burst';
  if (within(SPAM_RULES.sustained.windowMs).length >= SPAM_RULES.sustained.count) return 'sustained';
  const last = recent[recent.length - 1].fingerprint;
  if (last !== null && within(SPAM_RULES.duplicates.windowMs).filter((e) => e.fingerprint === last).length >= SPAM_RULES.duplicates.count) {
    return 'duplicates';
  }
  return null;
}

import type { ScenarioButton } from './scenario';
import { localMinuteOfDay } from './time-zone';

/** One message of the follow-up sequence, sent after this many hours of the lead's silence. */
export interface FollowUpStep {
  id: string;
  afterHours: number;
  text: string;
  buttons?: ScenarioButton[][];
  /** A file sent with the text as its caption: a scenario path, a URL, or `tg:<file_id>` an editor sent. */
  document?: string;
  /** Sent at most once in the lead's life (the re-engagement), not once per silence. */
  onceEver?: boolean;
}

export interface FollowUpPlan {
  /** Local HH:MM; a message due inside [from, to) waits until `to`. */
  quietHours: { from: string; to: string } | null;
  /** After downtime, overdue messages are spread over this many minutes instead of going out at once. */
  catchUpSpreadMinutes: number;
  /** A follow-up firing more than this late means the workers were down: it takes a catch-up slot. */
  lateAfterMinutes: number;
  sequence: FollowUpStep[];
}

/** What the conversation remembers about follow-ups. */
export interface FollowUpMemory {
  lastActivityMs: number;
  sentThisSilence: string[];
  sentEver: string[];
}

const HOUR_MS = 3_600_000;

/** The next follow-up to arm and when it may go out (quiet hours applied), or null when none is left. */
export function nextFollowUp(plan: FollowUpPlan, memory: FollowUpMemory, timeZone: string): { step: FollowUpStep; dueMs: number } | null {
  const step = plan.sequence.find((s) => !isSent(s, memory));
  if (!step) return null;
  return { step, dueMs: outsideQuietHours(memory.lastActivityMs + step.afterHours * HOUR_MS, plan.quietHours, timeZone) };
}

/**
 * The step to send at `nowMs`: the latest one already due. Older due ones are skipped with it, so a
 * lead who missed both the 24h and 72h messages during an outage gets one message, not two.
 */
export function dueFollowUps(plan: FollowUpPlan, memory: FollowUpMemory, nowMs: number): { send: FollowUpStep | null; skipped: FollowUpStep[] } {
  const due = plan.sequence.filter((s) => !isSent(s, memory) && memory.lastActivityMs + s.afterHours * HOUR_MS <= nowMs);
  return { send: due.at(-1) ?? null, skipped: due.slice(0, -1) };
}

/** Moves an instant out of the quiet hours of `timeZone` (e.g. 23:30 → 09:00 the next morning). */
export function outsideQuietHours(ms: number, quiet: FollowUpPlan['quietHours'], timeZone: string): number {
  if (!quiet) return ms;
  const minutes = localMinuteOfDay(ms, timeZone);
  const from = toMinutes(quiet.from);
  const to = toMinutes(quiet.to);
  const inside = from > to ? minutes >= from || minutes < to : minutes >= from && minutes < to;
  if (!inside) return ms;
  const wait = (to - minutes + 24 * 60) % (24 * 60);
  const moved = ms + wait * 60_000;
  return moved - (moved % 60_000); // on the minute
}

/** A stable offset within the spread for this lead, so overdue leads go out one after another. */
export function catchUpOffsetMs(seed: number, spreadMinutes: number): number {
  if (spreadMinutes <= 0) return 0;
  // A small integer hash (no crypto in workflows): same lead, same slot.
  let h = Math.abs(Math.trunc(seed)) % 2147483647;
  h = (h * 48271) % 2147483647;
  h = (h * 48271) % 2147483647;
  return (h % (spreadMinutes * 60)) * 1000;
}

function isSent(step: FollowUpStep, memory: FollowUpMemory): boolean {
  return memory.sentThisSilence.includes(step.id) || (!!step.onceEver && memory.sentEver.includes(step.id));
}


function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

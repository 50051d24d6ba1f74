import type { HandoffCarriedOver } from './contract';

/** How many of each side's latest texts a dialog keeps: the summary quotes only the last one. */
export const TEXTS_KEPT = 3;
/** Messages waiting for the next taker (after a release) that a run carries over; older ones are only counted. */
export const PENDING_KEPT = 200;

/** Counts every message of one side and keeps only its latest texts, so a dialog of weeks stays small. */
export function noteText(side: { count: number; texts: string[] }, text: string): void {
  side.count += 1;
  side.texts.push(text);
  if (side.texts.length > TEXTS_KEPT) side.texts.splice(0, side.texts.length - TEXTS_KEPT);
}

/** The state a fresh handoff starts with: waiting, its SLA and expiry counted from `nowMs`. */
export function freshHandoff(nowMs: number, slaMs: number, expireMs: number): HandoffCarriedOver {
  return {
    status: 'waiting',
    manager: null,
    escalated: false,
    card: null,
    sequence: 0,
    lastActivityAt: nowMs,
    slaAt: nowMs + slaMs,
    expireAt: nowMs + expireMs,
    leadCount: 0,
    managerCount: 0,
    leadTexts: [],
    managerTexts: [],
    rounds: 0,
    lastHolder: null,
    pending: [],
  };
}

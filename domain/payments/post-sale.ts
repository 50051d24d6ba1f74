import { dueFollowUps, nextFollowUp, type FollowUpPlan, type FollowUpStep } from '../follow-ups';

/**
 * The post-sale sequence (docs/follow-ups.md#post-sale-sequence: after purchase it runs instead of the warm-up
 * follow-ups): scripted messages counted from the payment, e.g. day 1 how to start, day 3 a
 * check-in, day 7 a feedback ask. Same quiet hours as follow-ups; the lead's own messages do not
 * reset it (it follows the purchase, not the silence).
 */
export interface PostSalePlan {
  /** Local HH:MM; a message due inside [from, to) waits until `to`. */
  quietHours: { from: string; to: string } | null;
  sequence: PostSaleStep[];
}

export type PostSaleStep = Pick<FollowUpStep, 'id' | 'afterHours' | 'text'>;

/** What the conversation remembers: when the lead paid and which messages went out (or were skipped). */
export interface PostSaleProgress {
  paidAtMs: number;
  sent: string[];
}

/** The sequence as a follow-up plan whose "silence" began at the payment and never resets. */
function asFollowUps(plan: PostSalePlan, progress: PostSaleProgress): [FollowUpPlan, { lastActivityMs: number; sentThisSilence: string[]; sentEver: string[] }] {
  return [
    { quietHours: plan.quietHours, catchUpSpreadMinutes: 0, lateAfterMinutes: 0, sequence: plan.sequence },
    { lastActivityMs: progress.paidAtMs, sentThisSilence: progress.sent, sentEver: progress.sent },
  ];
}

/** When the next post-sale message may go out (quiet hours applied), or null when the sequence is done. */
export function nextPostSaleAt(plan: PostSalePlan, progress: PostSaleProgress, timeZone: string): number | null {
  return nextFollowUp(...asFollowUps(plan, progress), timeZone)?.dueMs ?? null;
}

/**
 * The message to send at `nowMs`: the latest one due. After downtime or a long manager dialog the
 * lead gets one message, not a backlog; the older ones are skipped.
 */
export function duePostSale(plan: PostSalePlan, progress: PostSaleProgress, nowMs: number): { send: PostSaleStep | null; skipped: PostSaleStep[] } {
  return dueFollowUps(...asFollowUps(plan, progress), nowMs);
}

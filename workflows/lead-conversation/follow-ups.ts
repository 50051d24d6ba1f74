import { patched } from '@temporalio/workflow';
import { renderFollowUp } from '../../domain/conversation';
import { catchUpOffsetMs, dueFollowUps, nextFollowUp, outsideQuietHours } from '../../domain/follow-ups';
import { duePostSale, nextPostSaleAt } from '../../domain/payments/post-sale';
import { timeZoneOf, view, type Conversation } from './context';
import { recordEvent, send } from './outbound';

/** When the next follow-up may go out; undefined when none is due (opted out, blocked, none left). */
export function followUpDeadline(c: Conversation): number | undefined {
  const { state } = c;
  const plan = c.scenario?.followUps;
  if (!plan || state.lastActivityAt === undefined || state.optedOut || state.blocked) return undefined;
  // A lead waiting for or talking to a manager gets no automated nudges; the close re-arms them.
  // A customer gets none of the warm-up ones.
  if (state.handoff || state.customer) return undefined;
  // Conversations that began before follow-ups existed replay without these timers.
  if (!patched('follow-up-timers')) return undefined;
  if (state.followUpCatchUpAt) return state.followUpCatchUpAt;
  return nextFollowUp(plan, followUpMemory(c), timeZoneOf(c))?.dueMs;
}

function followUpMemory(c: Conversation) {
  const { state } = c;
  return { lastActivityMs: state.lastActivityAt ?? 0, sentThisSilence: state.followUpsThisSilence ?? [], sentEver: state.followUpsEver ?? [] };
}

/**
 * The lead has been silent long enough. On time: the message goes out. Late (the workers were down):
 * the lead gets a slot within the catch-up spread first, so a backlog goes out gradually, and then
 * only the latest due message, never several at once.
 */
export async function followUp(c: Conversation): Promise<void> {
  const { state } = c;
  const current = c.scenario;
  const plan = current?.followUps;
  if (!current || !plan) return;
  const zone = timeZoneOf(c);
  const next = nextFollowUp(plan, followUpMemory(c), zone);
  if (!state.followUpCatchUpAt && next && Date.now() - next.dueMs > plan.lateAfterMinutes * 60_000) {
    state.followUpCatchUpAt = outsideQuietHours(Date.now() + catchUpOffsetMs(state.telegramUserId, plan.catchUpSpreadMinutes), plan.quietHours, zone);
    return;
  }
  state.followUpCatchUpAt = null;
  const { send: step, skipped } = dueFollowUps(plan, followUpMemory(c), Date.now());
  if (!step) return;
  const ids = [...skipped, step].map((s) => s.id);
  state.followUpsThisSilence = [...(state.followUpsThisSilence ?? []), ...ids];
  state.followUpsEver = [...new Set([...(state.followUpsEver ?? []), ...ids])];
  // Editors may have changed the text from Telegram since the scenario was pinned.
  const edited = await c.records.templateText({ key: `follow_up.${step.id}`, language: current.language });
  const override = typeof edited === 'string' ? { text: edited } : (edited ?? {});
  await send(c, renderFollowUp(current, { ...step, ...override }, view(c)));
  await recordEvent(c, 'follow_up_sent', { id: step.id, skipped: skipped.map((s) => s.id), at: new Date().toISOString() });
}

/** When the next post-sale message may go out; undefined when none is due (opted out, blocked, in a manager dialog, done). */
export function postSaleDeadline(c: Conversation): number | undefined {
  const { state } = c;
  const plan = c.scenario?.postSale;
  if (!plan || !state.postSale || state.optedOut || state.blocked || state.handoff) return undefined;
  return nextPostSaleAt(plan, state.postSale, timeZoneOf(c)) ?? undefined;
}

/** The latest post-sale message due goes out (older ones missed meanwhile are skipped, never sent in a burst). */
export async function postSaleMessage(c: Conversation): Promise<void> {
  const current = c.scenario;
  const progress = c.state.postSale;
  if (!current?.postSale || !progress) return;
  const { send: step, skipped } = duePostSale(current.postSale, progress, Date.now());
  if (!step) return;
  progress.sent = [...progress.sent, ...skipped.map((s) => s.id), step.id];
  await send(c, renderFollowUp(current, step, view(c)));
  await recordEvent(c, 'post_sale_sent', { id: step.id, skipped: skipped.map((s) => s.id), at: new Date().toISOString() });
}

import { patched } from '@temporalio/workflow';
import type { Conversation } from './context';
import { notifyManagers, recordEvent } from './outbound';

/** How often a conversation that cannot await its open handoff (it continued-as-new since) asks whether it still runs. */
export const HANDOFF_CHECK_MS = 60 * 60_000;

/** When to ask whether an open handoff this run cannot await still runs. */
export function handoffCheckDeadline(c: Conversation): number | undefined {
  const { state } = c;
  if (!state.handoff || c.awaitedHandoffs.has(state.handoff.workflowId)) return undefined;
  return patched('handoff-liveness-check') ? c.handoffCheckAt : undefined;
}

/** An open handoff this run does not await: if it no longer runs, it ended unseen (terminated) and is cleared. */
export async function checkHandoff(c: Conversation): Promise<void> {
  const { state } = c;
  c.handoffCheckAt = Date.now() + HANDOFF_CHECK_MS;
  const open = state.handoff;
  if (!open) return;
  if ((await c.records.handoffRunning({ workflowId: open.workflowId })) !== 'ended') return;
  state.handoff = null;
  Object.assign(state, { lastActivityAt: Date.now(), followUpsThisSilence: [] });
  await handoffLost(c, open.workflowId, 'ended unseen');
}

/** A handoff that ended without closing: its row closed, the lead back with the bot, the managers told. */
export async function handoffLost(c: Conversation, workflowId: string, how: string): Promise<void> {
  await c.records.handoffAbandoned({ workflowId, reason: `handoff ${how}` });
  await recordEvent(c, 'handoff_lost', { handoffId: workflowId, how });
  await notifyManagers(c, `диалог с менеджером прерван (${how}); бот снова отвечает лиду. Если нужен менеджер, лид может позвать его снова.`);
}

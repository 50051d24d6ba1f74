import type { Conversation } from './context';
import { conversationMode } from './state';

/**
 * Keeps the lead's row (`leads.conversation_mode`) in step with the conversation's mode, so a
 * campaign batch reads rows instead of querying every recipient's workflow. Called once per turn of
 * the main loop, after whatever changed the mode (an event, a timer) and before the conversation
 * waits again: one activity call, only when the mode differs from the one last written.
 *
 * A manager's take is written by the handoff itself before this conversation hears of it, so the
 * pause starts at the take; this call confirms it and writes every other change.
 */
export async function recordModeIfChanged(c: Conversation): Promise<void> {
  const { state } = c;
  if (state.leadId === null) return;
  const mode = conversationMode(state);
  const last = state.recordedMode;
  if (last) {
    if (last.leadId === state.leadId && last.mode === mode) return;
  } else if (c.input.carriedOver && mode === 'bot') {
    // A conversation running since before the column existed: its row is null and `mode` (bot)
    // already says the same, so it writes on its first change. A new conversation writes once, as a
    // row left by an earlier conversation of the same lead may say otherwise.
    return;
  }
  await c.records.recordConversationMode({ leadId: state.leadId, mode });
  state.recordedMode = { leadId: state.leadId, mode };
}

import { getExternalWorkflowHandle, patched } from '@temporalio/workflow';
import { enterStep } from '../../domain/conversation';
import type { Scenario } from '../../domain/scenario';
import type { Conversation } from './context';
import { run } from './scenario-steps';
import { freshProfile } from './state';

/** /reset confirmed: the lead's records and profile go, and the conversation starts over at the first step. */
export async function resetConversation(c: Conversation, current: Scenario): Promise<void> {
  const { state } = c;
  // The lead's records go: an open handoff about them goes too.
  if (state.handoff) {
    await getExternalWorkflowHandle(state.handoff.workflowId)
      .cancel()
      .catch(() => undefined);
    state.handoff = null;
  }
  await c.records.deleteLeadData(state.telegramUserId);
  Object.assign(state, freshProfile(), { resetPending: false, step: current.start });
  const person = state.person;
  state.leadId = person ? (await c.records.ensureLead(person, state.chatId)).leadId : null;
  await run(c, [{ kind: 'say', text: current.texts.resetDone }, ...enterStep(current, current.start)]);
  if (patched('reset-continues-as-new')) {
    // What the lead told the bot leaves the state too (the model's facts, a half-filled form), and
    // the old run, whose history holds their texts, closes: it goes after the namespace's retention.
    Object.assign(state, { facts: {}, form: undefined, formDeadline: null, recentActions: [], lastConfidence: null, readiness: undefined });
    c.erasedThisRun = true;
  }
}

import { condition } from '@temporalio/workflow';
import { encodeButton } from '../../domain/callback-data';
import { enterStep } from '../../domain/conversation';
import type { Scenario } from '../../domain/scenario';
import { fillStaffText, STAFF_TEXTS } from '../../domain/staff/staff-texts';
import { failureType, idPrefix, type Conversation } from './context';
import { DRAFT_SCOPE } from './contract';
import { describeLead, recordEvent, send } from './outbound';
import { run } from './scenario-steps';
import { nextSequence } from './state';

/**
 * Approval mode: an unsure draft goes to the managers' chat and the lead gets what a manager
 * decides (the draft, or the manager's own text), or the templated answer after the timeout.
 * Returns false when approval mode is off, so the caller escalates as usual.
 */
export async function askForApproval(c: Conversation, current: Scenario, draft: string, question: string, confidence: number): Promise<boolean> {
  const { state } = c;
  const settings = await c.records.approvalSettings();
  if (!settings.enabled || settings.chatId === null || state.leadId === null) return false;
  const { draftId } = await c.records.createDraft({
    leadId: state.leadId,
    telegramUserId: state.telegramUserId,
    text: draft,
    chatId: settings.chatId,
    idempotencyKey: `${idPrefix()}/d${nextSequence(state)}`,
  });
  const card = fillStaffText(STAFF_TEXTS.draftCard, {
    confidence: confidence.toFixed(2),
    who: describeLead(c),
    draft,
    question: question.slice(0, 500),
    minutes: Math.round(settings.timeoutSeconds / 60),
  });
  const posted = await c.telegram
    .notifyManagers({
      outboundId: `${idPrefix()}/n${nextSequence(state)}`,
      leadId: state.leadId,
      text: card,
      buttons: [[
        { text: STAFF_TEXTS.approveButton, data: encodeButton(DRAFT_SCOPE, `${draftId}.ok`) },
        { text: STAFF_TEXTS.rejectButton, data: encodeButton(DRAFT_SCOPE, `${draftId}.no`) },
      ]],
    })
    .catch((error: unknown) => ({ delivered: false, messageId: undefined, failure: failureType(error) }));
  if (!posted.delivered) {
    await c.records.settleDraft({ draftId, status: 'expired' });
    return false; // nobody can approve it: escalate as usual
  }
  if (posted.messageId) await c.records.setDraftMessage({ draftId, chatMessageId: posted.messageId });
  // Never past a booking reminder: the lead's consultation matters more than the draft.
  const wait = Math.min(settings.timeoutSeconds * 1000, state.reminder ? Math.max(1, state.reminder.at - Date.now()) : Infinity);
  const decided = await condition(() => c.draftDecisions.has(draftId), wait);
  const decision = c.draftDecisions.get(draftId);
  const status = !decided || !decision ? 'expired' : decision.decision === 'approve' ? 'approved' : decision.decision === 'edit' ? 'edited' : 'rejected';
  const finalText = decision?.decision === 'edit' ? decision.text : decision?.decision === 'approve' ? draft : undefined;
  await c.records.settleDraft({ draftId, status, finalText, decidedBy: decision?.by });
  await recordEvent(c, 'llm_draft', { draftId, status, by: decision?.by ?? null });
  if (finalText) await send(c, { type: 'text', text: finalText });
  else await run(c, enterStep(current, current.fallback));
  return true;
}

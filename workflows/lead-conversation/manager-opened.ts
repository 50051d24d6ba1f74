import { log, patched } from '@temporalio/workflow';
import type { TakeRequest } from '../manager-handoff/contract';
import { idPrefix, type Conversation } from './context';
import type { DomainEvent } from './contract';
import { checkHandoff } from './handoff-liveness';
import { startHandoff } from './handoff';
import { nextSequence } from './state';

/**
 * "Take dialog" on the lead card: the bot asks the conversation to open a handoff already taken by
 * that manager, through the same handoff workflow an escalation starts, so the bot, follow-ups and
 * broadcasts fall silent the same way. The bot takes an already open handoff itself (the take update
 * answers who holds it); a handoff that opened in between is named to the manager here.
 */
export async function managerOpensDialog(c: Conversation, event: DomainEvent): Promise<void> {
  const { state } = c;
  const managerId = Number(event.payload?.managerId);
  const managerName = String(event.payload?.managerName ?? '');
  if (!Number.isSafeInteger(managerId) || managerId <= 0 || !managerName || !patched('manager-opens-dialog')) {
    log.warn('malformed open-dialog request', { id: event.id });
    return;
  }
  const takenBy: TakeRequest = { managerId, managerName };
  if (state.leadId === null || !c.scenario) return tellManager(c, managerId, 'У лида ещё нет разговора с ботом: открыть диалог нельзя.');
  // The open handoff may have died unseen: ask before refusing for its sake.
  if (state.handoff) await checkHandoff(c);
  if (state.handoff) return tellManager(c, managerId, `У лида #${state.leadId} уже открыт диалог с менеджерами: нажмите «Взять диалог» ещё раз или найдите его в /queue.`);
  await startHandoff(c, 'manager_took', undefined, takenBy);
}

/** A private word to the manager who asked (a failed delivery is only logged: the press was answered already). */
async function tellManager(c: Conversation, managerId: number, text: string): Promise<void> {
  await c.telegram
    .sendToLead({ outboundId: `${idPrefix()}/s${nextSequence(c.state)}`, leadId: c.state.leadId, chatId: managerId, content: { type: 'text', text }, toStaff: true })
    .catch((error: unknown) => log.warn('manager not told', { error: String(error) }));
}

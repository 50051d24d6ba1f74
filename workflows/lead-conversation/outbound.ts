import { log } from '@temporalio/workflow';
import type { OutboundButton, OutboundContent } from '../../domain/conversation';
import { failureType, idPrefix, type Conversation } from './context';
import { nextSequence } from './state';

/** A message to the lead; a refusal is logged and the conversation goes on (403 marks the lead blocked). */
export async function send(c: Conversation, content: OutboundContent): Promise<void> {
  const { state } = c;
  if (state.blocked) return;
  const outboundId = `${idPrefix()}/m${nextSequence(state)}`;
  const editMessageId = content.type === 'text' ? c.replaceMessageId : undefined;
  c.replaceMessageId = undefined; // only the first reply replaces the pressed message
  try {
    await c.telegram.sendToLead({ outboundId, leadId: state.leadId, chatId: state.chatId, content, ...(editMessageId ? { editMessageId } : {}) });
  } catch (error) {
    // A refused message must not end the conversation: record why and go on.
    const type = failureType(error);
    if (type === 'TelegramBlocked') state.blocked = true;
    log.warn('message not delivered', { outboundId, type, leadId: state.leadId });
  }
}

/** An event of the lead's journey (analytics), once per key even if the activity is retried. */
export async function recordEvent(c: Conversation, type: string, payload?: Record<string, unknown>): Promise<void> {
  const { state } = c;
  if (state.leadId === null) return;
  const idempotencyKey = `${idPrefix()}/e${nextSequence(state)}`;
  await c.records.recordLeadEvent({ leadId: state.leadId, type, payload, idempotencyKey });
}

/** Who the lead is, for the managers: name, @username, id, segment and score. */
export function describeLead(c: Conversation): string {
  const { state } = c;
  const person = state.person;
  const who = person
    ? [person.firstName, person.lastName, person.username && `@${person.username}`].filter(Boolean).join(' ')
    : `id ${state.telegramUserId}`;
  const profile = state.segment ? `, ${state.segment} ${state.score ?? ''}`.trimEnd() : '';
  return `${who} (id ${state.telegramUserId})${profile}`;
}

/** Tells the managers' chat something about this lead, who the lead is first. */
export async function notifyManagers(c: Conversation, what: string, buttons?: OutboundButton[][]): Promise<void> {
  const { state } = c;
  const text = `${describeLead(c)}: ${what}`;
  try {
    // Absent unless given, so older notices are byte for byte what they were.
    await c.telegram.notifyManagers({ outboundId: `${idPrefix()}/n${nextSequence(state)}`, leadId: state.leadId, text, ...(buttons && { buttons }) });
  } catch (error) {
    log.error('managers notice failed', { type: failureType(error), leadId: state.leadId });
  }
}

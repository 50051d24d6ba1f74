import type { Knex } from 'knex';
import { parseStartPayload } from '../domain/deep-link';
import { describeInbound, type InboundEvent } from '../domain/inbound-event';
import { noteCampaignOutcome } from './campaign-outcomes';
import { recordEvent } from './events';
import { upsertLead } from './leads';
import { recordInboundMessage } from './messages';

/**
 * Stores the lead's profile and one inbound update in one transaction, once per update id (a
 * redelivered update changes the profile only). A `/start <payload>` sets the lead's source the
 * first time; a payload Telegram would not produce is recorded as an event, not stored. Used by the
 * `recordInbound` activity and by a reply's send, which records the update it answers first
 * (docs/testing.md#performance: one activity per reply instead of two).
 */
export async function recordInboundEvent(db: Knex, event: InboundEvent): Promise<{ leadId: number; firstTime: boolean }> {
  const start = event.kind === 'command' && event.command === 'start' ? parseStartPayload(event.payload) : undefined;
  return db.transaction(async (trx) => {
    const lead = await upsertLead(trx, event.from, event.chatId, { source: start?.source, inboundAt: event.sentAt });
    const firstTime = await recordInboundMessage(trx, {
      leadId: lead.id,
      chatId: event.chatId,
      updateId: event.updateId,
      text: describeInbound(event),
      telegramMessageId: 'messageId' in event ? event.messageId : undefined,
      payload: { kind: event.kind, ...(event.kind === 'button' ? { data: event.data } : {}), ...mediaFields(event) },
    });
    // A message of their own (not a command, not a button) counts as a reply to a recent broadcast.
    if (firstTime && (event.kind === 'text' || event.kind === 'other' || event.kind === 'voice' || event.kind === 'media')) await noteCampaignOutcome(trx, lead.id, 'replied');
    if (firstTime && start && 'rejected' in start && start.rejected) {
      await recordEvent(trx, { leadId: lead.id, type: 'invalid_start_payload', payload: { payload: start.rejected } });
    }
    return { leadId: lead.id, firstTime };
  });
}

function mediaFields(event: InboundEvent): Record<string, unknown> {
  if (event.kind === 'voice') {
    return { messageType: event.messageType, fileId: event.fileId, durationSeconds: event.durationSeconds, transcript: event.transcript ?? null, ...(event.unheard ? { unheard: event.unheard } : {}) };
  }
  if (event.kind === 'media') return { messageType: event.messageType, fileId: event.fileId, ...(event.fileName ? { fileName: event.fileName } : {}), caption: event.caption ?? null };
  return {};
}

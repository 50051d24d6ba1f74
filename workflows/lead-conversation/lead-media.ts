import { log } from '@temporalio/workflow';
import type { InboundEvent, MediaEvent, VoiceEvent } from '../../domain/inbound-event';
import { languageFor } from '../../domain/language';
import { receiptTakenText, voiceUnheardNotice, voiceUnheardText } from '../../domain/lead-media';
import type { Scenario } from '../../domain/scenario';
import { failureType, idPrefix, type Conversation } from './context';
import { describeLead, notifyManagers, recordEvent, send } from './outbound';
import { nextSequence } from './state';

/**
 * Voice notes, video notes, photos and documents (docs/lead-journey.md). These are event kinds the
 * bot began to send with this code: no recorded history holds one, so their commands need no
 * `patched()` (old histories of the same messages hold `other` events, handled as before).
 */

/** The voice note with its transcript, or with why there is none (the activity never throws for the provider's sake). */
export async function hearVoice(c: Conversation, event: VoiceEvent): Promise<VoiceEvent & { maxSeconds?: number }> {
  const result = await c.speech
    .transcribeVoice({
      fileId: event.fileId,
      messageType: event.messageType,
      durationSeconds: event.durationSeconds,
      fileSize: event.fileSize,
      language: c.scenario?.language ?? languageFor(event.from.languageCode),
      chatId: event.chatId,
    })
    .catch((error: unknown) => ({ ok: false as const, reason: failureType(error) ?? 'activity_failed', detail: 'the transcription activity gave up', maxSeconds: undefined }));
  return result.ok ? { ...event, transcript: result.text } : { ...event, unheard: result.reason, maxSeconds: result.maxSeconds };
}

/** The lead's words as a text event: a voice note's transcript or a caption goes the way typed text goes. */
export function asText(event: InboundEvent): InboundEvent {
  if (event.kind === 'voice' && event.transcript) return textEvent(event, event.transcript);
  if (event.kind === 'media' && event.caption) return textEvent(event, event.caption);
  return event;
}

function textEvent(event: VoiceEvent | MediaEvent, text: string): InboundEvent {
  const { updateId, sentAt, from, chatId, messageId } = event;
  return { kind: 'text', updateId, sentAt, from, chatId, messageId, text };
}

/** Nobody could hear it: the lead is told so, and the voice itself goes to the managers. Never lost. */
export async function voiceUnheard(c: Conversation, current: Scenario, event: VoiceEvent & { maxSeconds?: number }): Promise<void> {
  const reason = event.unheard ?? 'unknown';
  await recordEvent(c, 'voice_unheard', { reason, fileId: event.fileId, durationSeconds: event.durationSeconds });
  await send(c, { type: 'text', text: voiceUnheardText(current.language, reason, event.maxSeconds ?? 300) });
  await mediaToManagers(c, event, voiceUnheardNotice(reason));
}

/** A photo or document while an order is open is taken as its receipt: the managers get it with the order. */
export async function receipt(c: Conversation, current: Scenario, event: MediaEvent): Promise<boolean> {
  const [orderId] = await c.records.openOrderIds({ telegramUserId: c.state.telegramUserId });
  if (orderId === undefined) return false;
  await recordEvent(c, 'receipt_received', { orderId, fileId: event.fileId, messageType: event.messageType });
  await mediaToManagers(c, event, `🧾 чек или файл по заказу №${orderId}${event.caption ? `: ${event.caption}` : ''}`);
  await send(c, { type: 'text', text: receiptTakenText(current.language, orderId) });
  return true;
}

/** The lead's message itself, copied to the managers' chat with who sent it and why. */
async function mediaToManagers(c: Conversation, event: VoiceEvent | MediaEvent, what: string): Promise<void> {
  const { state } = c;
  // A video note takes no caption: the words follow as a notice.
  const captionable = event.messageType !== 'video_note';
  try {
    await c.telegram.copyToManagers({
      outboundId: `${idPrefix()}/c${nextSequence(state)}`,
      leadId: state.leadId,
      fromChatId: event.chatId,
      messageId: event.messageId,
      caption: captionable ? `${describeLead(c)}: ${what}`.slice(0, 1000) : undefined,
    });
  } catch (error) {
    log.error('media not copied to the managers', { type: failureType(error), leadId: state.leadId });
  }
  if (!captionable) await notifyManagers(c, what);
}

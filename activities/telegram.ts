import type { Api, RawApi } from 'grammy';
import { InputFile } from 'grammy';
import { telegramFileId } from '../domain/content';
import type { InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, ReplyKeyboardMarkup, ReplyKeyboardRemove } from 'grammy/types';
import type { TextEntity } from '../domain/broadcasts/campaign';
import type { Logger } from 'pino';
import type { OutboundButton, OutboundContent } from '../domain/conversation';
import { splitText } from '../domain/split-text';
import type { Db } from '../db/knex';
import { recordInboundEvent } from '../db/inbound-record';
import { markLeadBlocked } from '../db/leads';
import type { InboundEvent } from '../domain/inbound-event';
import { claimOutbound, findOutbound, markOnTheWire, reclaimCutOffOutbound, releaseQueued, settleOutbound, unmarkOnTheWire } from '../db/messages';
import { scenarioFilePath } from '../scenarios/loader';
import { classifyTelegramError } from './telegram-errors';
import type { WireMark } from './broadcast-pacer';

/** A message for a lead, with the id the workflow made for it (the idempotency key). */
export interface OutboundMessage {
  outboundId: string;
  leadId: number | null;
  chatId: number;
  content: OutboundContent;
  /** `replace` history mode: edit this message (the one whose button was pressed) instead of sending. */
  editMessageId?: number;
  /** `manager`: a manager's words relayed to the lead (logged as such). */
  direction?: 'out' | 'manager';
  /** A staff member's private chat: a 403 there says nothing about the lead. */
  toStaff?: boolean;
  /** A forum topic of the chat (a lead's topic in DIALOGS_CHAT_ID): text goes there (message_thread_id). */
  threadId?: number;
  /**
   * The lead's update this message answers, not recorded yet: recorded first (profile and message
   * log, once per update id), and the message is logged under the lead id that gives. One activity
   * per reply instead of two (docs/testing.md#performance).
   */
  inbound?: InboundEvent;
}

/** A message copied as it is (media included) from one chat to another, e.g. between a lead and a manager. */
export interface CopiedMessage {
  outboundId: string;
  /** null: a copy that is no message to or from a lead (the live dialogs' copy in a topic). */
  leadId: number | null;
  fromChatId: number;
  messageId: number;
  chatId: number;
  /** Replaces the caption (a header saying whose message it is). */
  caption?: string;
  direction?: 'out' | 'manager';
  toStaff?: boolean;
  /** A forum topic of the target chat (message_thread_id). */
  threadId?: number;
}

export interface SendResult {
  /** `unknown`: an earlier attempt may have delivered it; it is not sent again. */
  status: 'sent' | 'unknown';
  telegramMessageIds: number[];
  /** The lead's id as recorded with `inbound`, when one was given. */
  leadId?: number;
}

/** For callers inside the worker (campaign batches); a workflow passes only the message. */
export interface SendOptions {
  /**
   * What a retry does with a message an earlier attempt left `sending` (its worker died between the
   * move to the wire and Telegram's answer, so nobody knows whether Telegram took it; one left `queued`,
   * still waiting for its turn, never went out and is simply sent):
   * `resend` (a conversation: a lead who misses a step is stuck, a copy seen twice is not; the
   * default) or `unknown` (a broadcast: never a second copy to a whole audience).
   */
  afterCutOff?: 'resend' | 'unknown';
  /**
   * Runs once per message after it is claimed and right before it goes to Telegram (a broadcast
   * waits for its slot here, so the time between its slot and Telegram is as short as it can be).
   * With it the message is claimed `queued` and moves to `sending` through `wire` (the pacer marks it a
   * few ms before the slot, so the UPDATE never delays the send), else right after it.
   */
  beforeSend?: (wire: WireMark) => Promise<unknown>;
}

/**
 * The longest one request to Telegram may take by default (TELEGRAM_REQUEST_TIMEOUT_SECONDS; the
 * worker's grammY client is built with it), so a claim older than this plus a margin belongs to an
 * attempt that can no longer be sending.
 */
export const TELEGRAM_REQUEST_TIMEOUT_SECONDS = 25;
const CUT_OFF_MARGIN_SECONDS = 5;
/** How long a sent message's record waits for Postgres (well inside the send activity's 30 s). */
const SETTLE_PATIENCE_MS = 20_000;

export interface TelegramDeps {
  api: Api<RawApi>;
  db: Db;
  logger: Logger;
  managersChatId?: number;
  /** The timeout `api` was built with (default TELEGRAM_REQUEST_TIMEOUT_SECONDS): a claim older than it plus a margin is cut off. */
  requestTimeoutSeconds?: number;
  /** How long a sent message's record waits for Postgres before leaving the row `sending` (default 20 s; tests shorten it). */
  settlePatienceMs?: number;
}

/**
 * The one gateway for messages to Telegram. Every message is claimed in the message log under
 * its outbound id before it is sent, so a retried activity never sends or logs it twice.
 */
export function createTelegramActivities({ api, db, logger, managersChatId, requestTimeoutSeconds = TELEGRAM_REQUEST_TIMEOUT_SECONDS, settlePatienceMs = SETTLE_PATIENCE_MS }: TelegramDeps) {
  const cutOffAfterSeconds = requestTimeoutSeconds + CUT_OFF_MARGIN_SECONDS;
  /** file_id Telegram gave an uploaded document, so the next lead gets it without an upload. */
  const uploadedFileIds = new Map<string, string>();

  async function sendOne(message: OutboundMessage, outboundId: string, part: OutboundContent, options: SendOptions): Promise<SendResult> {
    return sendClaimed(message, outboundId, { text: part.type === 'text' ? part.text : (part.caption ?? ''), payload: { content: part } }, sendMethod(part), () =>
      deliver(message.chatId, part, message.editMessageId, message.threadId),
    options);
  }

  /**
   * Claims the message in the log under its outbound id, sends it, and settles the claim: a retried
   * activity never sends or logs it twice, and a send whose outcome is unknown is not repeated.
   */
  async function sendClaimed(
    message: Pick<OutboundMessage, 'leadId' | 'chatId' | 'direction' | 'toStaff'>,
    outboundId: string,
    logged: { text: string; payload: Record<string, unknown> },
    method: string,
    send: () => Promise<{ message_id: number }>,
    { beforeSend, afterCutOff = 'resend' }: SendOptions = {},
  ): Promise<SendResult> {
    const log = logger.child({ leadId: message.leadId, outboundId });
    // A message that waits for its turn first is claimed `queued`: until it moves to `sending`, right
    // before the request, a retry knows nothing of it reached Telegram (docs/broadcasts.md#delivery).
    const claim = await claimOutbound(db, {
      leadId: message.leadId,
      chatId: message.chatId,
      outboundId,
      direction: message.direction ?? 'out',
      ...logged,
    }, beforeSend ? 'queued' : 'sending');
    // An earlier attempt claimed it and died (or was replaced) while it waited for its turn: it never
    // went out, so this one sends it. If that attempt still lives, the move to `sending` picks one.
    const adopted = !claim.claimed && claim.existing.status === 'queued';
    if (adopted) log.info('an earlier attempt left the message waiting for its turn; sending it');
    const queued = adopted || (claim.claimed && beforeSend !== undefined);
    // `taken`: another attempt moved the claim to the wire while this one waited; only one sends.
    let onWire: 'no' | 'yes' | 'taken' = queued ? 'no' : 'yes';
    const wire: WireMark = {
      async mark() {
        if (onWire === 'no') onWire = (await markOnTheWire(db, outboundId)) ? 'yes' : 'taken';
        return onWire === 'yes';
      },
      async unmark() {
        if (onWire !== 'yes' || !queued) return;
        await unmarkOnTheWire(db, outboundId);
        onWire = 'no';
      },
    };
    if (!claim.claimed && !adopted) {
      const { existing } = claim;
      if (existing.status === 'sent') return { status: 'sent', telegramMessageIds: [existing.telegram_message_id ?? 0] };
      if (existing.status !== 'sending') return { status: 'unknown', telegramMessageIds: [] };
      if (afterCutOff === 'unknown') {
        // An earlier attempt died mid-send: Telegram may have the message. Never send blindly twice.
        await settleOutbound(db, outboundId, { status: 'unknown', error: 'earlier attempt ended mid-send' });
        log.warn('outbound outcome unknown; not resending');
        return { status: 'unknown', telegramMessageIds: [] };
      }
      // The attempt that claimed it may still be waiting for Telegram: only once it cannot be does
      // this retry send it again (Temporal retries the activity meanwhile).
      if (!(await reclaimCutOffOutbound(db, outboundId, cutOffAfterSeconds))) {
        throw new Error(`outbound ${outboundId} is claimed by an attempt that may still be sending; retrying later`);
      }
      log.warn('an earlier attempt was cut off mid-send; sending again (the lead may see it twice)');
    }
    if (beforeSend) {
      try {
        await beforeSend(wire);
      } catch (error) {
        // Nothing went to Telegram: the claim is released for the next attempt (a queued one only if
        // no other attempt took it to the wire meanwhile).
        if (queued) {
          await wire.unmark();
          await releaseQueued(db, outboundId, `not sent: ${String(error)}`);
        }
        else await settleOutbound(db, outboundId, { status: 'failed', error: `not sent: ${String(error)}` });
        throw error;
      }
    }
    if (!(await wire.mark())) {
      // Another attempt moved it to the wire (or settled it) while this one waited: only one sends.
      const now = await findOutbound(db, outboundId);
      if (now?.status === 'sent') return { status: 'sent', telegramMessageIds: [now.telegram_message_id ?? 0] };
      log.warn({ status: now?.status }, 'another attempt took the message to Telegram; not sending it twice');
      return { status: 'unknown', telegramMessageIds: [] };
    }
    let sent: { message_id: number };
    try {
      sent = await send();
    } catch (error) {
      const outcome = classifyTelegramError(error, method);
      if (outcome.kind === 'unknown') {
        await settleOutbound(db, outboundId, { status: 'unknown', error: outcome.reason });
        log.warn({ reason: outcome.reason }, 'outbound outcome unknown; not resending');
        return { status: 'unknown', telegramMessageIds: [] };
      }
      await settleOutbound(db, outboundId, { status: 'failed', error: outcome.failure.message });
      const leadBlockedUs = outcome.kind === 'refused' && outcome.blocked && message.chatId !== managersChatId && !message.toStaff;
      if (leadBlockedUs && message.leadId !== null) await markLeadBlocked(db, message.leadId);
      log.warn({ reason: outcome.failure.message }, 'telegram refused or deferred a message');
      throw outcome.failure;
    }
    await settleSent(outboundId, sent.message_id, log);
    return { status: 'sent', telegramMessageIds: [sent.message_id] };
  }

  /**
   * Records a message Telegram took. Postgres may be down just then: the activity must not fail, or its
   * retry would find the claim unsettled and send the message again. So it keeps trying for a while,
   * then leaves the row `sending` (the log is behind; the lead has the message once).
   */
  async function settleSent(outboundId: string, telegramMessageId: number, log: Logger): Promise<void> {
    const giveUpAt = Date.now() + settlePatienceMs;
    for (let wait = 250; ; wait = Math.min(wait * 2, 4_000)) {
      try {
        return await settleOutbound(db, outboundId, { status: 'sent', telegramMessageId });
      } catch (error) {
        if (Date.now() + wait > giveUpAt) {
          log.error({ err: String(error) }, 'message sent but not recorded as sent (database unreachable); not resending');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /** A text over Telegram's limit goes out in parts split at paragraphs, each claimed under its own id. */
  async function sendParts(message: OutboundMessage, options: SendOptions = {}): Promise<SendResult> {
    const parts = splitContent(message.content);
    const ids: number[] = [];
    let status: SendResult['status'] = 'sent';
    for (const [index, part] of parts.entries()) {
      const outboundId = parts.length === 1 ? message.outboundId : `${message.outboundId}.${index + 1}`;
      const result = await sendOne(message, outboundId, part, options);
      ids.push(...result.telegramMessageIds);
      if (result.status === 'unknown') status = 'unknown';
    }
    return { status, telegramMessageIds: ids };
  }

  async function deliver(chatId: number, content: OutboundContent, editMessageId?: number, threadId?: number): Promise<Message> {
    const reply_markup = keyboard(content);
    if (content.type === 'text' && editMessageId && !content.contactRequest && !content.removeKeyboard) {
      try {
        const edited = await api.editMessageText(chatId, editMessageId, content.text, { reply_markup: inlineKeyboard(content.buttons), entities: entities(content.entities) });
        if (typeof edited === 'object') return edited;
      } catch (error) {
        // A message that cannot be edited (too old, a document, unchanged) gets a new one instead.
        if (classifyTelegramError(error, 'editMessageText').kind !== 'refused') throw error;
      }
    }
    if (content.type === 'text') return api.sendMessage(chatId, content.text, { reply_markup, entities: entities(content.entities), ...(threadId !== undefined && { message_thread_id: threadId }) });
    if (content.type !== 'document') return sendMedia(chatId, content, reply_markup);
    const cachedId = uploadedFileIds.get(content.document);
    // A file an editor sent the bot (tg:<file_id>), a URL, or a file shipped with the scenario.
    const file = cachedId ?? telegramFileId(content.document) ?? (/^https?:\/\//.test(content.document) ? content.document : new InputFile(scenarioFilePath(content.document)));
    const sent = await api.sendDocument(chatId, file, { caption: content.caption, caption_entities: entities(content.captionEntities), reply_markup });
    if (sent.document && !cachedId) uploadedFileIds.set(content.document, sent.document.file_id);
    return sent;
  }

  /** Broadcast media, by a file_id Telegram holds or an https URL (never a local path). */
  function sendMedia(chatId: number, content: Extract<OutboundContent, { file: string }>, reply_markup: ReturnType<typeof keyboard>): Promise<Message> {
    const file = telegramFileId(content.file) ?? content.file;
    const options = { caption: content.caption, caption_entities: entities(content.captionEntities), reply_markup };
    if (content.type === 'photo') return api.sendPhoto(chatId, file, options);
    if (content.type === 'video') return api.sendVideo(chatId, file, options);
    if (content.type === 'audio') return api.sendAudio(chatId, file, options);
    return api.sendVoice(chatId, file, options);
  }

  return {
    /** Sends a message to a lead; a text over Telegram's limit goes out in parts split at paragraphs. */
    async sendToLead(message: OutboundMessage, options?: SendOptions): Promise<SendResult> {
      if (!message.inbound) return sendParts(message, options);
      // Recorded before the send, so the log keeps the lead's message ahead of the answer, and a
      // retry records it again harmlessly (once per update id).
      const { inbound, ...outbound } = message;
      const { leadId } = await recordInboundEvent(db, inbound);
      return { ...(await sendParts({ ...outbound, leadId }, options)), leadId };
    },

    /** Copies a message (text or media) between chats, logged and claimed like any outbound message. */
    copyMessage: (copy: CopiedMessage, options?: SendOptions): Promise<SendResult> =>
      sendClaimed(
        copy,
        copy.outboundId,
        { text: copy.caption ?? '', payload: { copiedFrom: { chatId: copy.fromChatId, messageId: copy.messageId } } },
        'copyMessage',
        () => api.copyMessage(copy.chatId, copy.fromChatId, copy.messageId, { ...(copy.caption !== undefined && { caption: copy.caption }), ...(copy.threadId !== undefined && { message_thread_id: copy.threadId }) }),
        options,
      ),

    /**
     * Copies a lead's message (a voice note nobody could hear, a receipt) to the managers' chat,
     * claimed like any outbound message. Without MANAGERS_CHAT_ID it only logs.
     */
    async copyToManagers(copy: { outboundId: string; leadId: number | null; fromChatId: number; messageId: number; caption?: string }): Promise<{ delivered: boolean }> {
      if (managersChatId === undefined) {
        logger.warn({ outboundId: copy.outboundId, leadId: copy.leadId }, 'MANAGERS_CHAT_ID is not set; the lead\'s message was not copied');
        return { delivered: false };
      }
      const result = await sendClaimed({ ...copy, chatId: managersChatId, toStaff: true }, copy.outboundId, { text: copy.caption ?? '', payload: { copiedFrom: { chatId: copy.fromChatId, messageId: copy.messageId } } }, 'copyMessage', () =>
        api.copyMessage(managersChatId, copy.fromChatId, copy.messageId, copy.caption === undefined ? {} : { caption: copy.caption }),
      );
      return { delivered: result.status === 'sent' };
    },

    /** Replaces a message's buttons (a lead card that was taken or closed); a message Telegram refuses to edit is left as it is. */
    async editButtons(request: { chatId: number; messageId: number; buttons: OutboundButton[][] }): Promise<void> {
      try {
        await api.editMessageReplyMarkup(request.chatId, request.messageId, { reply_markup: inlineKeyboard(request.buttons) });
      } catch (error) {
        const outcome = classifyTelegramError(error, 'editMessageReplyMarkup');
        if (outcome.kind === 'retry') throw outcome.failure;
        logger.warn({ chatId: request.chatId, messageId: request.messageId, reason: outcome.kind === 'unknown' ? outcome.reason : outcome.failure.message }, 'buttons not changed');
      }
    },

    /**
     * Posts a notice about a lead to the managers' chat, logged under the lead like any outbound
     * message (so a retry never posts it twice). Without MANAGERS_CHAT_ID it only logs.
     */
    async notifyManagers(notice: {
      outboundId: string;
      leadId: number | null;
      text: string;
      buttons?: OutboundButton[][];
    }): Promise<{ delivered: boolean; chatId?: number; messageId?: number }> {
      if (managersChatId === undefined) {
        logger.warn({ outboundId: notice.outboundId, leadId: notice.leadId }, 'MANAGERS_CHAT_ID is not set; managers notice not sent');
        return { delivered: false };
      }
      const result = await sendParts({ outboundId: notice.outboundId, leadId: notice.leadId, chatId: managersChatId, content: { type: 'text', text: notice.text, buttons: notice.buttons } });
      // The last part carries the buttons: a reply to it is a reply to the notice.
      return { delivered: result.status === 'sent', chatId: managersChatId, messageId: result.telegramMessageIds.at(-1) };
    },
  };
}

export type TelegramActivities = ReturnType<typeof createTelegramActivities>;

function splitContent(content: OutboundContent): OutboundContent[] {
  if (content.type !== 'text') return [content];
  const texts = splitText(content.text);
  if (texts.length === 1) return [content];
  // Buttons (and keyboard changes) belong under the last part, where the lead finishes reading.
  // Formatting offsets count from the whole text: split parts go out plain rather than misformatted.
  const { entities: _whole, ...plain } = content;
  return texts.map((text, index) => (index === texts.length - 1 ? { ...plain, text } : { type: 'text', text }));
}

/** Our plain entity records as grammY types them (the same JSON). */
function entities(list: TextEntity[] | undefined): MessageEntity[] | undefined {
  return list?.length ? (list as MessageEntity[]) : undefined;
}

/** The message's keyboard: a contact request or keyboard removal, else its inline buttons. */
function keyboard(content: OutboundContent): InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | undefined {
  if (content.contactRequest) {
    return { keyboard: [[{ text: content.contactRequest, request_contact: true }]], one_time_keyboard: true, resize_keyboard: true };
  }
  // Telegram takes one markup per message: inline buttons win over removing the reply keyboard,
  // which is one-time and hides itself once used.
  if (content.buttons?.length) return inlineKeyboard(content.buttons);
  if (content.removeKeyboard) return { remove_keyboard: true };
  return undefined;
}

function inlineKeyboard(buttons: OutboundButton[][] | undefined): InlineKeyboardMarkup | undefined {
  if (!buttons?.length) return undefined;
  return {
    inline_keyboard: buttons.map((row) =>
      row.map((button): InlineKeyboardButton => ('url' in button ? { text: button.text, url: button.url } : { text: button.text, callback_data: button.data })),
    ),
  };
}

/** The Bot API method a content goes out with, as logged. */
function sendMethod(content: OutboundContent): string {
  return content.type === 'text' ? 'sendMessage' : `send${content.type[0].toUpperCase()}${content.type.slice(1)}`;
}

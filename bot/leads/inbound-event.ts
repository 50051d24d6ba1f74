import { z } from 'zod';
import type { InboundEvent, TelegramPerson } from '../../domain/inbound-event';

const person = z.object({
  id: z.number().int().positive(),
  is_bot: z.boolean(),
  first_name: z.string(),
  last_name: z.string().optional(),
  username: z.string().optional(),
  language_code: z.string().optional(),
});

const privateChat = z.object({ id: z.number().int(), type: z.literal('private') });

const message = z.looseObject({
  message_id: z.number().int(),
  date: z.number().int(),
  chat: privateChat,
  from: person,
  text: z.string().optional(),
  entities: z.array(z.object({ type: z.string(), offset: z.number(), length: z.number() })).optional(),
});

const callbackQuery = z.object({
  id: z.string().min(1),
  from: person,
  data: z.string().optional(),
  message: z.object({ message_id: z.number().int(), chat: privateChat, date: z.number().int() }).loose().optional(),
});

const playable = z.looseObject({ file_id: z.string().min(1), duration: z.number().int().nonnegative(), file_size: z.number().int().optional() });
const photoSizes = z.array(z.looseObject({ file_id: z.string().min(1), file_size: z.number().int().optional() })).min(1);
const document = z.looseObject({ file_id: z.string().min(1), file_name: z.string().optional() });

const sharedContact = z.object({ phone_number: z.string().min(3).max(32), user_id: z.number().int().optional() });

const update = z.object({ update_id: z.number().int().nonnegative() }).loose();

/** Kinds of non-text messages a lead may send; the first one present names the message. */
const MESSAGE_TYPES = ['photo', 'video', 'document', 'audio', 'voice', 'video_note', 'sticker', 'animation', 'contact', 'location', 'venue', 'poll', 'dice'] as const;

export type ParsedUpdate = { ok: true; event: InboundEvent } | { ok: false; reason: string };

/**
 * Turns a raw Telegram update from a lead's private chat into an inbound event, or says why not.
 * Group chats, bots and channel posts are not leads and are refused here.
 */
export function parseLeadUpdate(raw: unknown): ParsedUpdate {
  const base = update.safeParse(raw);
  if (!base.success) return { ok: false, reason: 'not a Telegram update (no update_id)' };
  const updateId = base.data.update_id;
  const body = base.data as Record<string, unknown>;

  if (body.callback_query !== undefined) {
    const parsed = callbackQuery.safeParse(body.callback_query);
    if (!parsed.success) return { ok: false, reason: `callback_query: ${firstIssue(parsed.error)}` };
    const query = parsed.data;
    if (query.from.is_bot) return { ok: false, reason: 'callback from a bot' };
    return {
      ok: true,
      event: {
        kind: 'button',
        updateId,
        // A callback query carries no date of its own (message.date is when the button was sent).
        sentAt: new Date().toISOString(),
        from: toPerson(query.from),
        chatId: query.message?.chat.id ?? query.from.id,
        data: query.data ?? '',
        callbackQueryId: query.id,
        messageId: query.message?.message_id,
      },
    };
  }

  if (body.message !== undefined) {
    const parsed = message.safeParse(body.message);
    if (!parsed.success) return { ok: false, reason: `message: ${firstIssue(parsed.error)}` };
    const msg = parsed.data;
    if (msg.from.is_bot) return { ok: false, reason: 'message from a bot' };
    const common = {
      updateId,
      sentAt: new Date(msg.date * 1000).toISOString(),
      from: toPerson(msg.from),
      chatId: msg.chat.id,
      messageId: msg.message_id,
    };
    if (msg.text !== undefined) {
      const command = readCommand(msg.text, msg.entities);
      if (command) return { ok: true, event: { kind: 'command', ...common, ...command, text: msg.text } };
      return { ok: true, event: { kind: 'text', ...common, text: msg.text } };
    }
    const media = readMedia(msg as Record<string, unknown>);
    if (media) return { ok: true, event: { ...common, ...media } };
    const messageType = MESSAGE_TYPES.find((type) => (msg as Record<string, unknown>)[type] !== undefined) ?? 'unsupported';
    const contact = sharedContact.safeParse(msg.contact);
    return {
      ok: true,
      event: {
        kind: 'other',
        ...common,
        messageType,
        ...(contact.success ? { contact: { phoneNumber: contact.data.phone_number, userId: contact.data.user_id } } : {}),
      },
    };
  }

  const kind = Object.keys(body).find((key) => key !== 'update_id') ?? 'empty';
  return { ok: false, reason: `update kind "${kind}" is not a lead message` };
}

/** A voice note, a video note, a photo or a document: kept by file id (the largest photo size). */
function readMedia(msg: Record<string, unknown>) {
  const caption = typeof msg.caption === 'string' && msg.caption.trim() ? msg.caption : undefined;
  for (const messageType of ['voice', 'video_note'] as const) {
    const note = playable.safeParse(msg[messageType]);
    if (note.success) return { kind: 'voice' as const, messageType, fileId: note.data.file_id, durationSeconds: note.data.duration, fileSize: note.data.file_size };
  }
  const photo = photoSizes.safeParse(msg.photo);
  if (photo.success) return { kind: 'media' as const, messageType: 'photo' as const, fileId: photo.data[photo.data.length - 1].file_id, caption };
  const file = document.safeParse(msg.document);
  if (file.success) return { kind: 'media' as const, messageType: 'document' as const, fileId: file.data.file_id, fileName: file.data.file_name, caption };
  return null;
}

/** `/start@SchoolBot abc` → { command: 'start', payload: 'abc' }; only a command at the very start counts. */
function readCommand(text: string, entities: { type: string; offset: number; length: number }[] | undefined) {
  const entity = entities?.find((e) => e.type === 'bot_command' && e.offset === 0);
  if (!entity) return null;
  const name = text.slice(1, entity.length).split('@')[0].toLowerCase();
  const payload = text.slice(entity.length).trim();
  return { command: name, payload: payload || undefined };
}

function toPerson(from: z.infer<typeof person>): TelegramPerson {
  return {
    id: from.id,
    firstName: from.first_name,
    lastName: from.last_name,
    username: from.username,
    languageCode: from.language_code,
  };
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'value'}: ${issue.message}` : 'invalid';
}

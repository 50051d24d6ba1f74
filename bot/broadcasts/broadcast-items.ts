import type { Message, MessageEntity } from 'grammy/types';
import { campaignItemSchema, textEntitySchema, type CampaignItem, type TextEntity } from '../../domain/broadcasts/campaign';
import { TELEGRAM_TEXT_LIMIT } from '../../domain/split-text';
import { BROADCAST_TEXTS as T } from './broadcast-texts';

/** Telegram's caption limit (premium users may send longer ones, which leads would never get). */
const CAPTION_LIMIT = 1024;

/**
 * A broadcast item from the editor's message, or what is wrong with it (in words for the editor).
 * The text is kept as sent, formatting included (Telegram's entities, sent back as they came); a
 * photo keeps its largest size, a media item its caption.
 */
export function itemOf(message: Message): CampaignItem | string {
  const caption = message.caption;
  if (message.text !== undefined) {
    if (message.text.length > TELEGRAM_TEXT_LIMIT) return T.tooLong(message.text.length, TELEGRAM_TEXT_LIMIT, 'Текст');
    return checked({ kind: 'text', text: message.text, ...optional('entities', entitiesOf(message.entities)) });
  }
  if (caption && caption.length > CAPTION_LIMIT) return T.tooLong(caption.length, CAPTION_LIMIT, 'Подпись');
  const withCaption = caption ? { caption, ...optional('captionEntities', entitiesOf(message.caption_entities)) } : {};
  if (message.sticker) return T.sticker;
  if (message.animation) return T.animation; // before document: a GIF arrives as both
  if (message.photo?.length) return checked({ kind: 'photo', file: message.photo.at(-1)!.file_id, ...withCaption });
  if (message.video) return checked({ kind: 'video', file: message.video.file_id, ...withCaption });
  if (message.document) return checked({ kind: 'document', file: message.document.file_id, ...withCaption });
  if (message.audio) return checked({ kind: 'audio', file: message.audio.file_id, ...withCaption });
  if (message.voice) return checked({ kind: 'voice', file: message.voice.file_id, ...withCaption });
  return T.unsupported;
}

/** Some of the message's formatting cannot be sent by a bot (a mention of a user without a username, premium emoji). */
export function losesFormatting(message: Message): boolean {
  const all = [...(message.entities ?? []), ...(message.caption_entities ?? [])];
  return all.length !== (entitiesOf(message.entities)?.length ?? 0) + (entitiesOf(message.caption_entities)?.length ?? 0);
}

/** What the editor sent, for the audit record. */
export function messageKind(message: Message): string {
  if (message.text !== undefined) return 'text';
  return (['photo', 'video', 'document', 'audio', 'voice', 'sticker', 'animation'] as const).find((k) => message[k] !== undefined) ?? 'other';
}

/** Formatting as the campaign keeps it: the entities a bot may send, as plain records. */
function entitiesOf(list: MessageEntity[] | undefined): TextEntity[] | undefined {
  const kept = (list ?? [])
    .map((e) => textEntitySchema.safeParse({ type: e.type, offset: e.offset, length: e.length, ...('url' in e ? { url: e.url } : {}), ...('language' in e && e.language ? { language: e.language } : {}) }))
    .flatMap((parsed) => (parsed.success ? [parsed.data] : []));
  return kept.length ? kept : undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** Whitespace only is all the schema can still refuse here: the limits were checked above. */
function checked(item: CampaignItem): CampaignItem | string {
  const parsed = campaignItemSchema.safeParse(item);
  return parsed.success ? parsed.data : T.empty;
}

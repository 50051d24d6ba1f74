import { GrammyError, type Api } from 'grammy';
import type { InlineKeyboardMarkup, MessageEntity } from 'grammy/types';
import type { CampaignContent } from '../../domain/broadcasts/campaign';
import { campaignMessages } from '../../domain/broadcasts/campaign-message';
import { telegramFileId } from '../../domain/content';
import type { OutboundButton, OutboundContent } from '../../domain/conversation';
import { BROADCAST_TEXTS } from './broadcast-texts';

/**
 * The broadcast's messages sent to the editor exactly as the sender builds them for a lead, buttons
 * included. Delivery id 0 and no public address: URL buttons open their address directly and action
 * buttons carry `cmp:0.<n>`, which the click handler refuses (no delivery 0), so a preview is never
 * counted as a click.
 */
export async function sendContentPreview(api: Api, chatId: number, content: CampaignContent): Promise<{ ok: true } | { ok: false; problem: string }> {
  const messages = campaignMessages(content, { deliveryId: 0, secret: 'preview' });
  for (const [index, message] of messages.entries()) {
    try {
      await sendOutbound(api, chatId, message);
    } catch (error) {
      // A file id or URL Telegram refuses now would fail for every lead too: say which item.
      if (error instanceof GrammyError) return { ok: false, problem: BROADCAST_TEXTS.previewFailed(index + 1, error.description) };
      throw error;
    }
  }
  return { ok: true };
}

function sendOutbound(api: Api, chatId: number, content: OutboundContent) {
  const options = { reply_markup: inlineKeyboard(content.buttons) };
  if (content.type === 'text') return api.sendMessage(chatId, content.text, { ...options, entities: content.entities as MessageEntity[] | undefined });
  const media = { ...options, caption: content.caption, caption_entities: content.captionEntities as MessageEntity[] | undefined };
  if (content.type === 'document') return api.sendDocument(chatId, telegramFileId(content.document) ?? content.document, media);
  const file = telegramFileId(content.file) ?? content.file;
  if (content.type === 'photo') return api.sendPhoto(chatId, file, media);
  if (content.type === 'video') return api.sendVideo(chatId, file, media);
  if (content.type === 'audio') return api.sendAudio(chatId, file, media);
  return api.sendVoice(chatId, file, media);
}

function inlineKeyboard(buttons: OutboundButton[][] | undefined): InlineKeyboardMarkup | undefined {
  if (!buttons?.length) return undefined;
  return { inline_keyboard: buttons.map((row) => row.map((b) => ('url' in b ? { text: b.text, url: b.url } : { text: b.text, callback_data: b.data }))) };
}

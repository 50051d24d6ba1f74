import type { InboundEvent } from '../../domain/inbound-event';
import { parseLeadUpdate } from '../../bot/leads/inbound-event';

let nextUpdateId = Math.floor(Math.random() * 1_000_000) * 100;
let nextMessageId = 1;

export interface TestUser {
  id: number;
  first_name: string;
  username?: string;
  language_code?: string;
}

/** Raw Telegram updates as the Bot API sends them, turned into events by the bot's own parser. */
export function textUpdate(user: TestUser, text: string, updateId = ++nextUpdateId) {
  const command = text.match(/^\/\S+/);
  return {
    update_id: updateId,
    message: {
      message_id: nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: { id: user.id, type: 'private', first_name: user.first_name },
      from: { is_bot: false, ...user },
      text,
      ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
    },
  };
}

export function buttonUpdate(user: TestUser, data: string, updateId = ++nextUpdateId, messageId = 1) {
  return {
    update_id: updateId,
    callback_query: {
      id: `cq-${updateId}`,
      from: { is_bot: false, ...user },
      chat_instance: '1',
      data,
      message: { message_id: messageId, date: Math.floor(Date.now() / 1000), chat: { id: user.id, type: 'private' } },
    },
  };
}

export function toEvent(update: unknown): InboundEvent {
  const parsed = parseLeadUpdate(update);
  if (!parsed.ok) throw new Error(`test update refused: ${parsed.reason}`);
  return parsed.event;
}

export const text = (user: TestUser, body: string, updateId?: number) => toEvent(textUpdate(user, body, updateId));
export const press = (user: TestUser, data: string, updateId?: number, messageId?: number) => toEvent(buttonUpdate(user, data, updateId, messageId));

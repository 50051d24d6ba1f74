import { Composer } from 'grammy';
import type { Logger } from 'pino';
import type { Db } from '../db/knex';
import { recordEvent } from '../db/events';
import type { BotContext } from './context';

export interface WhoamiDeps {
  db: Db;
  logger: Pick<Logger, 'info'>;
}

/**
 * /whoami, for anyone in any chat: their user id and the chat's id. It is how an owner finds the
 * values of ADMIN_TELEGRAM_IDS (their own id, in a private chat) and MANAGERS_CHAT_ID (the group's
 * id, asked in the group). Recorded as an event with no lead; never handed to the lead flow, so
 * asking it starts no conversation and counts as no lead's message.
 */
export function whoami(deps: WhoamiDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command('whoami', async (ctx) => {
    const userId = ctx.from?.id;
    const chatId = ctx.chat.id;
    await recordEvent(deps.db, { leadId: null, type: 'whoami', payload: { userId, chatId, chatType: ctx.chat.type } });
    deps.logger.info({ userId, chatId, chatType: ctx.chat.type }, '/whoami answered');
    await ctx.reply(whoamiText(ctx.from?.language_code, userId, chatId, ctx.chat.type));
  });
  return composer;
}

/** The answer, in Russian unless the person's Telegram speaks another language. */
export function whoamiText(language: string | undefined, userId: number | undefined, chatId: number, chatType: string): string {
  const isPrivate = chatType === 'private';
  if (language === undefined || language.startsWith('ru')) {
    return [
      `Ваш user id: ${userId ?? 'неизвестен (анонимный администратор)'}`,
      `Id этого чата: ${chatId}`,
      isPrivate ? 'Владелец указывает свой user id в ADMIN_TELEGRAM_IDS.' : 'Для чата менеджеров id этого чата указывают в MANAGERS_CHAT_ID.',
    ].join('\n');
  }
  return [
    `Your user id: ${userId ?? 'unknown (an anonymous admin)'}`,
    `This chat's id: ${chatId}`,
    isPrivate ? 'An owner puts their user id in ADMIN_TELEGRAM_IDS.' : "For the managers' chat, this chat's id goes in MANAGERS_CHAT_ID.",
  ].join('\n');
}

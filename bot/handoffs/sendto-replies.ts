import { Composer } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { BotContext } from '../context';

/**
 * A lead's reply to a message a manager wrote outside any dialog (/sendto, Write on the lead card)
 * reaches that manager in private, headed with who the lead is; media is copied. The reply then goes
 * on to the lead's conversation as any message does (logged, answered as usual). Installed after
 * the staff features, so only leads' messages get here.
 */
export function sendToReplies(deps: { db: Knex; logger: Logger }): Composer<BotContext> {
  const { db, logger } = deps;
  const composer = new Composer<BotContext>();

  composer.chatType('private').on('message', async (ctx, next) => {
    const repliedTo = ctx.message.reply_to_message?.message_id;
    if (repliedTo === undefined) return next();
    const original = await db('messages')
      .where({ chat_id: ctx.chat.id, telegram_message_id: repliedTo, direction: 'manager' })
      .whereRaw(`payload->>'sendto' is not null`)
      .first('lead_id', 'payload');
    const managerId = Number(original?.payload?.sendto);
    if (!original || !Number.isSafeInteger(managerId) || managerId <= 0) return next();
    const who = `${[ctx.from.first_name, ctx.from.last_name].filter(Boolean).join(' ')}${ctx.from.username ? ` @${ctx.from.username}` : ''} (#${original.lead_id})`;
    const header = `💬 Ответ лида ${who} на ваше сообщение:`;
    try {
      if (ctx.message.text !== undefined) await ctx.api.sendMessage(managerId, `${header}\n${ctx.message.text}`.slice(0, 4096));
      else await ctx.api.copyMessage(managerId, ctx.chat.id, ctx.message.message_id, { caption: `${header}\n${ctx.message.caption ?? ''}`.slice(0, 1024) });
      logger.info({ leadId: original.lead_id, managerId }, 'reply to a manager message passed on');
    } catch (error) {
      logger.warn({ leadId: original.lead_id, managerId, err: String(error) }, 'reply to a manager message not passed on');
    }
    return next();
  });

  return composer;
}

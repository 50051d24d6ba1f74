import { Composer } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { BotContext } from '../context';

/** How long a manager's one-off message keeps catching the lead's next message as an answer to it. */
export const ANSWER_WINDOW_MS = 24 * 60 * 60_000;

/**
 * A lead's answer to a message a manager wrote outside any dialog (/sendto, Write on the lead card)
 * reaches that manager in private, headed with who the lead is; media is copied. An answer is a reply
 * to that message, or the lead's next message while the manager's is still the last thing the lead
 * got (within a day). The message then goes on to the lead's conversation as any message does
 * (logged, answered as usual). Installed after the staff features, so only leads' messages get here.
 */
export function sendToReplies(deps: { db: Knex; logger: Logger; now?: () => Date }): Composer<BotContext> {
  const { db, logger } = deps;
  const composer = new Composer<BotContext>();

  composer.chatType('private').on('message', async (ctx, next) => {
    // A command (/start, /help) is no answer to anyone: no lookup on that path.
    if (ctx.message.text?.startsWith('/')) return next();
    const original = await answeredMessage(ctx.chat.id, ctx.message.reply_to_message?.message_id);
    const managerId = Number(original?.payload?.sendto);
    if (!original || !Number.isSafeInteger(managerId) || managerId <= 0) return next();
    const who = `${[ctx.from.first_name, ctx.from.last_name].filter(Boolean).join(' ')}${ctx.from.username ? ` @${ctx.from.username}` : ''} (#${original.lead_id})`;
    const header = `💬 Ответ лида ${who} на ваше сообщение:`;
    try {
      if (ctx.message.text !== undefined) await ctx.api.sendMessage(managerId, `${header}\n${ctx.message.text}`.slice(0, 4096));
      else await ctx.api.copyMessage(managerId, ctx.chat.id, ctx.message.message_id, { caption: `${header}\n${ctx.message.caption ?? ''}`.slice(0, 1024) });
      logger.info({ leadId: original.lead_id, managerId }, 'answer to a manager message passed on');
    } catch (error) {
      logger.warn({ leadId: original.lead_id, managerId, err: String(error) }, 'answer to a manager message not passed on');
    }
    return next();
  });

  /** The manager's one-off message this message answers: the one replied to, else the last one sent to the lead (a send still in flight counts) if it is recent. */
  async function answeredMessage(chatId: number, repliedTo: number | undefined): Promise<{ lead_id: number; payload: { sendto?: unknown } } | undefined> {
    if (repliedTo !== undefined) {
      const replied = await db('messages').where({ chat_id: chatId, telegram_message_id: repliedTo, direction: 'manager' }).whereRaw(`payload->>'sendto' is not null`).first('lead_id', 'payload');
      if (replied) return replied;
    }
    const last = await db('messages').where({ chat_id: chatId }).whereIn('direction', ['out', 'manager']).whereNot('status', 'failed').orderBy('id', 'desc').first('lead_id', 'payload', 'direction', 'created_at');
    const since = (deps.now ?? (() => new Date()))().getTime() - ANSWER_WINDOW_MS;
    if (last?.direction !== 'manager' || last.payload?.sendto === undefined || new Date(last.created_at).getTime() < since) return undefined;
    return last;
  }

  return composer;
}

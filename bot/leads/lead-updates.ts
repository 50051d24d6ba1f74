import { Composer } from 'grammy';
import type { Logger } from 'pino';
import type { BotContext } from '../context';
import { parseLeadUpdate } from './inbound-event';
import type { LeadConversations } from './lead-conversations';

/**
 * Everything a lead does in the private chat goes to their conversation workflow. The handler
 * is thin: answer a button press at once (so the spinner stops), validate, signal.
 */
export function leadUpdates(conversations: Pick<LeadConversations, 'deliver'>, logger: Logger): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');

  privateChats.on(['message', 'callback_query'], async (ctx) => {
    if (ctx.callbackQuery) {
      await ctx.answerCallbackQuery().catch((error: unknown) => logger.warn({ err: String(error) }, 'answerCallbackQuery failed'));
    }
    const parsed = parseLeadUpdate(ctx.update);
    if (!parsed.ok) {
      logger.warn({ updateId: ctx.update.update_id, reason: parsed.reason }, 'update refused');
      return;
    }
    await conversations.deliver(parsed.event);
  });

  return composer;
}

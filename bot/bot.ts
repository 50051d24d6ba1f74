import { Bot } from 'grammy';
import type { Logger } from 'pino';
import type { BotContext } from './context';
import { UpdateNotDeliveredError, type LeadConversations } from './lead-conversations';
import { leadUpdates } from './lead-updates';

export interface BotDeps {
  token: string;
  apiRoot: string;
  conversations: Pick<LeadConversations, 'deliver'>;
  logger: Logger;
  /**
   * Webhook mode: an update Temporal did not take fails the HTTP request, so Telegram delivers it
   * again. Long polling must not throw from bot.catch (grammY would stop polling).
   */
  failUndeliveredUpdates?: boolean;
}

/** The bot with every feature installed. Updates that no feature takes are logged and dropped. */
export function createBot({ token, apiRoot, conversations, logger, failUndeliveredUpdates = false }: BotDeps): Bot<BotContext> {
  const bot = new Bot<BotContext>(token, { client: { apiRoot } });
  bot.use(leadUpdates(conversations, logger));
  bot.on('message', (ctx) => logger.info({ updateId: ctx.update.update_id, chatType: ctx.chat.type }, 'update not for any feature'));
  bot.catch((error) => {
    logger.error({ updateId: error.ctx.update.update_id, err: String(error.error) }, 'update handling failed');
    if (failUndeliveredUpdates && error.error instanceof UpdateNotDeliveredError) throw error.error;
  });
  return bot;
}

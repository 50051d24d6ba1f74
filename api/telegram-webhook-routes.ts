import type { FastifyInstance } from 'fastify';
import { webhookCallback, type Bot } from 'grammy';
import type { BotContext } from '../bot/context';

export const TELEGRAM_WEBHOOK_PATH = '/telegram/webhook';

/**
 * Telegram's webhook. grammY's adapter refuses a request whose X-Telegram-Bot-Api-Secret-Token
 * is not ours with 401, so forged updates never reach a workflow.
 */
export async function telegramWebhookRoutes(app: FastifyInstance, options: { bot: Bot<BotContext>; secretToken: string }): Promise<void> {
  const handle = webhookCallback(options.bot, 'fastify', { secretToken: options.secretToken });
  app.post(TELEGRAM_WEBHOOK_PATH, handle);
}

import type { FastifyInstance } from 'fastify';
import { webhookCallback, type Bot } from 'grammy';
import type { BotContext } from '../bot/context';

export const TELEGRAM_WEBHOOK_PATH = '/telegram/webhook';

/** How long an update may take before Telegram is answered with an error (and delivers it again). */
export const WEBHOOK_HANDLING_TIMEOUT_MS = 10_000;

/**
 * Telegram's webhook. grammY's adapter refuses a request whose X-Telegram-Bot-Api-Secret-Token
 * is not ours with 401, so forged updates never reach a workflow.
 *
 * The time limit is ours, not grammY's: after its own timeout grammY leaves the update's later
 * failure unhandled, and Node ends the process on an unhandled rejection (the fault suite's
 * Temporal outage killed the api so: an update that Temporal could not take failed after the
 * timeout). Here a late failure is logged; Telegram already got its error and delivers again.
 */
export async function telegramWebhookRoutes(app: FastifyInstance, options: { bot: Bot<BotContext>; secretToken: string; timeoutMs?: number }): Promise<void> {
  const handle = webhookCallback(options.bot, 'fastify', { secretToken: options.secretToken, timeoutMilliseconds: Infinity });
  const timeoutMs = options.timeoutMs ?? WEBHOOK_HANDLING_TIMEOUT_MS;
  app.post(TELEGRAM_WEBHOOK_PATH, async (request, reply) => {
    const task = handle(request, reply);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`update not handled within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([task, late]);
    } catch (error) {
      task.catch((lateError: unknown) => request.log.warn({ err: String(lateError) }, 'update failed after its webhook request was answered'));
      throw error;
    } finally {
      clearTimeout(timer);
    }
  });
}

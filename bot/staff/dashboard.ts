import { Composer, InlineKeyboard } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { computeAnalytics } from '../../db/analytics';
import { openPaymentFlags } from '../../db/payment-flags';
import { formatSummary } from '../../domain/analytics-summary';
import { OPEN_FLAGS_SHOWN, openFlagsSection } from '../../domain/payments/open-flags';
import type { BotContext } from '../context';
import { checkStaffAction, type StaffAccessDeps } from '../staff-access';

export interface DashboardDeps extends StaffAccessDeps {
  db: Knex;
  logger: Logger;
  timeZone: string;
}

/** Periods offered under the summary. */
export const DASHBOARD_PERIODS = [7, 30, 90] as const;
const DEFAULT_PERIOD = 30;
const CALLBACK = /^dash:(7|30|90)$/;

const TEXTS = {
  refused: '⛔ Аналитика доступна менеджерам и выше. Попытка записана.',
  failed: '⚠️ Не удалось посчитать аналитику: база данных не ответила. Попробуйте через минуту.',
};

function periodButtons(current: number): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const days of DASHBOARD_PERIODS) keyboard.text(days === current ? `• ${days} дн. •` : `${days} дн.`, `dash:${days}`);
  return keyboard;
}

/**
 * `/dashboard` for staff (managers and above) in a private chat: the analytics summary with buttons
 * for 7 / 30 / 90 days, which redraw the same message. The role is checked on the command and on
 * every button; a lead is refused, recorded, and the command never reaches the lead flow.
 */
export function dashboard(deps: DashboardDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');

  const allowed = async (ctx: BotContext, details: Record<string, unknown>) => {
    const check = await checkStaffAction(deps, ctx, 'manager', 'dashboard', details);
    if (!check.allowed) deps.logger.warn({ actor: ctx.from?.id, reason: check.reason }, 'dashboard refused');
    return check.allowed;
  };

  const summary = async (days: number): Promise<string | undefined> => {
    try {
      const text = formatSummary(await computeAnalytics(deps.db, { days, timeZone: deps.timeZone }));
      // Payments waiting for a person, whatever the period: each flag on its own (docs/payments.md#flags).
      const open = await openPaymentFlags(deps.db, { limit: OPEN_FLAGS_SHOWN });
      const flags = openFlagsSection(open.flags, open.total, deps.timeZone);
      return flags ? `${text}\n\n${flags}`.slice(0, 4096) : text;
    } catch (error) {
      deps.logger.error({ err: error, days }, 'dashboard query failed');
      return undefined;
    }
  };

  privateChats.command('dashboard', async (ctx) => {
    if (!(await allowed(ctx, { days: DEFAULT_PERIOD }))) return void (await ctx.reply(TEXTS.refused));
    const text = await summary(DEFAULT_PERIOD);
    await ctx.reply(text ?? TEXTS.failed, text ? { reply_markup: periodButtons(DEFAULT_PERIOD) } : {});
  });

  privateChats.callbackQuery(CALLBACK, async (ctx) => {
    const days = Number(ctx.match[1]);
    if (!(await allowed(ctx, { days }))) return void (await ctx.answerCallbackQuery({ text: TEXTS.refused, show_alert: true }));
    await ctx.answerCallbackQuery();
    const text = await summary(days);
    if (!text) return void (await ctx.reply(TEXTS.failed));
    await ctx.editMessageText(text, { reply_markup: periodButtons(days) }).catch((error: unknown) => {
      // Pressing the period already shown leaves the text unchanged, which Telegram reports as an error.
      if (!String(error).includes('message is not modified')) throw error;
    });
  });

  return composer;
}

import { Composer, InlineKeyboard } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { SpamDecision } from '../domain/anti-spam';
import { recordEvent } from '../db/events';
import { findLeadByTelegramId } from '../db/leads';
import { findLeads, parseLeadQuery } from '../db/lead-search';
import { judgeEvent, liftMuteOf, recordDroppedUpdate } from '../db/spam-guard';
import { auditStaffCommand } from '../db/staff';
import type { Role } from '../domain/staff/roles';
import type { BotContext } from './context';
import { actingRole, checkStaffAction, type StaffAccessDeps } from './staff-access';

export interface AntiSpamDeps extends StaffAccessDeps {
  db: Knex;
  logger: Logger;
  /** The clock; tests move it instead of waiting. */
  now?: () => Date;
  /** The zone the lead reads the mute's end in. */
  timeZone?: string;
  /** ANTI_SPAM_WHITELIST: Telegram user ids never judged (a partner's bot tester, a school's own account). */
  whitelist?: readonly number[];
}

/** The Unmute button under a mute notice in the managers' chat. */
const UNMUTE_BUTTON = /^unmute:(\d+)$/;

const LEAD_TEXTS = {
  ru: {
    muted: (hours: number, until: string) => `⏸ Слишком много сообщений подряд. Я снова отвечу через ${hours} ч, в ${until}. Сообщения до этого времени не обрабатываются.`,
    stillMuted: (until: string) => `⏸ Пауза до ${until}.`,
  },
  en: {
    muted: (hours: number, until: string) => `⏸ Too many messages in a row. I will answer again in ${hours} h, at ${until}. Messages until then are not processed.`,
    stillMuted: (until: string) => `⏸ Paused until ${until}.`,
  },
};

const STAFF_TEXTS = {
  refused: '⛔ Снимать ограничения могут менеджеры и выше. Попытка записана.',
  usage: 'Как снять ограничение: /unmute <telegram id | @username>',
  notFound: (query: string) => `Лид «${query}» не найден.`,
  lifted: (id: number, wasMuted: boolean, level: number) =>
    `✅ ${id}: ${wasMuted ? 'ограничение снято' : 'ограничения не было'}, уровень сброшен (был ${level}).`,
  managersNotice: (who: string, hours: number, reason: string, until: string) =>
    `🔇 Антиспам заглушил лида ${who} на ${hours} ч (до ${until}), причина: ${REASONS[reason] ?? reason}. Если это не спам, снимите ограничение.`,
  unmuteButton: '🔈 Снять ограничение',
  liftedBy: (id: number) => `\n\n✅ Ограничение снято (${id}).`,
};

const REASONS: Record<string, string> = { burst: 'много сообщений за секунды', sustained: 'много сообщений за минуту', duplicates: 'одинаковые сообщения' };

/**
 * Anti-spam for leads (docs/protection.md#anti-spam), installed before every other feature: a lead who
 * floods the bot is muted progressively, told once for how long, and every update dropped meanwhile
 * is recorded with the reason. It judges private chats and every group the bot is in except the
 * managers' chat, with one budget per person across them (a command typed in a group costs what it
 * costs in private). Staff are never judged. `/unmute` lets any staff member lift a mute.
 */
export function antiSpam(deps: AntiSpamDeps): Composer<BotContext> {
  const { db, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');
  const judged = composer.filter((ctx) => ctx.chat !== undefined && ctx.chat.type !== 'channel' && ctx.chat.id !== deps.managersChatId);

  judged.on(['message', 'callback_query'], async (ctx, next) => {
    // Money is never spam: each payment costs the sender real Stars, and a dropped one would be lost.
    if (ctx.message?.successful_payment || ctx.message?.refunded_payment) return next();
    const from = ctx.from;
    if (deps.whitelist?.includes(from.id)) return next();
    if ((await actingRole(deps, from, ctx.chat?.id)).role !== null) return next();
    const decision = await judgeEvent(db, from.id, { updateId: ctx.update.update_id, text: ctx.message?.text ?? ctx.message?.caption, press: ctx.callbackQuery !== undefined }, now());
    if (decision.kind === 'pass') return next();

    const until = new Date(decision.until);
    const texts = from.language_code?.startsWith('en') ? LEAD_TEXTS.en : LEAD_TEXTS.ru;
    const untilText = formatTime(until, from.language_code, deps.timeZone);
    await recordDroppedUpdate(db, {
      telegramUserId: from.id,
      updateId: ctx.update.update_id,
      reason: decision.kind === 'mute' ? `flood:${decision.reason}` : 'muted',
      mutedUntil: until,
      update: ctx.update,
    });
    if (ctx.callbackQuery) {
      // A button press is always answered, or the lead's spinner never stops.
      await ctx.answerCallbackQuery({ text: texts.stillMuted(untilText) }).catch((error: unknown) => logger.warn({ err: String(error) }, 'answerCallbackQuery failed'));
    }
    if (decision.kind === 'mute') await announceMute(ctx, decision, texts.muted(decision.hours, untilText));
  });

  async function announceMute(ctx: BotContext, mute: Extract<SpamDecision, { kind: 'mute' }>, text: string) {
    const telegramUserId = ctx.from?.id as number;
    logger.warn({ telegramUserId, reason: mute.reason, hours: mute.hours, level: mute.level }, 'lead muted for flooding');
    const lead = await findLeadByTelegramId(db, telegramUserId);
    await recordEvent(db, {
      leadId: lead?.id ?? null,
      type: 'muted',
      payload: { telegramUserId, reason: mute.reason, hours: mute.hours, level: mute.level, until: new Date(mute.until).toISOString() },
    });
    await ctx.reply(text).catch((error: unknown) => logger.warn({ telegramUserId, err: String(error) }, 'mute notice not delivered'));
    if (deps.managersChatId === undefined) return;
    // The managers see every mute with a button to lift it (a real lead typing fast is not a spammer).
    const who = [ctx.from?.first_name, ctx.from?.username && `@${ctx.from.username}`, `id ${telegramUserId}`].filter(Boolean).join(' ');
    const notice = STAFF_TEXTS.managersNotice(who, mute.hours, mute.reason, formatTime(new Date(mute.until), 'ru', deps.timeZone));
    await ctx.api
      .sendMessage(deps.managersChatId, notice, { reply_markup: new InlineKeyboard().text(STAFF_TEXTS.unmuteButton, `unmute:${telegramUserId}`) })
      .catch((error: unknown) => logger.warn({ telegramUserId, err: String(error) }, 'mute notice to managers not delivered'));
  }

  /** Lifts a mute for a checked staff member; recorded in staff_audit with what it was. */
  async function lift(actor: number, actorRole: Role, target: number, details: Record<string, unknown>) {
    const before = await liftMuteOf(db, target);
    const wasMuted = before.mutedUntil !== null && before.mutedUntil > now().getTime();
    await auditStaffCommand(db, { actor, actorRole, command: 'unmute', details: { ...details, target, before: { level: before.level, mutedUntil: before.mutedUntil && new Date(before.mutedUntil).toISOString() } }, allowed: true });
    logger.info({ actor, target, wasMuted }, 'mute lifted');
    return { wasMuted, level: before.level };
  }

  // The button under a managers' chat notice: the role is checked on the server at the press, and recorded.
  composer.callbackQuery(UNMUTE_BUTTON, async (ctx) => {
    const target = Number(ctx.match[1]);
    const check = await checkStaffAction(deps, ctx, 'manager', 'unmute', { target, via: 'button' }, { recordAllowed: false });
    if (!check.allowed) {
      logger.warn({ actor: ctx.from.id, reason: check.reason }, 'unmute refused');
      return void (await ctx.answerCallbackQuery({ text: STAFF_TEXTS.refused }).catch(() => undefined));
    }
    const { wasMuted, level } = await lift(ctx.from.id, check.role, target, { via: 'button' });
    await ctx.answerCallbackQuery({ text: STAFF_TEXTS.lifted(target, wasMuted, level) }).catch(() => undefined);
    const message = ctx.callbackQuery.message;
    if (message && 'text' in message && message.text) {
      await ctx.editMessageText(message.text + STAFF_TEXTS.liftedBy(ctx.from.id)).catch((error: unknown) => logger.warn({ err: String(error) }, 'mute notice not updated'));
    }
  });

  privateChats.command('unmute', async (ctx) => {
    const actor = ctx.from.id;
    const query = ctx.match.trim();
    const check = await checkStaffAction(deps, ctx, 'manager', 'unmute', { query }, { recordAllowed: false });
    if (!check.allowed) {
      logger.warn({ actor, reason: check.reason }, 'unmute refused');
      return void (await ctx.reply(STAFF_TEXTS.refused));
    }
    const audit = (allowed: boolean, reason?: string, details: Record<string, unknown> = {}) =>
      auditStaffCommand(db, { actor, actorRole: check.role, command: 'unmute', details: { query, ...details }, allowed, reason });
    const parsed = parseLeadQuery(query);
    if (!parsed || parsed.by === 'phone') {
      await audit(false, 'bad arguments');
      return void (await ctx.reply(STAFF_TEXTS.usage));
    }
    // An id needs no lead row: a lead may flood before their conversation has stored them.
    const target = parsed.by === 'id' ? parsed.telegramUserId : Number((await findLeads(db, parsed))[0]?.telegram_user_id ?? 0);
    if (!target) {
      await audit(false, 'not found');
      return void (await ctx.reply(STAFF_TEXTS.notFound(query)));
    }
    const { wasMuted, level } = await lift(actor, check.role, target, { query });
    await ctx.reply(STAFF_TEXTS.lifted(target, wasMuted, level));
  });

  return composer;
}

function formatTime(at: Date, languageCode: string | undefined, timeZone = 'Europe/Moscow'): string {
  const locale = languageCode?.startsWith('en') ? 'en-GB' : 'ru-RU';
  return new Intl.DateTimeFormat(locale, { timeZone, day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(at);
}

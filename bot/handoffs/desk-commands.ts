import { Composer } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { encodeButton } from '../../domain/callback-data';
import { HANDOFF_SCOPE, triggerName } from '../../domain/handoff';
import { ageText, leadDeskButton } from '../../domain/lead-desk';
import { dialogsHeldBy, lastKnownManagerName, waitingHandoffs } from '../../db/desk';
import { heldBy } from '../../db/handoffs';
import { auditStaffCommand } from '../../db/staff';
import type { BotContext } from '../context';
import { checkStaffAction, refusalText, type StaffAccessDeps } from '../staff-access';
import { staffName, type Handoffs } from './handoffs';

export interface DeskCommandsDeps extends StaffAccessDeps {
  db: Knex;
  handoffs: Handoffs;
  logger: Logger;
  now?: () => Date;
}

const SPEAKER: Record<string, string> = { in: '👤', out: '🤖', manager: '🧑‍💼' };

export const DESK_TEXTS = {
  refused: '⛔ Эта команда — для менеджеров. Попытка записана.',
  queueEmpty: '📥 Очередь пуста: никто не ждёт менеджера.',
  queueHead: (n: number) => `📥 Ждут менеджера: ${n}`,
  myEmpty: 'У вас нет открытых диалогов. Очередь: /queue',
  myHead: (n: number) => `🗂 Ваши диалоги: ${n}`,
  passUsage: 'Как передать диалог: /pass <номер лида> <telegram id менеджера>',
  passed: (leadId: number, to: string) => `➡️ Диалог с лидом #${leadId} передан: ${to}.`,
  notPassed: (why: string) => `Не передано: ${why}.`,
  notHeld: (leadId: string) => `Вы не ведёте лида #${leadId}.`,
  failed: 'Не получилось: сервис недоступен, попробуйте через минуту.',
};

/** Telegram's limit on one message, with room for the buttons' own weight. */
const CLIP = 120;

/**
 * The manager's desk as commands (docs/manager-handoff.md): `/queue` (waiting handoffs, highest
 * priority and oldest first, each with its Take button), `/my` (the caller's open dialogs with the
 * last message and its age, each with Open and Return to queue), `/pass` (the holder hands a dialog to
 * another manager; the handoff workflow checks that they are staff). Roles are checked on every command.
 */
export function deskCommands(deps: DeskCommandsDeps): Composer<BotContext> {
  const { db, handoffs, logger } = deps;
  const now = () => (deps.now ?? (() => new Date()))().getTime();
  const composer = new Composer<BotContext>();

  composer.command(['queue', 'my', 'pass'], async (ctx) => {
    if (!ctx.from || !ctx.msg) return;
    const command = ctx.msg.text?.split(/[\s@]/)[0].slice(1).toLowerCase() ?? 'queue';
    const check = await checkStaffAction(deps, ctx, 'manager', command, {}, { recordAllowed: command !== 'pass' });
    if (!check.allowed) return void (await ctx.reply(refusalText(deps, 'manager', DESK_TEXTS.refused)));
    if (command === 'queue') return queue(ctx);
    if (command === 'my') return mine(ctx, ctx.from.id);
    const [lead = '', target = ''] = ctx.match.trim().split(/\s+/);
    const audit = (allowed: boolean, reason?: string, details: Record<string, unknown> = {}) =>
      auditStaffCommand(db, { actor: ctx.from?.id ?? 0, actorRole: check.role, command, details, allowed, reason });
    if (!/^#?\d{1,15}$/.test(lead) || !/^\d{5,15}$/.test(target)) {
      await audit(false, 'usage');
      return void (await ctx.reply(DESK_TEXTS.passUsage));
    }
    const leadId = lead.replace('#', '');
    const held = (await heldBy(db, ctx.from.id)).find((h) => String(h.lead_id) === leadId);
    if (!held) {
      await audit(false, 'lead not held', { lead: leadId });
      return void (await ctx.reply(DESK_TEXTS.notHeld(leadId)));
    }
    const to = { managerId: Number(target), managerName: await managerName(ctx, Number(target)) };
    const result = await handoffs.pass(held.workflow_id, { fromManagerId: ctx.from.id, to }).catch((error: unknown) => {
      logger.error({ workflowId: held.workflow_id, err: String(error) }, 'pass not delivered');
      return { passed: false as const, why: 'сервис недоступен' };
    });
    await audit(result.passed, result.passed ? undefined : result.why, { lead: held.lead_id, to: to.managerId });
    await ctx.reply(result.passed ? DESK_TEXTS.passed(held.lead_id, to.managerName) : DESK_TEXTS.notPassed(result.why));
  });

  /** How the managers know the new holder: from Telegram (their private chat with the bot), else from an earlier take. */
  async function managerName(ctx: BotContext, telegramUserId: number): Promise<string> {
    const chat = await ctx.api.getChat(telegramUserId).catch(() => undefined);
    if (chat?.type === 'private') return staffName({ first_name: chat.first_name, last_name: chat.last_name, username: chat.username });
    return (await lastKnownManagerName(db, telegramUserId)) ?? `id ${telegramUserId}`;
  }

  async function queue(ctx: BotContext): Promise<void> {
    const waiting = await waitingHandoffs(db);
    if (waiting.length === 0) return void (await ctx.reply(DESK_TEXTS.queueEmpty));
    const lines = waiting.map((h, i) => `${i + 1}. ${h.who} — приоритет ${h.priority}, ${triggerName(h.trigger)}, ждёт ${ageText(h.createdAt.getTime(), now())}`);
    // The Take buttons are the handoff cards' own (handoff-desk.ts decides who gets the lead).
    const buttons = waiting.map((h) => [{ text: `🙋 Взять #${h.leadId}`, callback_data: encodeButton(HANDOFF_SCOPE, `${h.workflowId.slice('handoff-'.length)}.take`) }]);
    await ctx.reply([DESK_TEXTS.queueHead(waiting.length), ...lines].join('\n'), { reply_markup: { inline_keyboard: buttons } });
  }

  async function mine(ctx: BotContext, managerId: number): Promise<void> {
    const dialogs = await dialogsHeldBy(db, managerId);
    if (dialogs.length === 0) return void (await ctx.reply(DESK_TEXTS.myEmpty));
    const lines = dialogs.map((d) => {
      const last = d.last ? `${SPEAKER[d.last.direction] ?? '•'} ${clip(d.last.text)} (${ageText(d.last.at.getTime(), now())} назад)` : '(сообщений нет)';
      return `• ${d.who}${d.takenAt ? `, у вас ${ageText(d.takenAt.getTime(), now())}` : ''}\n  ${last}`;
    });
    const button = (text: string, leadId: number, action: 'open' | 'back') => {
      const { data } = leadDeskButton(text, leadId, action);
      return { text, callback_data: data };
    };
    const buttons = dialogs.map((d) => [button(`💬 #${d.leadId}`, d.leadId, 'open'), button(`↩️ В очередь #${d.leadId}`, d.leadId, 'back')]);
    await ctx.reply([DESK_TEXTS.myHead(dialogs.length), ...lines].join('\n').slice(0, 4000), { reply_markup: { inline_keyboard: buttons } });
  }

  return composer;
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= CLIP ? flat : `${flat.slice(0, CLIP - 1)}…`;
}

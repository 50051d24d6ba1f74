import { Composer } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { encodeButton } from '../../domain/callback-data';
import { HANDOFF_SCOPE, triggerName } from '../../domain/handoff';
import { ageText, leadDeskButton } from '../../domain/lead-desk';
import { dialogsHeldBy, waitingHandoffs } from '../../db/desk';
import { auditStaffCommand } from '../../db/staff';
import type { BotContext } from '../context';
import { checkStaffAction, refusalText, type StaffAccessDeps } from '../staff-access';
import { passHeldDialog } from './dialog-pass';
import type { Handoffs } from './handoffs';

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
 * last message and its age, each with Open, Return to queue and Pass), `/pass` (the holder hands a dialog
 * to another manager; the handoff workflow checks that they are staff). Roles are checked on every command.
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
    const leadId = Number(lead.replace('#', ''));
    const outcome = await passHeldDialog(deps, ctx.api, ctx.from.id, leadId, Number(target));
    if (outcome.kind === 'not_held') {
      await audit(false, 'lead not held', { lead: String(leadId) });
      return void (await ctx.reply(DESK_TEXTS.notHeld(String(leadId))));
    }
    await audit(outcome.kind === 'passed', outcome.kind === 'refused' ? outcome.why : undefined, { lead: leadId, to: Number(target) });
    await ctx.reply(outcome.kind === 'passed' ? DESK_TEXTS.passed(leadId, outcome.toName) : DESK_TEXTS.notPassed(outcome.why));
  });

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
    const button = (text: string, leadId: number, action: 'open' | 'back' | 'pass') => {
      const { data } = leadDeskButton(text, leadId, action);
      return { text, callback_data: data };
    };
    const buttons = dialogs.map((d) => [button(`💬 #${d.leadId}`, d.leadId, 'open'), button(`↩️ В очередь #${d.leadId}`, d.leadId, 'back'), button(`➡️ Передать #${d.leadId}`, d.leadId, 'pass')]);
    await ctx.reply([DESK_TEXTS.myHead(dialogs.length), ...lines].join('\n').slice(0, 4000), { reply_markup: { inline_keyboard: buttons } });
  }

  return composer;
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= CLIP ? flat : `${flat.slice(0, CLIP - 1)}…`;
}

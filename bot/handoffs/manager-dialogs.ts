import { Composer } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { parseClose } from '../../domain/handoff';
import { heldBy, leadOfStaffMessage, type HandoffRow } from '../../db/handoffs';
import { auditStaffCommand } from '../../db/staff';
import type { BotContext } from '../context';
import type { Handoffs } from './handoffs';
import { checkStaffAction, refusalText, type StaffAccessDeps } from '../staff-access';

export interface ManagerDialogDeps extends StaffAccessDeps {
  db: Knex;
  handoffs: Handoffs;
  logger: Logger;
}

/** What someone without a manager role reads. */
const REFUSED = '⛔ Эта команда — для менеджеров. Попытка записана.';

const TEXTS = {
  usageReply: 'Как ответить лиду: /r <номер лида> текст (или ответьте на его сообщение).',
  usageClose: 'Как закрыть: /close <номер лида> done|paid|cancelled причина',
  notHeld: (leadId: string) => `Вы не ведёте лида #${leadId}.`,
  whichLead: (held: { lead_id: number; who: string }[]) =>
    ['У вас несколько лидов — ответьте на сообщение нужного лида или напишите /r <номер> текст:', ...held.map((h) => `• #${h.lead_id} ${h.who}`)].join('\n'),
  closed: (leadId: number) => `🔒 Диалог с лидом #${leadId} закрыт.`,
  notClosed: (why: string) => `Не закрыто: ${why}.`,
  notDelivered: 'Не получилось передать: сервис недоступен, попробуйте через минуту.',
};

/**
 * A manager's private chat with the bot while holding leads: a reply to a relayed message goes to
 * that lead, `/r <lead> text` to the named one, a plain message to the only lead held; `/close`
 * ends a dialog with an outcome and a reason. Holding a lead grants nothing: every command and
 * every relayed message needs a current manager role (see staff-access.ts), so a person whose role
 * was taken away is refused, and `/r` and `/close` also work in the managers' chat, the only place
 * where staff act while no owners are configured. Someone who holds no lead talks to the bot as anyone.
 */
export function managerDialogs(deps: ManagerDialogDeps): Composer<BotContext> {
  const { db, handoffs, logger } = deps;
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');

  composer.command(['r', 'close'], async (ctx) => {
    if (!ctx.from || !ctx.chat || !ctx.msg) return;
    const actor = ctx.from.id;
    const command = ctx.msg.text?.split(/[\s@]/)[0].slice(1).toLowerCase() ?? 'r';
    const check = await checkStaffAction(deps, ctx, 'manager', command, {}, { recordAllowed: false });
    if (!check.allowed) {
      logger.warn({ actor, command, reason: check.reason }, 'manager command refused');
      await ctx.reply(refusalText(deps, 'manager', REFUSED));
      return;
    }
    const held = await heldBy(db, actor);
    const audit = (allowed: boolean, reason?: string, details: Record<string, unknown> = {}) =>
      auditStaffCommand(db, { actor, actorRole: check.role, command, details, allowed, reason });
    const [first = '', ...rest] = ctx.match.trim().split(/\s+/);
    const named = /^#?\d+$/.test(first) ? first.replace('#', '') : null;
    const target = named ? held.find((h) => String(h.lead_id) === named) : held.length === 1 ? held[0] : undefined;
    const args = named ? rest.join(' ') : ctx.match.trim();
    if (!target) {
      await audit(false, 'lead not held', { lead: named });
      await ctx.reply(named ? TEXTS.notHeld(named) : command === 'r' ? TEXTS.usageReply : TEXTS.usageClose);
      return;
    }
    if (command === 'r') {
      if (!args.trim()) return void (await ctx.reply(TEXTS.usageReply));
      await relay(actor, ctx.chat.id, ctx.msg.message_id, target, args.trim(), false, ctx.reply.bind(ctx));
      await audit(true, undefined, { lead: target.lead_id });
      return;
    }
    const close = parseClose(args);
    if ('error' in close) {
      await audit(false, close.error, { lead: target.lead_id });
      await ctx.reply(`${TEXTS.notClosed(close.error)}\n${TEXTS.usageClose}`);
      return;
    }
    const result = await handoffs.close(target.workflow_id, { managerId: actor, ...close }).catch((error: unknown) => {
      logger.error({ workflowId: target.workflow_id, err: String(error) }, 'close not delivered');
      return { closed: false as const, why: 'сервис недоступен' };
    });
    await audit(result.closed, result.closed ? undefined : result.why, { lead: target.lead_id, outcome: close.outcome });
    await ctx.reply(result.closed ? TEXTS.closed(target.lead_id) : TEXTS.notClosed(result.why));
  });

  privateChats.on('message', async (ctx, next) => {
    const text = ctx.message.text ?? ctx.message.caption;
    if (text?.startsWith('/')) return next();
    const held = await heldBy(db, ctx.from.id);
    if (held.length === 0) return next();
    // Someone recorded as holding a dialog whose role has gone: refused, recorded, never relayed.
    const check = await checkStaffAction(deps, ctx, 'manager', 'relay', { leads: held.map((h) => h.lead_id) }, { recordAllowed: false });
    if (!check.allowed) {
      logger.warn({ actor: ctx.from.id, reason: check.reason }, 'manager message refused');
      return void (await ctx.reply(refusalText(deps, 'manager', REFUSED)));
    }
    const repliedTo = ctx.message.reply_to_message?.message_id;
    const leadId = repliedTo ? await leadOfStaffMessage(db, ctx.chat.id, repliedTo) : null;
    const target = leadId !== null ? held.find((h) => h.lead_id === leadId) : held.length === 1 ? held[0] : undefined;
    if (!target) return void (await ctx.reply(TEXTS.whichLead(held)));
    const media = ctx.message.text === undefined;
    await relay(ctx.from.id, ctx.chat.id, ctx.message.message_id, target, text ?? '[медиа]', media, ctx.reply.bind(ctx));
  });

  async function relay(managerId: number, chatId: number, messageId: number, target: HandoffRow, text: string, media: boolean, reply: (text: string) => Promise<unknown>): Promise<void> {
    try {
      await handoffs.reply(target.workflow_id, { managerId, chatId, messageId, text, media });
    } catch (error) {
      logger.error({ workflowId: target.workflow_id, err: String(error) }, 'manager reply not delivered to the handoff');
      await reply(TEXTS.notDelivered);
    }
  }

  return composer;
}

import { Composer } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { parseClose } from '../domain/handoff';
import { hasRole } from '../domain/roles';
import { heldBy, leadOfStaffMessage, type HandoffRow } from '../db/handoffs';
import { auditStaffCommand, roleOf } from '../db/staff';
import type { BotContext } from './context';
import type { Handoffs } from './handoffs';

export interface ManagerDialogDeps {
  db: Knex;
  owners: readonly number[];
  handoffs: Handoffs;
  logger: Logger;
}

const TEXTS = {
  refused: '⛔ Эта команда — для менеджеров. Попытка записана.',
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
 * ends a dialog with an outcome and a reason. Someone who holds no lead talks to the bot as anyone.
 */
export function managerDialogs({ db, owners, handoffs, logger }: ManagerDialogDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');

  privateChats.command(['r', 'close'], async (ctx) => {
    const actor = ctx.from.id;
    const command = ctx.message?.text.split(/[\s@]/)[0].slice(1).toLowerCase() ?? 'r';
    const role = await roleOf(db, actor, owners);
    const held = await heldBy(db, actor);
    const audit = (allowed: boolean, reason?: string, details: Record<string, unknown> = {}) =>
      auditStaffCommand(db, { actor, actorRole: role, command, details, allowed, reason });
    // Holding a lead makes one a manager even before owners are configured.
    if (!hasRole(role, 'manager') && held.length === 0) {
      await audit(false, role ? `role ${role}` : 'not staff');
      logger.warn({ actor, command }, 'manager command refused');
      await ctx.reply(TEXTS.refused);
      return;
    }
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
      await relay(ctx.chat.id, ctx.msg.message_id, target, args.trim(), false, ctx.reply.bind(ctx));
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
    const repliedTo = ctx.message.reply_to_message?.message_id;
    const leadId = repliedTo ? await leadOfStaffMessage(db, ctx.chat.id, repliedTo) : null;
    const target = leadId !== null ? held.find((h) => h.lead_id === leadId) : held.length === 1 ? held[0] : undefined;
    if (!target) return void (await ctx.reply(TEXTS.whichLead(held)));
    const media = ctx.message.text === undefined;
    await relay(ctx.chat.id, ctx.message.message_id, target, text ?? '[медиа]', media, ctx.reply.bind(ctx));
  });

  async function relay(chatId: number, messageId: number, target: HandoffRow, text: string, media: boolean, reply: (text: string) => Promise<unknown>): Promise<void> {
    try {
      await handoffs.reply(target.workflow_id, { managerId: chatId, chatId, messageId, text, media });
    } catch (error) {
      logger.error({ workflowId: target.workflow_id, err: String(error) }, 'manager reply not delivered to the handoff');
      await reply(TEXTS.notDelivered);
    }
  }

  return composer;
}

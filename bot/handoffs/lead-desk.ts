import { Composer } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { decodeButton } from '../../domain/callback-data';
import { LEAD_DESK_SCOPE, parseLeadDeskPress, type LeadDeskAction } from '../../domain/lead-desk';
import { heldBy, openHandoffOfLead } from '../../db/handoffs';
import { dialogOf, setDialog, takeDialog } from '../../db/staff-dialogs';
import { auditStaffCommand } from '../../db/staff';
import type { BotContext } from '../context';
import { checkStaffAction, refusalText, type StaffAccessDeps } from '../staff-access';
import { dialogHistoryText } from './dialog-history';
import { PASS_TEXTS, passHeldDialog, showPassPicker } from './dialog-pass';
import { CARD_TEXTS } from './handoff-desk';
import { staffName, type Handoffs } from './handoffs';
import { sendAsManager, type ManagerSendOutcome } from './send-to';

export interface LeadDeskDeps extends StaffAccessDeps {
  db: Knex;
  handoffs: Handoffs;
  logger: Logger;
}

/** The staff dialog of Write: the manager's next private message goes to this lead. */
export const WRITE_FLOW = 'lead_write';

export const LEAD_DESK_TEXTS = {
  opening: '⏳ Открываю диалог: лид будет ваш, карточка придёт в личный чат с ботом.',
  alreadyYours: 'Этот диалог уже ведёте вы.',
  unknown: 'Такого лида нет.',
  returned: '↩️ Лид возвращён в очередь: его снова может взять любой менеджер.',
  notHeld: 'Вы не ведёте диалог с этим лидом.',
  writePrompt: (who: string) => `✍️ Напишите сообщение для ${who} одним текстом — я отправлю его от менеджера. Ответ лида на него придёт вам сюда. /cancel — отменить.`,
  writeOnlyText: 'Отправить можно только текст. /cancel — отменить.',
  writeCancelled: 'Сообщение лиду не отправлено.',
  writeResult: { sent: '✅ Отправлено лиду.', already_sent: '✅ Уже отправлено.', blocked: '⛔ Лид заблокировал бота: не доставлено.', failed: '⚠️ Не доставлено, попробуйте позже.' } satisfies Record<ManagerSendOutcome, string>,
  refused: '⛔ Это доступно менеджерам и выше. Попытка записана.',
};

/**
 * The buttons that act on a lead (docs/manager-handoff.md): Take dialog (a handoff taken by the presser
 * at once, through the lead's conversation and the handoff workflow), Open (the dialog so far, in
 * private), Write (a one-off message to the lead as the manager) and Return to queue (the holder gives
 * the dialog back). Callback data is untrusted: the role is checked on each press, in the chat it came
 * from (staff-access.ts), and every press is recorded in staff_audit.
 */
export function leadDesk(deps: LeadDeskDeps): Composer<BotContext> {
  const { db, handoffs, logger } = deps;
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');

  composer.on('callback_query:data', async (ctx, next) => {
    const press = decodeButton(ctx.callbackQuery.data);
    if (press?.scope !== LEAD_DESK_SCOPE) return next();
    const parsed = parseLeadDeskPress(press.buttonId);
    const answer = async (text: string, alert = false): Promise<void> => {
      await ctx.answerCallbackQuery({ text, show_alert: alert }).catch(() => undefined);
    };
    const actor = ctx.from.id;
    const command = `lead_${parsed?.action ?? 'unknown'}`;
    const check = await checkStaffAction(deps, ctx, 'manager', command, { press: press.buttonId.slice(0, 40) }, { recordAllowed: false });
    if (!check.allowed) {
      logger.warn({ actor, reason: check.reason }, 'lead card press refused');
      return answer(CARD_TEXTS.notAllowed, true);
    }
    const lead = parsed ? await db('leads').where({ id: parsed.leadId }).first('id', 'telegram_user_id', 'first_name', 'username') : undefined;
    if (!parsed || !lead) return answer(LEAD_DESK_TEXTS.unknown);
    const audit = (allowed: boolean, reason?: string) =>
      auditStaffCommand(db, { actor, actorRole: check.role, command, details: { leadId: parsed.leadId, ...(parsed.target !== undefined && { to: parsed.target }) }, allowed, reason });
    const who = `${lead.first_name ?? ''}${lead.username ? ` @${lead.username}` : ''} (#${lead.id})`.trim();
    try {
      if (parsed.action === 'pass') await showPassPicker({ ...deps, handoffs }, ctx, { leadId: Number(lead.id), who }, audit);
      else if (parsed.action === 'passto') await passTo(Number(lead.id), parsed.target as number, audit);
      else await act(parsed.action, { leadId: Number(lead.id), telegramUserId: Number(lead.telegram_user_id), who }, audit);
    } catch (error) {
      logger.error({ leadId: lead.id, action: parsed.action, err: String(error) }, 'lead card action failed');
      await answer(CARD_TEXTS.failed, true);
    }

    async function act(action: LeadDeskAction, target: { leadId: number; telegramUserId: number; who: string }, record: typeof audit): Promise<void> {
      if (action === 'take') return take(target, record);
      if (action === 'back') return giveBack(target.leadId, record);
      if (action === 'write') {
        await setDialog(db, actor, { kind: 'flow', flow: WRITE_FLOW, state: { leadId: target.leadId } });
        await record(true);
        const sent = await ctx.api.sendMessage(actor, LEAD_DESK_TEXTS.writePrompt(target.who)).then(() => true).catch(() => false);
        return answer(sent ? CARD_TEXTS.sentPrivately : CARD_TEXTS.startPrivate, !sent);
      }
      const text = await dialogHistoryText(db, target.leadId, await openHandoffOfLead(db, target.leadId));
      await record(true);
      const sent = await ctx.api.sendMessage(actor, text).then(() => true).catch(() => false);
      return answer(sent ? CARD_TEXTS.sentPrivately : CARD_TEXTS.startPrivate, !sent);
    }

    /** The open handoff is taken as from its own card; with none, the conversation opens one taken by the presser. */
    async function take(target: { leadId: number; telegramUserId: number }, record: typeof audit): Promise<void> {
      const request = { managerId: actor, managerName: staffName(ctx.from) };
      const open = await handoffs.openHandoffOf(target.telegramUserId);
      if (!open) {
        await handoffs.openDialog(target.telegramUserId, request, ctx.callbackQuery.id);
        await record(true);
        logger.info({ leadId: target.leadId, by: actor }, 'dialog opened from the lead card');
        return answer(LEAD_DESK_TEXTS.opening);
      }
      const result = await handoffs.take(open.workflowId, request);
      const mine = !result.taken && !result.closed && result.heldBy === request.managerName;
      await record(result.taken, result.taken ? undefined : result.refused === 'not_staff' ? 'not staff (handoff workflow)' : result.closed ? 'closed' : `held by ${result.heldBy}`);
      if (result.taken) return answer(CARD_TEXTS.yours);
      if (result.refused === 'not_staff') return answer(CARD_TEXTS.notStaff, true);
      return answer(mine ? LEAD_DESK_TEXTS.alreadyYours : result.closed ? CARD_TEXTS.closed : CARD_TEXTS.heldBy(result.heldBy), !mine);
    }

    /** A name in the pass picker: the same path as /pass; the handoff workflow checks the new holder is staff. */
    async function passTo(leadId: number, target: number, record: typeof audit): Promise<void> {
      const outcome = await passHeldDialog({ ...deps, handoffs }, ctx.api, actor, leadId, target);
      if (outcome.kind === 'not_held') {
        await record(false, 'lead not held');
        return answer(LEAD_DESK_TEXTS.notHeld, true);
      }
      await record(outcome.kind === 'passed', outcome.kind === 'refused' ? outcome.why : undefined);
      return outcome.kind === 'passed' ? answer(PASS_TEXTS.passed(outcome.toName)) : answer(PASS_TEXTS.notPassed(outcome.why), true);
    }

    /** Return to queue: only the holder; the handoff shows its card waiting again and runs the SLA anew. */
    async function giveBack(leadId: number, record: typeof audit): Promise<void> {
      const held = (await heldBy(db, actor)).find((h) => h.lead_id === leadId);
      if (!held) {
        await record(false, 'lead not held');
        return answer(LEAD_DESK_TEXTS.notHeld, true);
      }
      await handoffs.release(held.workflow_id, { managerId: actor, reason: 'returned to the queue' });
      await record(true);
      return answer(LEAD_DESK_TEXTS.returned);
    }
  });

  // Before the panel's /cancel, which would end the dialog with the panel's wording.
  privateChats.command('cancel', async (ctx, next) => {
    const dialog = await dialogOf(db, ctx.from.id);
    if (dialog?.kind !== 'flow' || dialog.flow !== WRITE_FLOW) return next();
    await takeDialog(db, ctx.from.id);
    await ctx.reply(LEAD_DESK_TEXTS.writeCancelled);
  });

  // Write: the next message of a manager asked for one goes to the lead, once (the dialog is taken first).
  privateChats.on('message', async (ctx, next) => {
    const text = ctx.message.text;
    if (text?.startsWith('/')) return next();
    const dialog = await dialogOf(db, ctx.from.id);
    if (dialog?.kind !== 'flow' || dialog.flow !== WRITE_FLOW) return next();
    const leadId = Number(dialog.state.leadId);
    const check = await checkStaffAction(deps, ctx, 'manager', 'lead_write_send', { leadId }, { recordAllowed: false });
    if (!check.allowed) {
      await takeDialog(db, ctx.from.id);
      return void (await ctx.reply(refusalText(deps, 'manager', LEAD_DESK_TEXTS.refused)));
    }
    if (text === undefined) return void (await ctx.reply(LEAD_DESK_TEXTS.writeOnlyText));
    if (!(await takeDialog(db, ctx.from.id))) return; // a twin delivery of this message took it
    const lead = await db('leads').where({ id: leadId }).first('id', 'chat_id');
    if (!lead) return void (await ctx.reply(LEAD_DESK_TEXTS.unknown));
    const outcome = await sendAsManager({ db, logger, api: ctx.api }, { leadId, chatId: Number(lead.chat_id), text, outboundId: `write/${ctx.update.update_id}/${leadId}`, actor: ctx.from.id });
    await auditStaffCommand(db, { actor: ctx.from.id, actorRole: check.role, command: 'lead_write_send', details: { leadId, outcome }, allowed: true });
    await ctx.reply(LEAD_DESK_TEXTS.writeResult[outcome]);
  });

  return composer;
}


import { Composer } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { parseClose } from '../../domain/handoff';
import { leadOfTopic } from '../../db/dialog-mirror';
import { heldBy } from '../../db/handoffs';
import { auditStaffCommand } from '../../db/staff';
import type { BotContext } from '../context';
import { checkStaffAction, refusalText, type StaffAccessDeps } from '../staff-access';
import { CARD_TEXTS } from './handoff-desk';
import { staffName, type Handoffs } from './handoffs';

export interface DialogTopicsDeps extends StaffAccessDeps {
  db: Knex;
  handoffs: Handoffs;
  logger: Logger;
  /** DIALOGS_CHAT_ID: the forum group with a topic per lead (docs/manager-handoff.md#live-dialogs). */
  dialogsChatId: number;
  /** How long a first message waits for the dialog it opened to be taken (default 20 s). */
  takeWaitMs?: number;
}

/** Someone refused in the group is told so at most once in this time. */
const REFUSAL_REPEAT_MS = 10 * 60_000;

export const DIALOG_TOPIC_TEXTS = {
  refused: '⛔ Писать лидам из этой группы могут только менеджеры и выше. Сообщение не отправлено, попытка записана.',
  heldBy: (name: string | null) => `⛔ Диалог ведёт ${name ?? 'другой менеджер'}: сообщение лиду не отправлено.`,
  closed: '🔒 Диалог закрыт.',
  notClosed: (why: string) => `Не закрыто: ${why}.\nКак закрыть: /close done|paid|cancelled причина`,
  notHeld: 'Вы не ведёте этот диалог: закрыть его может тот, кто ведёт.',
  notTaken: '⚠️ Не получилось взять диалог: сообщение лиду не отправлено, попробуйте ещё раз.',
  failed: CARD_TEXTS.failed,
};

/**
 * A lead's topic in the dialogs group is a way to talk to the lead (docs/manager-handoff.md#live-dialogs):
 * a manager's message there goes to the lead through the same handoff workflow as a reply in private
 * (the writer takes the dialog first when nobody holds it; one holder at a time, decided by the
 * workflow), and `/close <outcome> <reason>` there closes it. The role is checked on every message
 * (staff-access.ts); a refusal is answered in the topic and recorded in staff_audit, and nothing from
 * anyone else ever reaches the lead. The bot's own answers there are few (refusals, the close), so the
 * mirror's pace (18 a minute) leaves them room within Telegram's 20.
 */
export function dialogTopics(deps: DialogTopicsDeps): Composer<BotContext> {
  const { db, handoffs, logger, dialogsChatId } = deps;
  const composer = new Composer<BotContext>();
  /**
   * When each person was last told they may not write here: someone who keeps writing is answered once
   * in a while (every attempt is still recorded), so they cannot spend the group's 20 a minute.
   */
  const refusedAt = new Map<number, number>();

  composer.on('message', async (ctx, next) => {
    if (ctx.chat.id !== dialogsChatId) return next();
    const threadId = ctx.message.is_topic_message ? ctx.message.message_thread_id : undefined;
    // The group's General topic and topics of no lead: the rest of the bot sees them (/whoami there).
    if (threadId === undefined) return next();
    const leadId = await leadOfTopic(db, dialogsChatId, threadId);
    if (leadId === null) return next();
    const answer = (text: string) => ctx.reply(text, { message_thread_id: threadId }).catch((error: unknown) => logger.warn({ leadId, err: String(error) }, 'answer in the topic not sent'));
    const text = ctx.message.text ?? ctx.message.caption;
    const closing = /^\/close(@\w+)?(\s|$)/.test(ctx.message.text ?? '');
    const command = closing ? 'topic_close' : 'topic_reply';
    const check = await checkStaffAction(deps, ctx, 'manager', command, { leadId }, { recordAllowed: false });
    if (!check.allowed) {
      logger.warn({ actor: ctx.from.id, leadId, reason: check.reason }, 'message in a lead topic refused');
      // Recorded in staff_audit by the check itself, every time.
      const last = refusedAt.get(ctx.from.id) ?? 0;
      if (Date.now() - last < REFUSAL_REPEAT_MS) return;
      refusedAt.set(ctx.from.id, Date.now());
      if (refusedAt.size > 10_000) refusedAt.clear();
      return void (await answer(refusalText(deps, 'manager', DIALOG_TOPIC_TEXTS.refused)));
    }
    const actor = ctx.from.id;
    const audit = (allowed: boolean, reason?: string, details: Record<string, unknown> = {}) =>
      auditStaffCommand(db, { actor, actorRole: check.role, command, details: { leadId, ...details }, allowed, reason });
    if (closing) {
      const held = (await heldBy(db, actor)).find((h) => h.lead_id === leadId);
      if (!held) {
        await audit(false, 'lead not held');
        return void (await answer(DIALOG_TOPIC_TEXTS.notHeld));
      }
      const close = parseClose((ctx.message.text ?? '').replace(/^\/close(@\w+)?/, ''));
      if ('error' in close) {
        await audit(false, close.error);
        return void (await answer(DIALOG_TOPIC_TEXTS.notClosed(close.error)));
      }
      const result = await handoffs.close(held.workflow_id, { managerId: actor, ...close }).catch((error: unknown) => {
        logger.error({ workflowId: held.workflow_id, err: String(error) }, 'close from a topic not delivered');
        return { closed: false as const, why: 'сервис недоступен' };
      });
      await audit(result.closed, result.closed ? undefined : result.why, { outcome: close.outcome });
      return void (await answer(result.closed ? DIALOG_TOPIC_TEXTS.closed : DIALOG_TOPIC_TEXTS.notClosed(result.why)));
    }
    if (text?.startsWith('/')) return next(); // other commands are not for the lead
    const lead = await db('leads').where({ id: leadId }).first('telegram_user_id');
    if (!lead) return;
    const request = { managerId: actor, managerName: staffName(ctx.from) };
    const held = (await heldBy(db, actor)).find((h) => h.lead_id === leadId);
    // Copied from the topic (text too): the lead gets it as written, and the mirror knows it is already there.
    const reply = { managerId: actor, chatId: dialogsChatId, messageId: ctx.message.message_id, text: text ?? '[медиа]', media: true };
    try {
      if (held) {
        await handoffs.reply(held.workflow_id, reply);
        return void (await audit(true));
      }
      const open = await handoffs.openHandoffOf(Number(lead.telegram_user_id));
      if (open) {
        const result = await handoffs.take(open.workflowId, request);
        const mine = !result.taken && !result.closed && result.heldBy === request.managerName;
        if (!result.taken && !mine) {
          await audit(false, result.refused === 'not_staff' ? 'not staff (handoff workflow)' : result.closed ? 'closed' : `held by ${result.heldBy}`);
          return void (await answer(result.refused === 'not_staff' ? CARD_TEXTS.notStaff : result.closed ? CARD_TEXTS.closed : DIALOG_TOPIC_TEXTS.heldBy(result.heldBy)));
        }
        await handoffs.reply(open.workflowId, reply);
        return void (await audit(true, undefined, { took: result.taken }));
      }
      // Nobody asked for a manager yet: the conversation opens a dialog taken by the writer (as Take on
      // the card does), and the message follows once the handoff is there. The bot does not wait for it.
      await handoffs.openDialog(Number(lead.telegram_user_id), request, `topic/${ctx.update.update_id}`);
      await audit(true, undefined, { opened: true });
      void relayOnceTaken(leadId, reply).catch((error: unknown) => logger.error({ leadId, err: String(error) }, 'first message from a topic not relayed'));
    } catch (error) {
      logger.error({ leadId, err: String(error) }, 'message from a topic not delivered to the handoff');
      await answer(DIALOG_TOPIC_TEXTS.failed);
    }

    async function relayOnceTaken(target: number, message: typeof reply): Promise<void> {
      const giveUpAt = Date.now() + (deps.takeWaitMs ?? 20_000);
      for (let wait = 100; Date.now() < giveUpAt; wait = Math.min(wait * 2, 1000)) {
        const taken = (await heldBy(db, actor)).find((h) => h.lead_id === target);
        if (taken) return handoffs.reply(taken.workflow_id, message);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      await answer(DIALOG_TOPIC_TEXTS.notTaken);
    }
  });

  return composer;
}

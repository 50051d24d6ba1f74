import { Composer } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { decodeButton } from '../../domain/callback-data';
import { CARD_ACTIONS, HANDOFF_SCOPE, type CardAction } from '../../domain/handoff';
import { findHandoff } from '../../db/handoffs';
import { auditStaffCommand } from '../../db/staff';
import { handoffWorkflowIdOfKey } from '../../workflows/manager-handoff/contract';
import type { BotContext } from '../context';
import { dialogHistoryText } from './dialog-history';
import { staffName, type Handoffs } from './handoffs';
import { showPassPicker } from './dialog-pass';
import { checkStaffAction, type StaffAccessDeps } from '../staff-access';

export interface HandoffDeskDeps extends StaffAccessDeps {
  db: Knex;
  handoffs: Handoffs;
  logger: Logger;
}

export const CARD_TEXTS = {
  notAllowed: 'Брать лидов могут только менеджеры и выше.',
  yours: '✅ Лид ваш. Сообщения лида придут вам в личный чат с ботом.',
  heldBy: (name: string | null) => `Лида уже взял ${name ?? 'другой менеджер'}.`,
  closed: 'Этот диалог уже закрыт.',
  notStaff: 'Взять лида может только сотрудник: вас нет в команде. Попытка записана.',
  unknown: 'Карточка устарела: такого обращения нет.',
  failed: 'Не получилось: сервис недоступен, попробуйте через минуту.',
  sentPrivately: 'Отправил вам в личный чат.',
  startPrivate: 'Сначала откройте личный чат с ботом (/start), потом нажмите снова.',
};

/**
 * The lead card's buttons, wherever the card is: Take (one manager only, decided by the handoff
 * workflow), Open dialog (the history in private), Sales script (in private), Pass (the holder picks
 * another manager, in private). The role is checked on
 * every press; refusals and takes are recorded.
 */
export function handoffDesk(deps: HandoffDeskDeps): Composer<BotContext> {
  const { db, handoffs, logger } = deps;
  const composer = new Composer<BotContext>();

  composer.on('callback_query:data', async (ctx, next) => {
    const press = decodeButton(ctx.callbackQuery.data);
    if (press?.scope !== HANDOFF_SCOPE) return next();
    const [key = '', action = ''] = press.buttonId.split('.');
    const workflowId = handoffWorkflowIdOfKey(key);
    const answer = async (text: string, alert = false): Promise<void> => {
      await ctx.answerCallbackQuery({ text, show_alert: alert }).catch(() => undefined);
    };
    const actor = ctx.from.id;
    const command = `card_${action}`.slice(0, 64);
    // Callback data is whatever the client sends: the role (and, without owners, the chat) decides,
    // before anything about the handoff is looked up or told.
    const check = await checkStaffAction(deps, ctx, 'manager', command, { workflowId: workflowId ?? key.slice(0, 40) }, { recordAllowed: false });
    if (!check.allowed) {
      logger.warn({ actor, action, reason: check.reason }, 'card press refused');
      return answer(CARD_TEXTS.notAllowed, true);
    }
    const audit = (allowed: boolean, reason?: string) => auditStaffCommand(db, { actor, actorRole: check.role, command, details: { workflowId }, allowed, reason });
    const handoff = workflowId ? await findHandoff(db, workflowId) : undefined;
    if (!workflowId || !handoff || !(CARD_ACTIONS as readonly string[]).includes(action)) return answer(CARD_TEXTS.unknown);
    try {
      await act(action as CardAction, workflowId, handoff.lead_id);
    } catch (error) {
      logger.error({ workflowId, action, err: String(error) }, 'card action failed');
      await answer(CARD_TEXTS.failed, true);
    }

    async function act(what: CardAction, id: string, leadId: number): Promise<void> {
      if (what === 'pass') {
        // Only the holder gets the picker; it is the same as Pass in /my (lead-desk.ts).
        const lead = await db('leads').where({ id: leadId }).first('first_name', 'username');
        const who = `${lead?.first_name ?? ''}${lead?.username ? ` @${lead.username}` : ''} (#${leadId})`.trim();
        return showPassPicker(deps, ctx, { leadId, who }, audit);
      }
      if (what === 'take') {
        const result = await handoffs.take(id, { managerId: actor, managerName: staffName(ctx.from) });
        const refusal = result.taken ? undefined : result.refused === 'not_staff' ? 'not staff (handoff workflow)' : result.closed ? 'closed' : `held by ${result.heldBy}`;
        await audit(result.taken, refusal);
        logger.info({ workflowId: id, by: actor, taken: result.taken }, 'take pressed');
        if (!result.taken && result.refused === 'not_staff') return answer(CARD_TEXTS.notStaff, true);
        return answer(result.taken ? CARD_TEXTS.yours : result.closed ? CARD_TEXTS.closed : CARD_TEXTS.heldBy(result.heldBy), !result.taken);
      }
      const text = what === 'script' ? await handoffs.salesScript(id, actor) : await historyText(id, leadId);
      await audit(true);
      const sent = await ctx.api.sendMessage(actor, text).then(() => true).catch(() => false);
      return answer(sent ? CARD_TEXTS.sentPrivately : CARD_TEXTS.startPrivate, !sent);
    }
  });

  async function historyText(workflowId: string, leadId: number): Promise<string> {
    return dialogHistoryText(db, leadId, await findHandoff(db, workflowId));
  }

  return composer;
}

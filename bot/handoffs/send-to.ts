import { Composer, GrammyError } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { parseSendTo, type Recipient } from '../../domain/send-to';
import { markLeadBlocked } from '../../db/leads';
import { claimOutbound, settleOutbound } from '../../db/messages';
import { auditStaffCommand } from '../../db/staff';
import type { BotContext } from '../context';
import { checkStaffAction, refusalText, type StaffAccessDeps } from '../staff-access';

export interface SendToDeps extends StaffAccessDeps {
  db: Knex;
  logger: Logger;
}

/** What someone without a manager role reads. */
const REFUSED = '⛔ Эта команда — для менеджеров. Попытка записана.';

type Outcome = 'sent' | 'blocked' | 'not_found' | 'failed' | 'already_sent';
export type ManagerSendOutcome = Exclude<Outcome, 'not_found'>;
const LABEL: Record<Outcome, string> = { sent: '✅ отправлено', blocked: '⛔ заблокировал бота', not_found: '❓ не найден', failed: '⚠️ ошибка', already_sent: '✅ уже отправлено' };

/**
 * `/sendto @user1 @user2 … text`: a direct message from a manager to up to 50 leads, with a result
 * per recipient. Each send is logged under an id made of the update and the lead, so a redelivered
 * update never sends twice.
 */
export function sendTo(deps: SendToDeps): Composer<BotContext> {
  const { db, logger } = deps;
  const composer = new Composer<BotContext>();

  // In any chat: the staff check decides (without owners, only the managers' chat passes).
  composer.command('sendto', async (ctx) => {
    if (!ctx.from) return;
    const actor = ctx.from.id;
    const check = await checkStaffAction(deps, ctx, 'manager', 'sendto', {}, { recordAllowed: false });
    if (!check.allowed) {
      await ctx.reply(refusalText(deps, 'manager', REFUSED));
      return;
    }
    const parsed = parseSendTo(ctx.match);
    const audit = (allowed: boolean, reason?: string, details: Record<string, unknown> = {}) =>
      auditStaffCommand(db, { actor, actorRole: check.role, command: 'sendto', details, allowed, reason });
    if ('error' in parsed) {
      await audit(false, parsed.error);
      await ctx.reply(`Не отправлено: ${parsed.error}.\nКак: /sendto @username1 @username2 текст сообщения`);
      return;
    }
    const lines: string[] = [];
    const counts: Partial<Record<Outcome, number>> = {};
    for (const recipient of parsed.recipients) {
      const outcome = await deliver(ctx.api, recipient, parsed.text, ctx.update.update_id, actor);
      counts[outcome] = (counts[outcome] ?? 0) + 1;
      lines.push(`${'username' in recipient ? `@${recipient.username}` : recipient.telegramUserId}: ${LABEL[outcome]}`);
    }
    await audit(true, undefined, { recipients: parsed.recipients.length, counts });
    await ctx.reply([`📨 Рассылка по списку: ${parsed.recipients.length}`, ...lines].join('\n'));
  });

  async function deliver(api: BotContext['api'], recipient: Recipient, text: string, updateId: number, actor: number): Promise<Outcome> {
    const lead = await db('leads')
      .where('username' in recipient ? db.raw('lower(username) = ?', [recipient.username]) : { telegram_user_id: recipient.telegramUserId })
      .first('id', 'chat_id');
    if (!lead) return 'not_found';
    return sendAsManager({ db, logger, api }, { leadId: Number(lead.id), chatId: Number(lead.chat_id), text, outboundId: `sendto/${updateId}/${lead.id}`, actor });
  }

  return composer;
}

/**
 * One message to a lead from a manager, outside any dialog (/sendto, Write on the lead card): logged
 * under `outboundId` first, so a redelivered update never sends twice, and marked with who wrote it
 * (`payload.sendto`), so the lead's reply to it reaches that manager (sendto-replies.ts).
 */
export async function sendAsManager(
  deps: { db: Knex; logger: Logger; api: BotContext['api'] },
  message: { leadId: number; chatId: number; text: string; outboundId: string; actor: number },
): Promise<ManagerSendOutcome> {
  const { db, logger, api } = deps;
  const { leadId, chatId, text, outboundId, actor } = message;
  const claim = await claimOutbound(db, { leadId, chatId, outboundId, direction: 'manager', text, payload: { sendto: actor } });
  if (!claim.claimed) return 'already_sent';
  try {
    const sent = await api.sendMessage(chatId, text);
    await settleOutbound(db, outboundId, { status: 'sent', telegramMessageId: sent.message_id });
    return 'sent';
  } catch (error) {
    const blocked = error instanceof GrammyError && error.error_code === 403;
    await settleOutbound(db, outboundId, { status: 'failed', error: String(error) });
    if (blocked) await markLeadBlocked(db, leadId);
    logger.warn({ leadId, blocked, err: String(error) }, 'message from a manager not delivered');
    return blocked ? 'blocked' : 'failed';
  }
}

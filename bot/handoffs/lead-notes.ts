import { Composer } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { addLeadNote, NOTE_MAX } from '../../db/lead-notes';
import { auditStaffCommand } from '../../db/staff';
import type { BotContext } from '../context';
import { checkStaffAction, refusalText, type StaffAccessDeps } from '../staff-access';
import { staffName } from './handoffs';

export const NOTE_TEXTS = {
  refused: '⛔ Эта команда — для менеджеров. Попытка записана.',
  usage: 'Как оставить заметку: /note <номер лида | @username> текст заметки',
  notFound: (lead: string) => `Лид ${lead} не найден.`,
  added: (leadId: number) => `📝 Заметка добавлена к лиду #${leadId}. Она видна в карточке (/lead).`,
  tooLong: `Заметка длиннее ${NOTE_MAX} символов: сократите её.`,
};

/**
 * `/note <lead> text`: a manager's note on a lead (the lead's number as in /r, or @username), kept
 * with its author and time and shown on the lead card. Managers and above; every note recorded.
 */
export function leadNotes(deps: StaffAccessDeps & { db: Knex; logger: Logger }): Composer<BotContext> {
  const { db, logger } = deps;
  const composer = new Composer<BotContext>();

  composer.command('note', async (ctx) => {
    if (!ctx.from) return;
    const check = await checkStaffAction(deps, ctx, 'manager', 'note', {}, { recordAllowed: false });
    if (!check.allowed) return void (await ctx.reply(refusalText(deps, 'manager', NOTE_TEXTS.refused)));
    const match = /^(\S+)\s+([\s\S]+)$/.exec(ctx.match.trim());
    const audit = (allowed: boolean, reason?: string, details: Record<string, unknown> = {}) =>
      auditStaffCommand(db, { actor: ctx.from?.id ?? 0, actorRole: check.role, command: 'note', details, allowed, reason });
    if (!match) {
      await audit(false, 'usage');
      return void (await ctx.reply(NOTE_TEXTS.usage));
    }
    const [, who, text] = match;
    if (text.trim().length > NOTE_MAX) return void (await ctx.reply(NOTE_TEXTS.tooLong));
    const byNumber = /^#?(\d{1,15})$/.exec(who);
    const byUsername = /^@([A-Za-z0-9_]{4,32})$/.exec(who);
    const lead = byNumber
      ? await db('leads').where({ id: Number(byNumber[1]) }).first('id')
      : byUsername
        ? await db('leads').whereRaw('lower(username) = lower(?)', [byUsername[1]]).orderBy('id', 'desc').first('id')
        : undefined;
    if (!lead) {
      await audit(false, 'lead not found', { lead: who.slice(0, 40) });
      return void (await ctx.reply(byNumber || byUsername ? NOTE_TEXTS.notFound(who) : NOTE_TEXTS.usage));
    }
    const leadId = Number(lead.id);
    await addLeadNote(db, { leadId, authorId: ctx.from.id, authorName: staffName(ctx.from), text: text.trim(), sourceKey: `note/${ctx.update.update_id}` });
    await audit(true, undefined, { leadId });
    logger.info({ leadId, by: ctx.from.id }, 'lead note added');
    await ctx.reply(NOTE_TEXTS.added(leadId));
  });

  return composer;
}

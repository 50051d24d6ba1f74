import { Composer } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { leadDeskButton, type LeadDeskAction } from '../../domain/lead-desk';
import { splitText } from '../../domain/split-text';
import { leadCardText } from '../../db/lead-card';
import { findLeads, parseLeadQuery } from '../../db/lead-search';
import type { BotContext } from '../context';
import { requireRole, type StaffAccessDeps } from '../staff-access';

export interface LeadCardDeps extends StaffAccessDeps {
  db: Knex;
  logger: Logger;
  /** The zone staff read times in. */
  timeZone?: string;
  now?: () => Date;
}

export const LEAD_CARD_TEXTS = {
  usage: 'Как найти лида: /lead <@username | telegram id | телефон>',
  notFound: (query: string) => `Лид «${query}» не найден.`,
  several: (lines: string[]) => `Нашлось несколько лидов, уточните id:\n${lines.join('\n')}`,
};

/** Finds a lead by what staff typed and sends the card (or says why not). The role is checked by the caller. */
export async function answerLeadSearch(deps: LeadCardDeps, ctx: BotContext, query: string): Promise<void> {
  const parsed = parseLeadQuery(query);
  if (!parsed) return void (await ctx.reply(LEAD_CARD_TEXTS.usage));
  const leads = await findLeads(deps.db, parsed);
  if (leads.length === 0) return void (await ctx.reply(LEAD_CARD_TEXTS.notFound(query)));
  if (leads.length > 1) {
    return void (await ctx.reply(LEAD_CARD_TEXTS.several(leads.map((l) => `• ${l.telegram_user_id} ${l.first_name ?? ''}${l.username ? ` @${l.username}` : ''}`))));
  }
  const format = timeFormatter(deps.timeZone);
  const card = await leadCardText(deps.db, leads[0], format, (deps.now ?? (() => new Date()))());
  const parts = splitText(card);
  // The buttons go under the last part, where the manager finishes reading.
  for (const [index, part] of parts.entries()) await ctx.reply(part, index === parts.length - 1 ? { reply_markup: { inline_keyboard: leadCardButtons(Number(leads[0].id)) } } : {});
}

/** Under the lead card: take the dialog, write once, read the dialog so far (lead-desk.ts answers them). */
export function leadCardButtons(leadId: number): { text: string; callback_data: string }[][] {
  const button = (text: string, action: LeadDeskAction) => {
    const { data } = leadDeskButton(text, leadId, action);
    return { text, callback_data: data };
  };
  return [[button('🙋 Взять диалог', 'take'), button('✍️ Написать', 'write')], [button('💬 Открыть диалог', 'open')]];
}

/** `/lead <@username | id | phone>`: the lead's card for managers and above; every search recorded. */
export function leadCard(deps: LeadCardDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.chatType('private').command('lead', async (ctx) => {
    const query = ctx.match.trim();
    if (!(await requireRole(deps, ctx, 'manager', 'lead', { query }))) return;
    await answerLeadSearch(deps, ctx, query);
  });
  return composer;
}

function timeFormatter(timeZone = 'Europe/Moscow'): (iso: string) => string {
  const format = new Intl.DateTimeFormat('ru-RU', { timeZone, day: '2-digit', month: '2-digit', year: '2-digit', hour: '2-digit', minute: '2-digit' });
  return (iso) => format.format(new Date(iso));
}

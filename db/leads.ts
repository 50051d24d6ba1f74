import type { Knex } from 'knex';
import type { TelegramPerson } from '../domain/inbound-event';

export type LeadMode = 'bot' | 'with_manager' | 'opted_out' | 'customer';

export interface LeadRow {
  id: number;
  telegram_user_id: number;
  chat_id: number;
  first_name: string | null;
  last_name: string | null;
  username: string | null;
  language_code: string | null;
  source: string | null;
  segment: 'cold' | 'warm' | 'hot' | null;
  score: number | null;
  stage: string;
  mode: LeadMode;
  blocked: boolean;
  opted_out: boolean;
  last_inbound_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * Creates the lead or refreshes what Telegram tells us about them. The first deep-link source
 * wins (it is how the lead found us); a message from the lead means they no longer block the bot.
 */
export async function upsertLead(
  db: Knex,
  person: TelegramPerson,
  chatId: number,
  options: { source?: string | null; inboundAt?: string } = {},
): Promise<LeadRow> {
  const profile = {
    chat_id: chatId,
    first_name: person.firstName,
    last_name: person.lastName ?? null,
    username: person.username ?? null,
    language_code: person.languageCode ?? null,
  };
  const [row] = await db('leads')
    .insert({
      telegram_user_id: person.id,
      ...profile,
      source: options.source ?? null,
      last_inbound_at: options.inboundAt ?? null,
    })
    .onConflict('telegram_user_id')
    .merge({
      ...profile,
      source: db.raw('coalesce(leads.source, excluded.source)'),
      last_inbound_at: db.raw('greatest(leads.last_inbound_at, excluded.last_inbound_at)'),
      blocked: options.inboundAt ? false : db.raw('leads.blocked'),
      updated_at: db.fn.now(),
    })
    .returning('*');
  return row as LeadRow;
}

export async function findLeadByTelegramId(db: Knex, telegramUserId: number): Promise<LeadRow | undefined> {
  return db<LeadRow>('leads').where({ telegram_user_id: telegramUserId }).first();
}

export async function markLeadBlocked(db: Knex, leadId: number): Promise<void> {
  await db('leads')
    .where({ id: leadId })
    .update({ blocked: true, blocked_at: db.fn.now(), updated_at: db.fn.now() });
}

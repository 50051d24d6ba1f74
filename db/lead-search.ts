import type { Knex } from 'knex';
import { normalisePhone } from '../domain/contact';
import type { LeadRow } from './leads';

/** How staff name a lead: `@username`, a Telegram user id, or a phone number in any usual spelling. */
export type LeadQuery = { by: 'username'; username: string } | { by: 'id'; telegramUserId: number; phone: string | null } | { by: 'phone'; phone: string };

/** Reads what staff typed; null when it is none of the three. */
export function parseLeadQuery(text: string): LeadQuery | null {
  const value = text.trim();
  const username = /^@?([A-Za-z][A-Za-z0-9_]{3,31})$/.exec(value);
  if (username && (value.startsWith('@') || /[A-Za-z]/.test(value))) return { by: 'username', username: username[1] };
  // A plain number may be an id or a phone written without "+" (8912…): both are tried, id first.
  if (/^\d{1,15}$/.test(value)) return { by: 'id', telegramUserId: Number(value), phone: normalisePhone(value) };
  const phone = normalisePhone(value);
  return phone ? { by: 'phone', phone } : null;
}

export type FoundLead = LeadRow & { phone: string | null; email: string | null };

/** The leads a query names (a phone may belong to more than one lead), newest first, at most 5. */
export async function findLeads(db: Knex, query: LeadQuery): Promise<FoundLead[]> {
  const leads = (): Knex.QueryBuilder<FoundLead, FoundLead[]> => db('leads').orderBy('id', 'desc').limit(5);
  if (query.by === 'username') return leads().whereRaw('lower(username) = lower(?)', [query.username]);
  if (query.by === 'phone') return leads().where({ phone: query.phone });
  const byId = await leads().where({ telegram_user_id: query.telegramUserId });
  if (byId.length || !query.phone) return byId;
  return leads().where({ phone: query.phone });
}

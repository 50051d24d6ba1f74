import type { Knex } from 'knex';
import type { LeadMode } from './leads';

/**
 * The lead conversation's mode as campaigns read it (`leads.conversation_mode`, migration 028):
 * written by the conversation when its mode changes and by the handoff when a manager takes the
 * lead, read by campaign batches instead of asking each conversation.
 */

/** The conversation reports its mode (a repeat writes the same value). */
export async function recordConversationMode(db: Knex, leadId: number, mode: LeadMode): Promise<void> {
  await db('leads').where({ id: leadId }).update({ conversation_mode: mode });
}

/** What decides whether a campaign may send to a lead, as the rows say now. */
export interface LeadReach {
  /** The conversation's own mode when it has reported one, else the row's `mode`. */
  mode: LeadMode;
  blocked: boolean;
  opted_out: boolean;
}

/** The SQL expression of the mode a campaign respects, for a `leads` row aliased `alias`. */
export function effectiveModeSql(alias: string): string {
  return `coalesce(${alias}.conversation_mode, ${alias}.mode)`;
}

/** One lead's reach, read just before its campaign message goes out (a primary-key read). */
export async function leadReach(db: Knex, leadId: number): Promise<LeadReach | undefined> {
  const row = await db('leads as l')
    .where('l.id', leadId)
    .first<LeadReach | undefined>(db.raw(`${effectiveModeSql('l')} as mode`), 'l.blocked', 'l.opted_out');
  return row;
}

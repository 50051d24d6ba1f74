import type { Knex } from 'knex';
import type { CsvValue } from '../domain/csv';
import type { Period } from './analytics-period';
import type { TableRow } from './xlsx-export';

/**
 * The exports' tables (CSV and .xlsx), read in keyset pages so a large export never sits in memory
 * whole: each yields the header row, then one array of values per row.
 */

const PAGE = 5_000;

async function* pages<T extends { id: number }>(fetch: (afterId: number) => Promise<T[]>): AsyncGenerator<T> {
  let afterId = 0;
  for (;;) {
    const rows = await fetch(afterId);
    for (const row of rows) yield row;
    if (rows.length < PAGE) return;
    afterId = rows[rows.length - 1].id;
  }
}

async function* table<T extends { id: number }>(columns: readonly string[], rows: AsyncGenerator<T>): AsyncGenerator<TableRow> {
  yield columns;
  for await (const row of rows) yield columns.map((c) => (row as unknown as Record<string, CsvValue>)[c]);
}

export const LEAD_COLUMNS = [
  'id', 'telegram_user_id', 'first_name', 'last_name', 'username', 'phone', 'email', 'language_code', 'source',
  'segment', 'score', 'stage', 'mode', 'blocked', 'opted_out', 'created_at', 'last_inbound_at',
] as const;

/** Users who started in the period, oldest first. */
export function leadsTable(db: Knex, period: Period): AsyncGenerator<TableRow> {
  return table(
    LEAD_COLUMNS,
    pages((afterId) =>
      db('leads')
        .where('created_at', '>=', period.since)
        .andWhere('created_at', '<', period.until)
        .andWhere('id', '>', afterId)
        .orderBy('id')
        .limit(PAGE)
        .select(LEAD_COLUMNS),
    ),
  );
}

export const MESSAGE_COLUMNS = ['id', 'created_at', 'direction', 'status', 'text', 'error'] as const;

/** Every message of one lead, in order. */
export function leadMessagesTable(db: Knex, leadId: number): AsyncGenerator<TableRow> {
  return table(
    MESSAGE_COLUMNS,
    pages((afterId) => db('messages').where({ lead_id: leadId }).andWhere('id', '>', afterId).orderBy('id').limit(PAGE).select(MESSAGE_COLUMNS)),
  );
}

export async function leadExists(db: Knex, leadId: number): Promise<boolean> {
  return !!(await db('leads').where({ id: leadId }).first('id'));
}

export const DELIVERY_COLUMNS = ['id', 'campaign_id', 'lead_id', 'variant', 'status', 'created_at', 'clicked_at', 'converted_at', 'unsubscribed_at', 'error'] as const;

/** Campaign deliveries in the period; optional columns a deployment lacks come out empty. */
export function campaignDeliveriesTable(db: Knex, period: Period): AsyncGenerator<TableRow> {
  return table(
    DELIVERY_COLUMNS,
    pages(async (afterId) => {
      const { rows } = await db.raw(
        `select d.id, to_jsonb(d) as row from campaign_deliveries d
          where d.created_at >= ? and d.created_at < ? and d.id > ? order by d.id limit ?`,
        [period.since.toISOString(), period.until.toISOString(), afterId, PAGE],
      );
      return rows.map((r: { id: number; row: Record<string, CsvValue> }) => ({ ...r.row, id: Number(r.id) }));
    }),
  );
}

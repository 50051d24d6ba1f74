import type { Knex } from 'knex';

export const MIN_DAYS = 1;
export const MAX_DAYS = 180;
export const DEFAULT_DAYS = 30;

/**
 * The period a report covers: whole calendar days in the school's time zone, today included, so
 * `days=1` is "today" and the per-day chart has exactly `days` bars. `until` is the moment asked.
 */
export interface Period {
  days: number;
  since: Date;
  until: Date;
  timeZone: string;
}

/** Computed by Postgres so that day boundaries follow the same zone rules as the per-day counts. */
export async function periodOf(db: Knex, days: number, until: Date, timeZone: string): Promise<Period> {
  const { rows } = await db.raw<{ rows: { since: Date }[] }>(
    `select (date_trunc('day', ?::timestamptz at time zone ?) - (? - 1) * interval '1 day') at time zone ? as since`,
    [until.toISOString(), timeZone, days, timeZone],
  );
  return { days, since: rows[0].since, until, timeZone };
}

/** A share with four decimals, or null when there is nothing to divide by (never NaN or Infinity). */
export function rate(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null;
}

/** Named bindings for the period's queries: `:since`, `:until`, `:tz`. */
export function bindings(period: Period): Record<string, string> {
  return { since: period.since.toISOString(), until: period.until.toISOString(), tz: period.timeZone };
}

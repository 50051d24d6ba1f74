import type { Knex } from 'knex';
import {
  conversionBySegment,
  funnelBySegment,
  funnelSteps,
  llmMetrics,
  perDay,
  usersAndLeads,
  type DayCount,
  type FunnelStep,
  type LeadsMetrics,
  type LlmMetrics,
  type SegmentConversion,
  type UsersMetrics,
} from './analytics-core';
import {
  abTestMetrics,
  broadcastMetrics,
  existingTables,
  OPTIONAL_TABLES,
  salesMetrics,
  timeToTake,
  type AbTest,
  type Broadcasts,
  type Sales,
  type Section,
  type TimeToTake,
} from './analytics-optional';
import { periodOf } from './analytics-period';

export interface Analytics {
  period: { days: number; from: string; to: string; timeZone: string };
  users: UsersMetrics;
  leads: LeadsMetrics & { timeToTake: Section<TimeToTake> };
  funnel: { steps: FunnelStep[]; unavailable: Record<string, string> };
  conversionBySegment: SegmentConversion[];
  perDay: DayCount[];
  sales: Section<Sales>;
  broadcasts: Section<Broadcasts>;
  abTests: Section<{ tests: AbTest[] }>;
  llm: LlmMetrics;
}

/** Every metric of docs/analytics.md for the last `days` calendar days up to `until`. */
export async function computeAnalytics(db: Knex, options: { days: number; until?: Date; timeZone: string }): Promise<Analytics> {
  const period = await periodOf(db, options.days, options.until ?? new Date(), options.timeZone);
  const tables = await existingTables(db, OPTIONAL_TABLES);
  const q = <T>(section: (db: Knex) => Promise<T>) => withoutJit(db, section);
  const [{ users, leads }, counts, days, llm, taken, sales, broadcasts, abTests] = await Promise.all([
    q((t) => usersAndLeads(t, period)),
    q((t) => funnelBySegment(t, period, tables.has('orders'))),
    q((t) => perDay(t, period)),
    q((t) => llmMetrics(t, period)),
    q((t) => timeToTake(t, period, tables)),
    q((t) => salesMetrics(t, period, tables)),
    q((t) => broadcastMetrics(t, period, tables)),
    q((t) => abTestMetrics(t, period, tables)),
  ]);
  return {
    period: { days: period.days, from: period.since.toISOString(), to: period.until.toISOString(), timeZone: period.timeZone },
    users,
    leads: { ...leads, timeToTake: taken },
    funnel: {
      steps: funnelSteps(counts),
      unavailable: tables.has('orders') ? {} : { payment: (sales as { reason: string }).reason },
    },
    conversionBySegment: conversionBySegment(counts),
    perDay: days,
    sales,
    broadcasts,
    abTests,
    llm,
  };
}

/**
 * Runs one section of the report in a read-only transaction of its own with JIT off: these are
 * short aggregates whose compilation cost more than the queries (1.4 s of 2.3 s measured on
 * 100,000 users). Sections run in parallel on the pool, so figures of one report may come from
 * snapshots a few milliseconds apart.
 */
function withoutJit<T>(db: Knex, section: (trx: Knex) => Promise<T>): Promise<T> {
  return db.transaction(
    async (trx) => {
      await trx.raw('set local jit = off');
      return section(trx);
    },
    { readOnly: true },
  );
}

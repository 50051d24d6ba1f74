import type { Knex } from 'knex';
import {
  conversionBySegment,
  funnelBySegment,
  funnelSteps,
  leadsMetrics,
  llmMetrics,
  perDay,
  usersMetrics,
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

/** Every metric of PRODUCT.md section 10 for the last `days` calendar days up to `until`. */
export async function computeAnalytics(db: Knex, options: { days: number; until?: Date; timeZone: string }): Promise<Analytics> {
  const period = await periodOf(db, options.days, options.until ?? new Date(), options.timeZone);
  const tables = await existingTables(db, OPTIONAL_TABLES);
  const [users, leads, counts, days, llm, taken, sales, broadcasts, abTests] = await Promise.all([
    usersMetrics(db, period),
    leadsMetrics(db, period),
    funnelBySegment(db, period, tables.has('orders')),
    perDay(db, period),
    llmMetrics(db, period),
    timeToTake(db, period, tables),
    salesMetrics(db, period, tables),
    broadcastMetrics(db, period, tables),
    abTestMetrics(db, period, tables),
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

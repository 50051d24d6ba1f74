import type { Knex } from 'knex';
import { bindings, rate, type Period } from './analytics-period';

/**
 * The metrics whose data the journey already records: users, leads, the funnel of users who
 * started in the period, conversion by segment, users per day and the model's work. Every figure
 * is an aggregate computed by Postgres; nothing reads whole tables into Node.
 */

export const SEGMENTS = ['cold', 'warm', 'hot', 'none'] as const;
export type SegmentKey = (typeof SEGMENTS)[number];
export const LEAD_MODES = ['bot', 'with_manager', 'customer', 'opted_out'] as const;

export interface UsersMetrics {
  /** Everyone who ever started the bot (up to the end of the period). */
  total: number;
  /** Started within the period. */
  new: number;
  /** Wrote to the bot within the 7 days before the end of the period. */
  active7d: number;
  /** All users by survey segment; `none`: no survey finished. */
  bySegment: Record<SegmentKey, number>;
}

export interface LeadsMetrics {
  /** Users who left a request with the contact form (its `lead_created` event), ever and in the period. */
  requests: { total: number; new: number };
  /** Every user by the mode the conversation is in now. */
  byStatus: Record<(typeof LEAD_MODES)[number], number>;
  /** Users whose last send failed because they block the bot. */
  blocked: number;
}

/** Users and their statuses in one pass over `leads` (the largest scan of the report). */
export async function usersAndLeads(db: Knex, period: Period): Promise<{ users: UsersMetrics; leads: LeadsMetrics }> {
  const [{ rows: leadRows }, { rows: requestRows }] = await Promise.all([
    db.raw(
      `select count(*)::int as total,
              count(*) filter (where created_at >= :since)::int as new,
              count(*) filter (where last_inbound_at > :until::timestamptz - interval '7 days' and last_inbound_at <= :until)::int as active7d,
              count(*) filter (where segment = 'cold' and segment_source is distinct from 'inferred')::int as cold,
              count(*) filter (where segment = 'warm' and segment_source is distinct from 'inferred')::int as warm,
              count(*) filter (where segment = 'hot' and segment_source is distinct from 'inferred')::int as hot,
              -- A segment the bot inferred comes from no survey: those users count as none, as before it existed.
              count(*) filter (where segment is null or segment_source = 'inferred')::int as none,
              count(*) filter (where mode = 'bot')::int as bot,
              count(*) filter (where mode = 'with_manager')::int as with_manager,
              count(*) filter (where mode = 'customer')::int as customer,
              count(*) filter (where mode = 'opted_out' or opted_out)::int as opted_out,
              count(*) filter (where blocked)::int as blocked
         from leads where created_at < :until`,
      bindings(period),
    ),
    db.raw(
      `select count(distinct lead_id)::int as total,
              count(distinct lead_id) filter (where created_at >= :since)::int as new
         from events where type = 'lead_created' and created_at < :until`,
      bindings(period),
    ),
  ]);
  const r = leadRows[0];
  return {
    users: { total: r.total, new: r.new, active7d: r.active7d, bySegment: { cold: r.cold, warm: r.warm, hot: r.hot, none: r.none } },
    leads: {
      requests: { total: requestRows[0].total, new: requestRows[0].new },
      byStatus: { bot: r.bot, with_manager: r.with_manager, customer: r.customer, opted_out: r.opted_out },
      blocked: r.blocked,
    },
  };
}

export interface FunnelCounts {
  segment: SegmentKey;
  started: number;
  bonus: number;
  survey: number;
  consultation: number;
  /** null when there is no `orders` table yet. */
  payment: number | null;
}

/**
 * The cohort of users who started in the period, per segment: how many reached each step (at any
 * time up to now; a step may be reached without the one before it, e.g. /survey without the bonus).
 */
export async function funnelBySegment(db: Knex, period: Period, withPayments: boolean): Promise<FunnelCounts[]> {
  // Each step is the set of users who reached it, hash-joined to the cohort: one pass over the
  // step's index entries instead of one look-up per user.
  const { rows } = await db.raw(
    `with cohort as (
       select id, case when segment_source = 'inferred' then 'none' else coalesce(segment, 'none') end as segment from leads where created_at >= :since and created_at < :until
     ), bonus as (
       select distinct lead_id from events where type = 'bonus_taken'
     ), survey as (
       select distinct lead_id from events where type = 'survey_completed'
     ), consultation as (
       select lead_id from events where type = 'consultation_booked' union select lead_id from bookings
     ), payment as (
       ${withPayments ? `select distinct lead_id from orders where status = 'paid'` : 'select null::bigint as lead_id where false'}
     )
     select c.segment, count(*)::int as started, count(b.lead_id)::int as bonus, count(s.lead_id)::int as survey,
            count(k.lead_id)::int as consultation, ${withPayments ? 'count(p.lead_id)::int' : 'null::int'} as payment
       from cohort c
       left join bonus b on b.lead_id = c.id
       left join survey s on s.lead_id = c.id
       left join consultation k on k.lead_id = c.id
       left join payment p on p.lead_id = c.id
      group by c.segment`,
    bindings(period),
  );
  const found = new Map<string, FunnelCounts>(rows.map((r: FunnelCounts) => [r.segment, r]));
  return SEGMENTS.map(
    (segment) => found.get(segment) ?? { segment, started: 0, bonus: 0, survey: 0, consultation: 0, payment: withPayments ? 0 : null },
  );
}

export interface FunnelStep {
  step: 'started' | 'bonus' | 'survey' | 'consultation' | 'payment';
  /** null: the step's data does not exist yet (see `unavailable`). */
  count: number | null;
  /** Share of `started`; null when nobody started or the count is unavailable. */
  rate: number | null;
}

export function funnelSteps(counts: FunnelCounts[]): FunnelStep[] {
  const sum = (key: keyof Omit<FunnelCounts, 'segment'>) =>
    counts.some((c) => c[key] === null) ? null : counts.reduce((total, c) => total + (c[key] as number), 0);
  const started = sum('started') ?? 0;
  return (['started', 'bonus', 'survey', 'consultation', 'payment'] as const).map((step) => {
    const count = sum(step);
    return { step, count, rate: count === null ? null : rate(count, started) };
  });
}

export interface SegmentConversion {
  segment: SegmentKey;
  started: number;
  consultations: number;
  /** consultations / started */
  consultationRate: number | null;
  payments: number | null;
  paymentRate: number | null;
}

export function conversionBySegment(counts: FunnelCounts[]): SegmentConversion[] {
  return counts.map((c) => ({
    segment: c.segment,
    started: c.started,
    consultations: c.consultation,
    consultationRate: rate(c.consultation, c.started),
    payments: c.payment,
    paymentRate: c.payment === null ? null : rate(c.payment, c.started),
  }));
}

export interface DayCount {
  /** YYYY-MM-DD in the period's time zone. */
  day: string;
  users: number;
  requests: number;
}

/** New users and contact requests per calendar day of the period, every day present (zeros too). */
export async function perDay(db: Knex, period: Period): Promise<DayCount[]> {
  const { rows } = await db.raw(
    `with days as (
       select generate_series(:since::timestamptz at time zone :tz, :until::timestamptz at time zone :tz, interval '1 day')::date as day
     ), users as (
       select (created_at at time zone :tz)::date as day, count(*)::int as n
         from leads where created_at >= :since and created_at < :until group by 1
     ), requests as (
       select (created_at at time zone :tz)::date as day, count(distinct lead_id)::int as n
         from events where type = 'lead_created' and created_at >= :since and created_at < :until group by 1
     )
     select to_char(d.day, 'YYYY-MM-DD') as day, coalesce(u.n, 0) as users, coalesce(r.n, 0) as requests
       from days d left join users u using (day) left join requests r using (day)
      order by d.day`,
    bindings(period),
  );
  // The series may end with the first instant of the next day when `until` is exactly midnight.
  return (rows as DayCount[]).slice(0, period.days);
}

export interface LlmMetrics {
  calls: number;
  /** Calls after which the lead got the templated answer (no key, timeout, API error, bad output). */
  fallbacks: number;
  fallbackRate: number | null;
  byOutcome: Record<string, number>;
  /** Model turns the policy applied (`llm_turn` events). */
  turns: number;
  /** Turns that brought a manager in (the policy's escalate_to_manager). */
  escalations: number;
  escalationRate: number | null;
}

export async function llmMetrics(db: Knex, period: Period): Promise<LlmMetrics> {
  const [{ rows: outcomes }, { rows: turns }] = await Promise.all([
    db.raw(
      `select outcome, count(*)::int as calls, count(*) filter (where fallback)::int as fallbacks
         from llm_calls where created_at >= :since and created_at < :until group by outcome order by outcome`,
      bindings(period),
    ),
    db.raw(
      `select count(*)::int as turns,
              count(*) filter (where payload->>'nextAction' = 'escalate_to_manager')::int as escalations
         from events where type = 'llm_turn' and created_at >= :since and created_at < :until`,
      bindings(period),
    ),
  ]);
  const calls = outcomes.reduce((sum: number, r: { calls: number }) => sum + r.calls, 0);
  const fallbacks = outcomes.reduce((sum: number, r: { fallbacks: number }) => sum + r.fallbacks, 0);
  return {
    calls,
    fallbacks,
    fallbackRate: rate(fallbacks, calls),
    byOutcome: Object.fromEntries(outcomes.map((r: { outcome: string; calls: number }) => [r.outcome, r.calls])),
    turns: turns[0].turns,
    escalations: turns[0].escalations,
    escalationRate: rate(turns[0].escalations, turns[0].turns),
  };
}

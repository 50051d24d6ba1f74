import type { Knex } from 'knex';
import { bindings, rate, type Period } from './analytics-period';

/**
 * Sections whose tables other features add. `handoffs` (migration 20261201_011) and `orders`
 * (20261201_020) exist and are read by their real columns; campaign deliveries do not exist yet.
 * Each section reports itself unavailable, with the reason, while its table does not exist, and is
 * computed once it does. The campaign columns a feature may or may not have (`clicked_at`…) are
 * read through `to_jsonb(row)`, so a missing optional column counts as empty instead of failing.
 */

export interface Unavailable {
  available: false;
  reason: string;
}
export type Section<T> = ({ available: true } & T) | Unavailable;

/** One cheap catalogue look-up per table (`to_regclass` reads no rows). */
export async function existingTables(db: Knex, names: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.raw(`select name from unnest(?::text[]) as name where to_regclass(name) is not null`, [[...names]]);
  return new Set(rows.map((r: { name: string }) => r.name));
}

export const OPTIONAL_TABLES = ['handoffs', 'orders', 'order_instalments', 'campaign_deliveries'] as const;

const missing = (table: string, feature: string): Unavailable => ({
  available: false,
  reason: `no "${table}" table yet: it comes with ${feature}`,
});

export interface TimeToTake {
  /** Handoffs opened in the period (a closed one counts as taken when a manager had taken it). */
  handoffs: number;
  taken: number;
  /** Opened in the period and still waiting for a manager. */
  waiting: number;
  /** Seconds from the request to a manager taking it; null when none was taken. */
  medianSeconds: number | null;
  averageSeconds: number | null;
}

/** How long leads waited for a manager: dialogs a manager opened from the lead card kept nobody waiting, so they are left out. */
export async function timeToTake(db: Knex, period: Period, tables: Set<string>): Promise<Section<TimeToTake>> {
  if (!tables.has('handoffs')) return missing('handoffs', 'the manager handoff');
  const { rows } = await db.raw(
    `select count(*)::int as handoffs,
            count(taken_at)::int as taken,
            count(*) filter (where status = 'waiting')::int as waiting,
            percentile_cont(0.5) within group (order by extract(epoch from taken_at - created_at)) filter (where taken_at is not null) as median,
            avg(extract(epoch from taken_at - created_at)) as average
       from handoffs where created_at >= :since and created_at < :until and trigger <> 'manager_took'`,
    bindings(period),
  );
  const r = rows[0];
  const seconds = (value: unknown) => (value === null ? null : Math.round(Number(value)));
  return { available: true, handoffs: r.handoffs, taken: r.taken, waiting: r.waiting, medianSeconds: seconds(r.median), averageSeconds: seconds(r.average) };
}

export interface SalesByCurrency {
  currency: string;
  revenue: number;
  orders: number;
  averageOrder: number;
}

export interface Sales {
  /**
   * Orders whose status is `paid` and whose `paid_at` falls in the period. A refunded order (status
   * `refunded`, `paid_at` kept) brought no money and is not counted; `amount` is what the payment
   * brought (the first payment of an instalment). The second and third instalments count as payments
   * of their own in the period they were paid.
   */
  paidOrders: number;
  byCurrency: SalesByCurrency[];
  /**
   * Orders refunded in the period (by the refund's date, `closed_at`), per currency: a Stars `/refund`
   * or a provider refund recorded with `/refund_done`. `amount` is what was paid for the order (every
   * paid instalment). Empty when there were none.
   */
  refunds: { currency: string; orders: number; amount: number }[];
}

export async function salesMetrics(db: Knex, period: Period, tables: Set<string>): Promise<Section<Sales>> {
  if (!tables.has('orders')) return missing('orders', 'payments');
  const { rows } = await db.raw(
    `with payments as (
       select o.currency, o.amount from orders o
        where o.status = 'paid' and o.paid_at >= :since and o.paid_at < :until
       ${tables.has('order_instalments')
         ? `union all
       select i.currency, i.amount from order_instalments i join orders o on o.id = i.order_id
        where i.number > 1 and i.status = 'paid' and o.status = 'paid' and i.paid_at >= :since and i.paid_at < :until`
         : ''}
     )
     select currency, round(sum(amount), 2)::float8 as revenue, count(*)::int as orders
       from payments group by currency order by revenue desc`,
    bindings(period),
  );
  const byCurrency = rows.map((r: { currency: string; revenue: number; orders: number }) => ({
    currency: r.currency,
    revenue: r.revenue,
    orders: r.orders,
    averageOrder: Math.round((r.revenue / r.orders) * 100) / 100,
  }));
  const instalments = tables.has('order_instalments')
    ? `+ coalesce((select sum(i.amount) from order_instalments i where i.order_id = o.id and i.number > 1 and i.status = 'paid'), 0)`
    : '';
  const refunded = await db.raw(
    `select o.currency, count(*)::int as orders, round(sum(o.amount ${instalments}), 2)::float8 as amount
       from orders o where o.status = 'refunded' and o.closed_at >= :since and o.closed_at < :until
      group by o.currency order by amount desc`,
    bindings(period),
  );
  const refunds = refunded.rows.map((r: { currency: string; orders: number; amount: number }) => ({ currency: r.currency, orders: r.orders, amount: r.amount }));
  return { available: true, paidOrders: byCurrency.reduce((n: number, c: SalesByCurrency) => n + c.orders, 0), byCurrency, refunds };
}

/** Delivery statuses that mean the message reached Telegram. */
const REACHED = `status in ('sent', 'delivered')`;
const FAILED = `status = 'failed'`;

export interface Broadcasts {
  /** Campaigns with deliveries in the period. */
  campaigns: number;
  deliveries: number;
  byStatus: Record<string, number>;
  /** Distinct users a campaign message reached. */
  uniqueReach: number;
  /** failed / all deliveries; null with no deliveries. */
  errorRate: number | null;
}

export async function broadcastMetrics(db: Knex, period: Period, tables: Set<string>): Promise<Section<Broadcasts>> {
  if (!tables.has('campaign_deliveries')) return missing('campaign_deliveries', 'broadcast campaigns');
  const where = `created_at >= :since and created_at < :until`;
  const [{ rows: totals }, { rows: statuses }] = await Promise.all([
    db.raw(
      `select count(distinct campaign_id)::int as campaigns, count(*)::int as deliveries,
              count(distinct lead_id) filter (where ${REACHED})::int as reach,
              count(*) filter (where ${FAILED})::int as failed
         from campaign_deliveries where ${where}`,
      bindings(period),
    ),
    db.raw(`select status, count(*)::int as n from campaign_deliveries where ${where} group by status order by status`, bindings(period)),
  ]);
  const t = totals[0];
  return {
    available: true,
    campaigns: t.campaigns,
    deliveries: t.deliveries,
    byStatus: Object.fromEntries(statuses.map((r: { status: string; n: number }) => [r.status, r.n])),
    uniqueReach: t.reach,
    errorRate: rate(t.failed, t.deliveries),
  };
}

export interface VariantResult {
  variant: string;
  delivered: number;
  clicks: number;
  ctr: number | null;
  conversions: number;
  cr: number | null;
  unsubscribes: number;
}

export interface AbTest {
  campaignId: number;
  variants: VariantResult[];
  /** The variant with the best conversion rate (then CTR); null while no variant has a delivery or there is a tie. */
  leader: string | null;
}

const marked = (column: string) => `count(*) filter (where ${REACHED} and to_jsonb(d)->>'${column}' is not null)::int`;

export async function abTestMetrics(db: Knex, period: Period, tables: Set<string>): Promise<Section<{ tests: AbTest[] }>> {
  if (!tables.has('campaign_deliveries')) return missing('campaign_deliveries', 'broadcast campaigns');
  const { rows } = await db.raw(
    `select campaign_id, variant,
            count(*) filter (where ${REACHED})::int as delivered,
            ${marked('clicked_at')} as clicks,
            ${marked('converted_at')} as conversions,
            ${marked('unsubscribed_at')} as unsubscribes
       from campaign_deliveries d
      where variant is not null and created_at >= :since and created_at < :until
      group by campaign_id, variant order by campaign_id, variant`,
    bindings(period),
  );
  const tests = new Map<number, AbTest>();
  for (const r of rows) {
    const test = tests.get(Number(r.campaign_id)) ?? { campaignId: Number(r.campaign_id), variants: [], leader: null };
    test.variants.push({
      variant: r.variant,
      delivered: r.delivered,
      clicks: r.clicks,
      ctr: rate(r.clicks, r.delivered),
      conversions: r.conversions,
      cr: rate(r.conversions, r.delivered),
      unsubscribes: r.unsubscribes,
    });
    tests.set(test.campaignId, test);
  }
  for (const test of tests.values()) test.leader = leaderOf(test.variants);
  return { available: true, tests: [...tests.values()] };
}

/** Highest conversion rate, then CTR; no leader on a tie or without deliveries. */
export function leaderOf(variants: VariantResult[]): string | null {
  const ranked = variants
    .filter((v) => v.delivered > 0)
    .map((v) => ({ variant: v.variant, key: [v.cr ?? 0, v.ctr ?? 0] }))
    .sort((a, b) => b.key[0] - a.key[0] || b.key[1] - a.key[1]);
  if (ranked.length === 0) return null;
  if (ranked.length > 1 && ranked[0].key[0] === ranked[1].key[0] && ranked[0].key[1] === ranked[1].key[1]) return null;
  return ranked[0].variant;
}

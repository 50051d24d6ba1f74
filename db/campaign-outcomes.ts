import type { Knex } from 'knex';
import type { AbMetric, VariantKey } from '../domain/broadcasts/campaign';
import type { VariantStats } from '../domain/broadcasts/ab-test';

/**
 * What leads did after a broadcast: clicks, replies, conversions (a request or a payment) and
 * unsubscribes, marked on their recent deliveries. Each mark is the first occurrence only; the A/B
 * evaluation then counts those that fell within the observation window of each delivery.
 */

export type CampaignOutcome = 'replied' | 'converted' | 'paid' | 'unsubscribed';

const OUTCOME_COLUMNS: Record<CampaignOutcome, string> = {
  replied: 'replied_at',
  converted: 'converted_at',
  paid: 'paid_at',
  unsubscribed: 'unsubscribed_at',
};

/** Longer than any window with its extensions (24 h × 3): older deliveries are not marked. */
const ATTRIBUTION_DAYS = 7;

/** Event types that make a lead a lead (a request for the school): the "lead conversion" of a test. */
export const LEAD_CONVERSION_EVENTS = ['manager_requested', 'purchase_intent', 'request_started', 'consultation_started', 'consultation_booked', 'payment_started'] as const;

/** Marks the lead's recent sent deliveries with the outcome, where not marked yet. Cheap when there are none. */
export async function noteCampaignOutcome(db: Knex, leadId: number, outcome: CampaignOutcome): Promise<void> {
  const column = OUTCOME_COLUMNS[outcome];
  await db('campaign_deliveries')
    .where({ lead_id: leadId, status: 'sent' })
    .whereNull(column)
    .where('sent_at', '>', db.raw(`now() - interval '${ATTRIBUTION_DAYS} days'`))
    .update({ [column]: db.fn.now(), updated_at: db.fn.now() });
}

/**
 * A press of a tracked button: one row per delivery and button counts the presses (so a flood of
 * requests for one link adds nothing but a number); the first press marks the delivery as clicked.
 */
export async function recordClick(db: Knex, deliveryId: number, button: number): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('campaign_clicks')
      .insert({ delivery_id: deliveryId, button })
      .onConflict(['delivery_id', 'button'])
      .merge({ clicks: trx.raw('campaign_clicks.clicks + 1'), last_clicked_at: trx.fn.now() });
    await trx('campaign_deliveries').where({ id: deliveryId }).whereNull('clicked_at').update({ clicked_at: trx.fn.now(), updated_at: trx.fn.now() });
  });
}

const SUCCESS_COLUMN: Record<AbMetric, string> = {
  click_rate: 'clicked_at',
  reply_rate: 'replied_at',
  lead_conversion: 'converted_at',
  payment_conversion: 'paid_at',
};

/**
 * The pilot's figures per variant: delivered = sent; a success or an unsubscribe counts when it
 * came within `windowHours` of that lead's own delivery.
 */
export async function pilotStats(db: Knex, campaignId: number, metric: AbMetric, windowHours: number, keys: VariantKey[]): Promise<VariantStats[]> {
  const success = SUCCESS_COLUMN[metric];
  const within = (column: string) => `count(*) filter (where ${column} is not null and ${column} <= sent_at + make_interval(hours => ?))::int`;
  const rows: { variant: VariantKey; delivered: number; successes: number; unsubscribes: number }[] = await db('campaign_deliveries')
    .where({ campaign_id: campaignId, pilot: true, status: 'sent' })
    .groupBy('variant')
    .select('variant', db.raw('count(*)::int as delivered'), db.raw(`${within(success)} as successes`, [windowHours]), db.raw(`${within('unsubscribed_at')} as unsubscribes`, [windowHours]));
  const found = new Map(rows.map((r) => [r.variant, r]));
  return keys.map((key) => ({ key, delivered: found.get(key)?.delivered ?? 0, successes: found.get(key)?.successes ?? 0, unsubscribes: found.get(key)?.unsubscribes ?? 0 }));
}

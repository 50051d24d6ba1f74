import type { Knex } from 'knex';
import type { CsvValue } from '../domain/csv';
import { pilotStats } from './campaign-outcomes';
import { abResultOf, type CampaignRow } from './campaigns';
import type { TableRow } from './xlsx-export';

/** An A/B test as the api reports it: its settings, the pilot's figures so far, and the result once picked. */
export async function abReport(db: Knex, campaign: CampaignRow) {
  const ab = campaign.ab_test;
  if (!ab) return null;
  const result = await abResultOf(db, campaign.id);
  const windowHours = (result as { windowHours?: number } | null)?.windowHours ?? ab.windowHours;
  return {
    variants: ab.variants.map((v) => ({ key: v.key, weight: v.weight })),
    pilot_share: ab.pilotShare,
    metric: ab.metric,
    window_hours: ab.windowHours,
    pilot: await pilotStats(db, campaign.id, ab.metric, windowHours, ab.variants.map((v) => v.key)),
    result,
  };
}

export const CAMPAIGN_DELIVERY_COLUMNS = [
  'id', 'lead_id', 'telegram_user_id', 'username', 'variant', 'pilot', 'status', 'reason',
  'sent_at', 'clicked_at', 'replied_at', 'converted_at', 'paid_at', 'unsubscribed_at',
] as const;

const PAGE = 5_000;

/**
 * One campaign's deliveries (the header, then one row per recipient, for CSV and .xlsx), read in
 * keyset pages so a big campaign never sits in memory.
 */
export async function* campaignDeliveryTable(db: Knex, campaignId: number): AsyncGenerator<TableRow> {
  yield CAMPAIGN_DELIVERY_COLUMNS;
  for (let afterId = 0; ; ) {
    const rows: Record<string, CsvValue>[] = await db('campaign_deliveries as d')
      .join('leads as l', 'l.id', 'd.lead_id')
      .where('d.campaign_id', campaignId)
      .andWhere('d.id', '>', afterId)
      .orderBy('d.id')
      .limit(PAGE)
      .select('d.id', 'd.lead_id', 'l.telegram_user_id', 'l.username', 'd.variant', 'd.pilot', 'd.status', 'd.reason', 'd.sent_at', 'd.clicked_at', 'd.replied_at', 'd.converted_at', 'd.paid_at', 'd.unsubscribed_at');
    for (const row of rows) yield CAMPAIGN_DELIVERY_COLUMNS.map((c) => row[c]);
    if (rows.length < PAGE) return;
    afterId = Number(rows[rows.length - 1].id);
  }
}

import type { Knex } from 'knex';
import { normaliseContent, type AbTestConfig, type CampaignAudience, type CampaignContent, type VariantKey } from '../domain/broadcasts/campaign';
import type { LeadMode } from './leads';
import { effectiveModeSql } from './conversation-mode';

export type { CampaignAudience, CampaignContent } from '../domain/broadcasts/campaign';

export type CampaignStatus = 'draft' | 'scheduled' | 'running' | 'paused' | 'observing' | 'winner_picked' | 'completed' | 'cancelled';
export type DeliveryStatus = 'queued' | 'sent' | 'failed' | 'blocked' | 'skipped' | 'unknown';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['queued', 'sent', 'failed', 'blocked', 'skipped', 'unknown'];

export interface CampaignRow {
  id: number;
  name: string;
  created_by: number | null;
  content: CampaignContent;
  audience: CampaignAudience;
  ab_test: AbTestConfig | null;
  scheduled_at: Date | null;
  status: CampaignStatus;
  created_at: Date;
  updated_at: Date;
}

/** A queued delivery with what the sender needs to know about its lead. */
export interface QueuedDelivery {
  id: number;
  campaign_id: number;
  lead_id: number;
  /** A/B variant key, or null. */
  variant: string | null;
  telegram_user_id: number;
  chat_id: number;
  /** The mode a campaign respects: the conversation's own when it reported one (see `db/conversation-mode.ts`). */
  mode: LeadMode;
  blocked: boolean;
  opted_out: boolean;
}

export type DeliveryCounts = Record<DeliveryStatus, number>;

export async function createCampaign(
  db: Knex,
  campaign: { name: string; createdBy: number | null; content: CampaignContent; audience: CampaignAudience; abTest?: AbTestConfig | null; scheduledAt: Date | null },
): Promise<CampaignRow> {
  const [row] = await db('campaigns')
    .insert({
      name: campaign.name,
      created_by: campaign.createdBy,
      content: campaign.content,
      audience: campaign.audience,
      ab_test: campaign.abTest ? JSON.stringify(campaign.abTest) : null,
      scheduled_at: campaign.scheduledAt,
      status: 'scheduled',
    })
    .returning('*');
  return normalise(row);
}

export async function findCampaign(db: Knex, id: number): Promise<CampaignRow | undefined> {
  const row = await db('campaigns').where({ id }).first();
  return row ? normalise(row) : undefined;
}

export async function setCampaignStatus(db: Knex, id: number, status: CampaignStatus): Promise<void> {
  await db('campaigns').where({ id }).update({ status, updated_at: db.fn.now() });
}

/** The statuses a campaign's workflow moves between; cancelled and completed are final. */
export const LIVE_CAMPAIGN_STATUSES: readonly CampaignStatus[] = ['scheduled', 'running', 'paused', 'observing', 'winner_picked'];

/**
 * Moves a live campaign to `status`; false (and nothing written) when the row is final already, so a
 * workflow never revives a campaign its launch withdrew or an editor cancelled.
 */
export async function advanceCampaignStatus(db: Knex, id: number, status: CampaignStatus): Promise<boolean> {
  const updated = await db('campaigns').where({ id }).whereIn('status', LIVE_CAMPAIGN_STATUSES).update({ status, updated_at: db.fn.now() });
  return updated > 0;
}

/**
 * Cancels a campaign whose launch could not tell whether its workflow started, as long as no workflow
 * has taken it on (it is still `scheduled`); false when one has, so the campaign is running.
 */
export async function withdrawCampaign(db: Knex, id: number): Promise<boolean> {
  const updated = await db('campaigns').where({ id, status: 'scheduled' }).update({ status: 'cancelled', updated_at: db.fn.now() });
  return updated > 0;
}

/**
 * Adds the next `limit` leads of the audience (by lead id, after `afterLeadId`) as queued
 * deliveries. The unique (campaign, lead) key makes a repeated chunk add nothing. Opted-out and
 * blocked leads are added too, so every lead of the audience has a record saying what happened.
 * `assign` puts an A/B test's lead in the pilot with a variant; the rest wait for the winner.
 */
export async function snapshotAudienceChunk(
  db: Knex,
  campaignId: number,
  audience: CampaignAudience,
  afterLeadId: number,
  limit: number,
  assign?: (leadId: number) => { pilot: boolean; variant: string | null },
): Promise<{ lastLeadId: number; leads: number }> {
  const query = whereInAudience(db('leads'), audience).where('id', '>', afterLeadId).orderBy('id').limit(limit).select('id');
  const ids: number[] = (await query).map((r: { id: string | number }) => Number(r.id));
  if (ids.length) {
    await db('campaign_deliveries')
      .insert(ids.map((leadId) => ({ campaign_id: campaignId, lead_id: leadId, status: 'queued', ...assign?.(leadId) })))
      .onConflict(['campaign_id', 'lead_id'])
      .ignore();
  }
  return { lastLeadId: ids.at(-1) ?? afterLeadId, leads: ids.length };
}

/** How many leads an audience holds now (the composer's estimate), and how many of them can receive. */
export interface AudienceSize {
  total: number;
  /** Not opted out and not blocked: the rest get a skipped or blocked record instead of the message. */
  reachable: number;
}

export async function audienceSize(db: Knex, audience: CampaignAudience): Promise<AudienceSize> {
  const row = await whereInAudience(db('leads'), audience)
    .first(db.raw('count(*)::int as total'), db.raw('(count(*) filter (where not opted_out and not blocked))::int as reachable'));
  return { total: row?.total ?? 0, reachable: row?.reachable ?? 0 };
}

/**
 * The audience's filters on a `leads` query; an absent or empty filter means "any". Tags are survey
 * answers (`leads.answers`, question id → option code) written `question=answer`: tags on the same
 * question are alternatives, tags on different questions must all hold (`q1=a, q1=b, q3=c` reads
 * "q1 is a or b, and q3 is c"). Activity counts from `leads.last_inbound_at`; a lead who never wrote
 * counts as inactive.
 */
function whereInAudience(query: Knex.QueryBuilder, audience: CampaignAudience): Knex.QueryBuilder {
  if (audience.segments?.length) query.whereIn('segment', audience.segments);
  if (audience.sources?.length) query.whereIn('source', audience.sources);
  if (audience.stages?.length) query.whereIn('stage', audience.stages);
  if (audience.scoreMin !== undefined) query.where('score', '>=', audience.scoreMin);
  if (audience.scoreMax !== undefined) query.where('score', '<=', audience.scoreMax);
  const tags = tagsByQuestion(audience.tags ?? []);
  // The schema refuses a tag without `=`; a stored one must narrow the audience to nobody, never widen it.
  if (!tags) query.whereRaw('false');
  for (const [question, answers] of tags ?? []) {
    query.whereRaw(`answers->>? in (${answers.map(() => '?').join(', ')})`, [question, ...answers]);
  }
  if (audience.activeWithinDays !== undefined) query.whereRaw(`last_inbound_at >= now() - make_interval(days => ?)`, [audience.activeWithinDays]);
  const inactiveFor = audience.inactiveForDays;
  if (inactiveFor !== undefined) {
    query.where((q) => q.whereNull('last_inbound_at').orWhereRaw(`last_inbound_at < now() - make_interval(days => ?)`, [inactiveFor]));
  }
  return query;
}

/** null when a tag is malformed. */
function tagsByQuestion(tags: string[]): Map<string, string[]> | null {
  const byQuestion = new Map<string, string[]>();
  for (const tag of tags) {
    const at = tag.indexOf('=');
    if (at <= 0) return null;
    const question = tag.slice(0, at).trim();
    byQuestion.set(question, [...(byQuestion.get(question) ?? []), tag.slice(at + 1).trim()]);
  }
  return byQuestion;
}

/**
 * The next deliveries to send. In an A/B test only those with a variant are ready: the pilot at
 * first, the rest once the winner is assigned to them.
 */
export async function queuedDeliveries(db: Knex, campaignId: number, limit: number, options: { withVariantOnly?: boolean } = {}): Promise<QueuedDelivery[]> {
  const query = db('campaign_deliveries as d');
  if (options.withVariantOnly) query.whereNotNull('d.variant');
  const rows = await query
    .join('leads as l', 'l.id', 'd.lead_id')
    .where({ 'd.campaign_id': campaignId, 'd.status': 'queued' })
    .orderBy('d.id')
    .limit(limit)
    .select('d.id', 'd.campaign_id', 'd.lead_id', 'd.variant', 'l.telegram_user_id', 'l.chat_id', db.raw(`${effectiveModeSql('l')} as mode`), 'l.blocked', 'l.opted_out');
  return rows.map((r) => ({ ...r, id: Number(r.id), campaign_id: Number(r.campaign_id), lead_id: Number(r.lead_id), telegram_user_id: Number(r.telegram_user_id), chat_id: Number(r.chat_id) }));
}

export async function settleDelivery(
  db: Knex,
  deliveryId: number,
  outcome: { status: Exclude<DeliveryStatus, 'queued'>; reason?: string; telegramMessageId?: number },
): Promise<void> {
  await db('campaign_deliveries')
    .where({ id: deliveryId })
    .update({
      status: outcome.status,
      reason: outcome.reason?.slice(0, 1000) ?? null,
      telegram_message_id: outcome.telegramMessageId ?? null,
      sent_at: outcome.status === 'sent' ? db.fn.now() : null,
      updated_at: db.fn.now(),
    });
}

/** Another campaign's message the lead got within the last `hours`, if any (the frequency cap). */
export async function recentBroadcastTo(db: Knex, leadId: number, campaignId: number, hours: number): Promise<{ name: string } | undefined> {
  return db('campaign_deliveries as d')
    .join('campaigns as c', 'c.id', 'd.campaign_id')
    .where({ 'd.lead_id': leadId, 'd.status': 'sent' })
    .whereNot('d.campaign_id', campaignId)
    .where('d.sent_at', '>', db.raw('now() - make_interval(hours => ?)', [hours]))
    .first('c.name');
}

/** The winner goes to everyone outside the pilot who is still waiting. */
export async function assignWinnerToRest(db: Knex, campaignId: number, winner: string): Promise<number> {
  return db('campaign_deliveries')
    .where({ campaign_id: campaignId, pilot: false, status: 'queued' })
    .whereNull('variant')
    .update({ variant: winner, updated_at: db.fn.now() });
}

export async function abResultOf(db: Knex, campaignId: number): Promise<{ winner?: VariantKey; reason?: string } | null> {
  const row = await db('campaigns').where({ id: campaignId }).first('ab_result');
  return row?.ab_result ?? null;
}

export async function setAbResult(db: Knex, campaignId: number, result: Record<string, unknown>): Promise<void> {
  await db('campaigns').where({ id: campaignId }).update({ ab_result: JSON.stringify(result), updated_at: db.fn.now() });
}

/** A cancelled campaign's queued deliveries say so, rather than staying queued forever. */
export async function skipQueuedDeliveries(db: Knex, campaignId: number, reason: string): Promise<number> {
  return db('campaign_deliveries')
    .where({ campaign_id: campaignId, status: 'queued' })
    .update({ status: 'skipped', reason, updated_at: db.fn.now() });
}

export async function deliveryCounts(db: Knex, campaignId: number): Promise<DeliveryCounts> {
  const rows: { status: DeliveryStatus; n: number }[] = await db('campaign_deliveries')
    .where({ campaign_id: campaignId })
    .groupBy('status')
    .select('status', db.raw('count(*)::int as n'));
  const counts = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as DeliveryCounts;
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

function normalise(row: CampaignRow & { id: string | number; created_by: string | number | null }): CampaignRow {
  return {
    ...row,
    id: Number(row.id),
    created_by: row.created_by === null ? null : Number(row.created_by),
    content: normaliseContent(row.content),
    ab_test: row.ab_test ?? null,
  };
}

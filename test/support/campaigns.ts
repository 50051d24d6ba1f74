import type { Db } from '../../db/knex';
import { createCampaign, type CampaignAudience } from '../../db/campaigns';
import { uniqueUserId } from './db';

export interface SeededLead {
  leadId: number;
  telegramUserId: number;
}

/** A source no other test uses: a campaign whose audience names it reaches only this test's leads. */
export function uniqueSource(): string {
  return `bcast-test-${Math.random().toString(36).slice(2, 10)}`;
}

/** Leads written straight into Postgres (no conversation runs for them: the campaign reads their row). */
export async function seedLeads(db: Db, source: string, count: number, overrides: Record<string, unknown> = {}): Promise<SeededLead[]> {
  const rows = Array.from({ length: count }, () => {
    const id = uniqueUserId();
    return { telegram_user_id: id, chat_id: id, first_name: 'Лид', source, segment: 'warm', ...overrides };
  });
  const inserted = await db('leads').insert(rows).returning(['id', 'telegram_user_id']);
  return inserted.map((r: { id: string; telegram_user_id: string }) => ({ leadId: Number(r.id), telegramUserId: Number(r.telegram_user_id) }));
}

export async function seedCampaign(db: Db, audience: CampaignAudience, scheduledAt: Date | null = null, text = 'Открыт набор на новый поток!') {
  return createCampaign(db, { name: 'Новый поток', createdBy: null, content: { items: [{ kind: 'text', text }], buttons: [[{ text: 'Подробнее', url: 'https://school.example.com/new' }]] }, audience, scheduledAt });
}

export async function deliveryStatuses(db: Db, campaignId: number): Promise<Map<number, { status: string; reason: string | null }>> {
  const rows = await db('campaign_deliveries').where({ campaign_id: campaignId });
  return new Map(rows.map((r: { lead_id: string; status: string; reason: string | null }) => [Number(r.lead_id), { status: r.status, reason: r.reason }]));
}

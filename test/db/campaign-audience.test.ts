import { audienceSize, createCampaign, snapshotAudienceChunk, type CampaignAudience } from '../../db/campaigns';
import type { Db } from '../../db/knex';
import { seedLeads, uniqueSource } from '../support/campaigns';
import { testDb } from '../support/db';

let db: Db;
beforeAll(() => {
  db = testDb();
});
afterAll(async () => {
  await db?.destroy();
});

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);

/**
 * Leads of one source (so other files' leads never count) with every field the filters read:
 * who they are is in their first name, so a failing test says which lead was wrongly in or out.
 */
async function seedAudience() {
  const source = uniqueSource();
  const lead = async (name: string, fields: Record<string, unknown>) => (await seedLeads(db, source, 1, { first_name: name, ...fields }))[0].leadId;
  const ids = {
    hotCloser: await lead('hot closer', { segment: 'hot', score: 85, stage: 'closing', answers: JSON.stringify({ q1: 'trading', q3: 'one_month' }), last_inbound_at: daysAgo(1) }),
    warmGoal: await lead('warm goal', { segment: 'warm', score: 55, stage: 'goal', answers: JSON.stringify({ q1: 'crypto_long', q3: 'one_month' }), last_inbound_at: daysAgo(10) }),
    coldSilent: await lead('cold silent', { segment: 'cold', score: 10, stage: 'opening', answers: JSON.stringify({ q1: 'no_experience' }), last_inbound_at: daysAgo(60) }),
    neverWrote: await lead('never wrote', { segment: null, score: null, stage: 'opening', last_inbound_at: null }),
    optedOut: await lead('opted out', { segment: 'hot', score: 90, stage: 'closing', opted_out: true, answers: JSON.stringify({ q1: 'trading' }), last_inbound_at: daysAgo(2) }),
  };
  return { source, ids };
}

async function namesIn(source: string, audience: CampaignAudience): Promise<string[]> {
  const campaign = await createCampaign(db, { name: 'audience test', createdBy: null, content: { items: [{ kind: 'text', text: 'x' }] }, audience: { ...audience, sources: [source] }, scheduledAt: null });
  await snapshotAudienceChunk(db, campaign.id, campaign.audience, 0, 10_000);
  const rows = await db('campaign_deliveries as d').join('leads as l', 'l.id', 'd.lead_id').where('d.campaign_id', campaign.id).orderBy('l.first_name').select('l.first_name');
  return rows.map((r: { first_name: string }) => r.first_name);
}

describe('campaign audience filters in Postgres', () => {
  it('each filter picks the leads it names, and the snapshot and the estimate agree', async () => {
    const { source } = await seedAudience();
    const cases: [CampaignAudience, string[]][] = [
      [{}, ['cold silent', 'hot closer', 'never wrote', 'opted out', 'warm goal']],
      [{ scoreMin: 50 }, ['hot closer', 'opted out', 'warm goal']],
      [{ scoreMin: 50, scoreMax: 86 }, ['hot closer', 'warm goal']],
      [{ scoreMax: 20 }, ['cold silent']],
      [{ stages: ['goal', 'closing'] }, ['hot closer', 'opted out', 'warm goal']],
      [{ tags: ['q1=trading'] }, ['hot closer', 'opted out']],
      // Tags on one question are alternatives; on different questions all must hold.
      [{ tags: ['q1=trading', 'q1=crypto_long'] }, ['hot closer', 'opted out', 'warm goal']],
      [{ tags: ['q1=trading', 'q1=crypto_long', 'q3=one_month'] }, ['hot closer', 'warm goal']],
      [{ activeWithinDays: 7 }, ['hot closer', 'opted out']],
      [{ inactiveForDays: 30 }, ['cold silent', 'never wrote']],
      [{ inactiveForDays: 5, activeWithinDays: 30 }, ['warm goal']],
      [{ segments: ['hot'], scoreMin: 80, activeWithinDays: 3 }, ['hot closer', 'opted out']],
    ];
    for (const [audience, expected] of cases) {
      expect({ audience, names: await namesIn(source, audience) }).toEqual({ audience, names: expected });
      const size = await audienceSize(db, { ...audience, sources: [source] });
      expect({ audience, total: size.total }).toEqual({ audience, total: expected.length });
    }
  });

  it('the estimate says how many can actually receive: opted-out and blocked leads are counted apart', async () => {
    const { source, ids } = await seedAudience();
    await db('leads').where({ id: ids.coldSilent }).update({ blocked: true });
    expect(await audienceSize(db, { sources: [source] })).toEqual({ total: 5, reachable: 3 });
    expect(await audienceSize(db, { sources: [source], segments: ['hot'] })).toEqual({ total: 2, reachable: 1 });
  });

  it('a malformed stored tag narrows the audience to nobody rather than dropping the filter', async () => {
    const { source } = await seedAudience();
    expect(await audienceSize(db, { sources: [source], tags: ['q1'] })).toEqual({ total: 0, reachable: 0 });
  });
});

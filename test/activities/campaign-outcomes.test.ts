import pino from 'pino';
import { createJourneyActivities } from '../../activities/journey';
import { createLeadsActivities } from '../../activities/leads';
import { createCampaign } from '../../db/campaigns';
import { openHandoff } from '../../db/handoffs';
import type { Db } from '../../db/knex';
import { seedLeads, uniqueSource, type SeededLead } from '../support/campaigns';
import { testDb } from '../support/db';

let db: Db;
const logger = pino({ level: 'silent' });
beforeAll(() => void (db = testDb()));
afterAll(() => db.destroy());

async function delivery(lead: SeededLead, fields: Record<string, unknown> = {}): Promise<number> {
  const campaign = await createCampaign(db, { name: 'Итоги', createdBy: null, content: { items: [{ kind: 'text', text: 'x' }] }, audience: {}, scheduledAt: null });
  const [row] = await db('campaign_deliveries').insert({ campaign_id: campaign.id, lead_id: lead.leadId, status: 'sent', sent_at: db.fn.now(), ...fields }).returning('id');
  return Number(row.id);
}
const outcomes = async (id: number) => db('campaign_deliveries').where({ id }).first('replied_at', 'converted_at', 'paid_at', 'unsubscribed_at');

describe('what leads do after a broadcast is marked on their deliveries', () => {
  it('a request and an opt-out are marked on the recent delivery, once', async () => {
    const [lead] = await seedLeads(db, uniqueSource(), 1);
    const id = await delivery(lead);
    await createLeadsActivities({ db, logger }).recordLeadEvent({ leadId: lead.leadId, type: 'purchase_intent', idempotencyKey: `t-${id}-intent` });
    const first = await outcomes(id);
    expect(first.converted_at).toBeInstanceOf(Date);
    await createLeadsActivities({ db, logger }).recordLeadEvent({ leadId: lead.leadId, type: 'request_started', idempotencyKey: `t-${id}-request` });
    expect((await outcomes(id)).converted_at).toEqual(first.converted_at);
    await createJourneyActivities({ db, logger }).setOptedOut({ leadId: lead.leadId, optedOut: true });
    expect((await outcomes(id)).unsubscribed_at).toBeInstanceOf(Date);
    expect((await outcomes(id)).replied_at).toBeNull();
  });

  it('asking for a manager counts as a request; an event that is not a request does not', async () => {
    const [lead] = await seedLeads(db, uniqueSource(), 1);
    const id = await delivery(lead);
    await createLeadsActivities({ db, logger }).recordLeadEvent({ leadId: lead.leadId, type: 'bonus_taken', idempotencyKey: `t-${id}-bonus` });
    expect((await outcomes(id)).converted_at).toBeNull();
    await openHandoff(db, { workflowId: `handoff-outcome-${id}`, leadId: lead.leadId, trigger: 'contact_form', priority: 70 });
    expect((await outcomes(id)).converted_at).toBeInstanceOf(Date);
  });

  it('a delivery that was skipped, or sent more than a week ago, is not credited', async () => {
    const [lead] = await seedLeads(db, uniqueSource(), 1);
    const skipped = await delivery(lead, { status: 'skipped', sent_at: null });
    const old = await delivery(lead, { sent_at: db.raw(`now() - interval '8 days'`) });
    await createLeadsActivities({ db, logger }).recordLeadEvent({ leadId: lead.leadId, type: 'manager_requested', idempotencyKey: `t-${old}-mgr` });
    expect((await outcomes(skipped)).converted_at).toBeNull();
    expect((await outcomes(old)).converted_at).toBeNull();
  });
});

import { WorkflowClient } from '@temporalio/client';
import { broadcastCampaignWorkflowType, campaignWorkflowId, type CampaignProgress } from '../../workflows/broadcast-campaign/contract';
import { domainEventSignal, leadWorkflowId } from '../../workflows/lead-conversation/contract';
import { setLeadStatus } from '../../db/handoffs';
import { deliveryStatuses, seedCampaign, seedLeads, uniqueSource } from '../support/campaigns';
import { eventually } from '../support/eventually';
import { handoffDesk } from '../support/handoff-desk';
import { useLeadHarness } from '../support/lead-harness';
import { resultInRealTime } from '../support/temporal';
import { text, type TestUser } from '../support/updates';

const h = useLeadHarness({ serverPerTest: true });
const desk = handoffDesk(h);
const CAMPAIGN_TEXT = 'Открыт набор на новый поток!';

/** Every workflow query made through any client of this process (the worker's included). */
function countQueries() {
  return jest.spyOn(WorkflowClient.prototype as unknown as { _queryWorkflowHandler: (input: unknown) => Promise<unknown> }, '_queryWorkflowHandler');
}

const campaignMessagesTo = (lead: TestUser) => h.fake.callsTo('sendMessage', lead.id).filter((c) => c.params.text === CAMPAIGN_TEXT).length;
const leadRow = (lead: TestUser) => h.db('leads').where({ telegram_user_id: lead.id }).first();

describe('a campaign to leads with live conversations reads their mode from Postgres', () => {
  it('sends to the lead with the bot and to the customer, skips the one a manager holds and the opted out, marks the blocker: no workflow query at all', async () => {
    const [inBot, held, optedOut, customer, blocker] = [h.newLead(), h.newLead(), h.newLead(), h.newLead(), h.newLead()];
    const all = [inBot, held, optedOut, customer, blocker];
    // The worker as the system builds it: its activities have a Temporal client (the handoff's use it).
    const { oleg, bot, worker } = await desk.setup();
    const queries = countQueries();
    try {
      const outcome = await worker.runUntil(async () => {
        for (const lead of [inBot, optedOut, customer, blocker]) await h.conversations().deliver(text(lead, '/start'));
        await desk.askForManager(held);
        expect(await desk.pressCard(bot, oleg, desk.takeData(held))).toContain('Лид ваш');
        await h.conversations().deliver(text(optedOut, '/stop'));
        await h.env.client.workflow.getHandle(leadWorkflowId(customer.id)).signal(domainEventSignal, { id: 'payment-1-paid', name: 'payment_paid', payload: { orderId: 1 } });
        await h.fake.waitFor(() => h.fake.callsTo('sendMessage', blocker.id).length > 0);
        h.fake.blockUser(blocker.id);
        await h.conversations().deliver(text(blocker, 'Сколько стоит курс?'));

        // Each conversation wrote its mode when it changed (the blocker's reply met a 403).
        await eventually('the conversations wrote their modes', async () => {
          const [a, b, c, d, e] = await Promise.all(all.map(leadRow));
          return a?.conversation_mode === 'bot' && b?.conversation_mode === 'with_manager' && c?.conversation_mode === 'opted_out' && d?.conversation_mode === 'customer' && e?.blocked === true;
        });
        const source = uniqueSource();
        await h.db('leads').whereIn('telegram_user_id', all.map((lead) => lead.id)).update({ source });
        const campaign = await seedCampaign(h.db, { sources: [source] });
        queries.mockClear();
        const handle = await h.env.client.workflow.start(broadcastCampaignWorkflowType, { taskQueue: h.taskQueue, workflowId: campaignWorkflowId(campaign.id), args: [{ campaignId: campaign.id }] });
        const progress = await resultInRealTime<CampaignProgress>(handle);
        return { progress, statuses: await deliveryStatuses(h.db, campaign.id) };
      });

      expect(queries).not.toHaveBeenCalled();
      expect(all.map(campaignMessagesTo)).toEqual([1, 0, 0, 1, 0]);
      const leadIds = await Promise.all(all.map(async (lead) => Number((await leadRow(lead)).id)));
      expect(leadIds.map((id) => outcome.statuses.get(id))).toEqual([
        { status: 'sent', reason: null },
        { status: 'skipped', reason: 'in a manager dialog' },
        { status: 'skipped', reason: 'opted out' },
        { status: 'sent', reason: null },
        { status: 'blocked', reason: 'the lead blocked the bot' },
      ]);
      expect(outcome.progress.counts).toMatchObject({ sent: 2, skipped: 2, blocked: 1, queued: 0 });
    } finally {
      queries.mockRestore();
    }
  });

  it('a lead a manager takes while its message waits for a slot gets nothing: the row is read again just before the send', async () => {
    const source = uniqueSource();
    const leads = await seedLeads(h.db, source, 2);
    const campaign = await seedCampaign(h.db, { sources: [source] });
    // One message a second: the batch read both rows as free, and the lead whose lane got the later
    // slot waits about a second for it.
    const worker = await h.worker({ broadcastRatePerSecond: 1, leadWorkflows: h.env.client.workflow });
    let taken = leads[0];
    const outcome = await worker.runUntil(async () => {
      const handle = await h.env.client.workflow.start(broadcastCampaignWorkflowType, { taskQueue: h.taskQueue, workflowId: campaignWorkflowId(campaign.id), args: [{ campaignId: campaign.id }] });
      await h.fake.waitFor(() => leads.some((lead) => h.fake.callsTo('sendMessage', lead.telegramUserId).length === 1));
      taken = leads.find((lead) => h.fake.callsTo('sendMessage', lead.telegramUserId).length === 0) ?? taken;
      // What the handoff writes when a manager presses Take (db/handoffs.ts markTaken).
      await setLeadStatus(h.db, taken.leadId, 'assigned', { mode: 'with_manager' });
      return resultInRealTime<CampaignProgress>(handle);
    });
    expect(h.fake.callsTo('sendMessage', taken.telegramUserId)).toHaveLength(0);
    expect((await deliveryStatuses(h.db, campaign.id)).get(taken.leadId)).toEqual({ status: 'skipped', reason: 'in a manager dialog' });
    expect(outcome.counts).toMatchObject({ sent: 1, skipped: 1, queued: 0 });
  });
});

import pino from 'pino';
import { launchCampaign, type CampaignDraft } from '../../api/campaign-launch';
import { CampaignWorkflows, type CampaignWorkflowsPort } from '../../api/campaign-workflows';
import { campaignWorkflowId, type BroadcastCampaignInput, type CampaignProgress } from '../../workflows/broadcast-campaign/contract';
import { seedLeads, uniqueSource, type SeededLead } from '../support/campaigns';
import { useLeadHarness } from '../support/lead-harness';

const h = useLeadHarness({ serverPerTest: true });
const logger = pino({ level: 'silent' });

/**
 * The real campaign workflows behind a flaky line: the first `start` reaches Temporal and then throws
 * to the caller (the answer was lost); later ones throw before reaching it while `cutAfterFirst` holds.
 */
class LostAnswer implements CampaignWorkflowsPort {
  starts = 0;
  constructor(
    private readonly real: CampaignWorkflowsPort,
    private readonly cutAfterFirst: boolean,
  ) {}
  async start(input: BroadcastCampaignInput) {
    this.starts += 1;
    if (this.starts === 1) {
      await this.real.start(input);
      throw new Error('14 UNAVAILABLE: connection reset before the answer came');
    }
    if (this.cutAfterFirst) throw new Error('14 UNAVAILABLE: no connection');
    return this.real.start(input);
  }
  command(...args: Parameters<CampaignWorkflowsPort['command']>) {
    return this.real.command(...args);
  }
  pickWinner(...args: Parameters<CampaignWorkflowsPort['pickWinner']>) {
    return this.real.pickWinner(...args);
  }
}

function draft(source: string): CampaignDraft {
  return { name: 'Новый поток', createdBy: null, content: { items: [{ kind: 'text', text: 'Открыт набор!' }] }, audience: { sources: [source] }, scheduledAt: null };
}

const sendsTo = (leads: SeededLead[]) => leads.map((lead) => h.fake.callsTo('sendMessage', lead.telegramUserId).length);
const statusOf = async (campaignId: number) => (await h.db('campaigns').where({ id: campaignId }).first()).status;

describe('launching a campaign when Temporal does not answer clearly', () => {
  it('a start that reached Temporal but threw: the retry finds the running campaign and reports it; each lead gets it once', async () => {
    const source = uniqueSource();
    const leads = await seedLeads(h.db, source, 3);
    const workflows = new LostAnswer(new CampaignWorkflows(h.env.client, h.taskQueue, { queue: h.taskQueue, batchSize: 50 }), false);

    const launch = await launchCampaign({ db: h.db, workflows, logger, startRetryDelaysMs: [0, 0] }, draft(source));

    expect(launch.launched).toBe(true);
    expect(workflows.starts).toBe(2);
    const campaignId = launch.launched ? launch.campaign.id : launch.campaignId;
    const worker = await h.worker({ leadWorkflows: h.env.client.workflow });
    const outcome = (await worker.runUntil(h.env.client.workflow.getHandle(campaignWorkflowId(campaignId)).result())) as CampaignProgress;
    expect(outcome.phase).toBe('completed');
    expect(sendsTo(leads)).toEqual([1, 1, 1]);
    expect(await statusOf(campaignId)).toBe('completed');
    expect(Number((await h.db('campaigns').where({ name: 'Новый поток' }).whereRaw(`audience->'sources' \\? ?`, [source]).count('* as n'))[0].n)).toBe(1);
  });

  it('a launch that cannot tell is withdrawn: its stray workflow never sets the row running nor sends; the editor retries and each lead gets it once', async () => {
    const source = uniqueSource();
    const leads = await seedLeads(h.db, source, 3);
    const real = new CampaignWorkflows(h.env.client, h.taskQueue, { queue: h.taskQueue, batchSize: 50 });

    // No worker yet: the stray workflow has not moved when the launch gives up.
    const failed = await launchCampaign({ db: h.db, workflows: new LostAnswer(real, true), logger, startRetryDelaysMs: [0, 0] }, draft(source));
    expect(failed.launched).toBe(false);
    const strayId = failed.launched ? failed.campaign.id : failed.campaignId;
    expect(await statusOf(strayId)).toBe('cancelled');

    const worker = await h.worker({ leadWorkflows: h.env.client.workflow });
    const retried = await worker.runUntil(async () => {
      const stray = (await h.env.client.workflow.getHandle(campaignWorkflowId(strayId)).result()) as CampaignProgress;
      expect(stray.phase).toBe('cancelled');
      expect(await statusOf(strayId)).toBe('cancelled');
      expect(sendsTo(leads)).toEqual([0, 0, 0]);

      const again = await launchCampaign({ db: h.db, workflows: real, logger }, draft(source));
      expect(again.launched).toBe(true);
      const againId = again.launched ? again.campaign.id : again.campaignId;
      return (await h.env.client.workflow.getHandle(campaignWorkflowId(againId)).result()) as CampaignProgress;
    });
    expect(retried.phase).toBe('completed');
    expect(sendsTo(leads)).toEqual([1, 1, 1]);
  });
});

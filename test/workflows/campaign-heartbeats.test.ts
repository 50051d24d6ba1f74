import { broadcastCampaignWorkflowType, campaignWorkflowId, type CampaignProgress } from '../../workflows/broadcast-campaign/contract';
import { seedCampaign, seedLeads, uniqueSource } from '../support/campaigns';
import { useLeadHarness } from '../support/lead-harness';

const h = useLeadHarness();

/**
 * The heartbeat timeout Temporal enforces on each activity a campaign scheduled, read from its history.
 * Temporal cuts an activity that sends no heartbeat within it and retries it; only the send batch
 * heartbeats, so only the send batch may have one (the time-skipping server does not skip activity
 * time, and a real slow query would make this test wait over a minute).
 */
async function heartbeatTimeouts(workflowId: string): Promise<Map<string, number[]>> {
  const history = await h.env.client.workflow.getHandle(workflowId).fetchHistory();
  const byActivity = new Map<string, number[]>();
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (!scheduled) continue;
    const name = scheduled.activityType?.name ?? '?';
    const seconds = Number(scheduled.heartbeatTimeout?.seconds ?? 0);
    byActivity.set(name, [...(byActivity.get(name) ?? []), seconds]);
  }
  return byActivity;
}

describe('campaign activity timeouts', () => {
  it('snapshot, status and finish (which never heartbeat) carry no heartbeat timeout; the send batch does', async () => {
    const source = uniqueSource();
    await seedLeads(h.db, source, 2);
    const campaign = await seedCampaign(h.db, { sources: [source] });
    const worker = await h.worker({ leadWorkflows: h.env.client.workflow });
    const outcome = (await worker.runUntil(
      h.env.client.workflow.execute(broadcastCampaignWorkflowType, { taskQueue: h.taskQueue, workflowId: campaignWorkflowId(campaign.id), args: [{ campaignId: campaign.id }] }),
    )) as CampaignProgress;
    expect(outcome.phase).toBe('completed');

    const timeouts = await heartbeatTimeouts(campaignWorkflowId(campaign.id));
    expect(Object.fromEntries([...timeouts].filter(([name]) => name !== 'sendCampaignBatch'))).toEqual({
      markCampaignStatus: [0],
      snapshotCampaignAudience: [0],
      finishCampaign: [0],
      reportCampaign: [0],
    });
    expect(timeouts.get('sendCampaignBatch')?.every((seconds) => seconds > 0)).toBe(true);
  });
});

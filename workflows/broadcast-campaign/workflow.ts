import { condition, continueAsNew, proxyActivities, setHandler } from '@temporalio/workflow';
import type { CampaignActivities } from '../../activities/campaigns';
import {
  campaignProgressQuery,
  cancelCampaignSignal,
  pauseCampaignSignal,
  resumeCampaignSignal,
  type BroadcastCampaignInput,
  type CampaignPhase,
  type CampaignProgress,
} from './contract';
import { campaignSender } from './send-queue';

const campaigns = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '10m',
  // A batch reports after every lead: a dead worker's batch is retried elsewhere within a minute.
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * One broadcast: waits for its schedule, snapshots the audience into delivery records, then sends
 * batch after batch. Every message is claimed under `campaign-<id>/<lead id>` before it goes out,
 * so a batch retried after a crash (or re-run after continue-as-new) never sends a lead twice.
 */
export async function broadcastCampaignWorkflow(input: BroadcastCampaignInput): Promise<CampaignProgress> {
  const carried = input.carriedOver;
  let phase: CampaignPhase = carried?.phase ?? 'waiting';
  let paused = carried?.paused ?? false;
  let cancelled = false;
  let counts = carried?.counts ?? null;
  const progress = (): CampaignProgress => ({ campaignId: input.campaignId, phase, paused, counts });

  setHandler(campaignProgressQuery, progress);
  setHandler(pauseCampaignSignal, () => void (paused = true));
  setHandler(resumeCampaignSignal, () => void (paused = false));
  setHandler(cancelCampaignSignal, () => void (cancelled = true));

  if (phase === 'waiting') {
    const waitMs = input.scheduledAt ? Date.parse(input.scheduledAt) - Date.now() : 0;
    if (waitMs > 0) await condition(() => cancelled, waitMs);
    phase = 'snapshot';
  }

  async function finish(outcome: 'completed' | 'cancelled'): Promise<CampaignProgress> {
    counts = await campaigns.finishCampaign({ campaignId: input.campaignId, outcome });
    phase = outcome;
    return progress();
  }

  if (cancelled) return finish('cancelled');
  await campaigns.markCampaignStatus({ campaignId: input.campaignId, status: paused ? 'paused' : 'running' });

  let snapshotAfterLeadId = carried?.snapshotAfterLeadId ?? 0;
  while (phase === 'snapshot') {
    if (cancelled) return finish('cancelled');
    const chunk = await campaigns.snapshotCampaignAudience({ campaignId: input.campaignId, afterLeadId: snapshotAfterLeadId, limit: input.snapshotChunk ?? 1000 });
    snapshotAfterLeadId = chunk.lastLeadId;
    if (chunk.done) phase = 'sending';
  }

  const batchesPerRun = input.batchesPerRun ?? 100;
  for (let batches = 0; ; batches++) {
    if (paused) {
      await campaigns.markCampaignStatus({ campaignId: input.campaignId, status: 'paused' });
      await condition(() => !paused || cancelled);
      if (!cancelled) await campaigns.markCampaignStatus({ campaignId: input.campaignId, status: 'running' });
    }
    if (cancelled) return finish('cancelled');
    if (batches >= batchesPerRun) {
      await continueAsNew<typeof broadcastCampaignWorkflow>({ ...input, carriedOver: { phase: 'sending', snapshotAfterLeadId, paused, counts } });
    }
    const batch = await campaignSender(input, campaigns).sendCampaignBatch({ campaignId: input.campaignId, limit: input.batchSize ?? 50 });
    counts = batch.counts;
    if (batch.processed === 0) return finish('completed');
  }
}

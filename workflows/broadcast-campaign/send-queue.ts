import { patched, proxyActivities } from '@temporalio/workflow';
import type { CampaignActivities } from '../../activities/campaigns';
import type { BroadcastCampaignInput } from './contract';

/** The patch that moved send batches onto the broadcast queue; histories from before it replay on the main queue. */
export const BROADCAST_SEND_QUEUE_PATCH = 'broadcast-send-queue';

/**
 * The activities that send a campaign's batches: on the broadcast task queue named in the input
 * (served by the rate-limited broadcast worker), or `mainQueue` for a campaign started without one
 * or recorded before the patch.
 */
export function campaignSender(input: Pick<BroadcastCampaignInput, 'sendQueue'>, mainQueue: CampaignActivities): Pick<CampaignActivities, 'sendCampaignBatch'> {
  if (!input.sendQueue || !patched(BROADCAST_SEND_QUEUE_PATCH)) return mainQueue;
  return proxyActivities<CampaignActivities>({
    taskQueue: input.sendQueue,
    startToCloseTimeout: '10m',
    // A batch heartbeats after every lead and every 5 s of waiting for its slot: a dead worker's batch
    // moves to another broadcast worker within 20 s.
    heartbeatTimeout: '20s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  });
}

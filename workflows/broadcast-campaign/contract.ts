import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { DeliveryCounts } from '../../db/campaigns';

/** The workflow type name, for clients that start it without importing workflow code. */
export const broadcastCampaignWorkflowType = 'broadcastCampaignWorkflow';

/** One workflow per campaign: `campaign-<campaign id>`. */
export function campaignWorkflowId(campaignId: number): string {
  return `campaign-${campaignId}`;
}

/**
 * The idempotency key of a lead's campaign message (item `index` of the content): a re-run batch
 * finds it claimed and never sends twice. The first item keeps the key campaigns always had.
 */
export function campaignOutboundId(campaignId: number, leadId: number, index = 0): string {
  return index === 0 ? `campaign-${campaignId}/${leadId}` : `campaign-${campaignId}/${leadId}/${index}`;
}

export type CampaignPhase = 'waiting' | 'snapshot' | 'sending' | 'completed' | 'cancelled';

/** What one run hands the next at continue-as-new. */
export interface CampaignCarriedOver {
  phase: 'snapshot' | 'sending';
  snapshotAfterLeadId: number;
  paused: boolean;
  counts: DeliveryCounts | null;
}

export interface BroadcastCampaignInput {
  campaignId: number;
  /** ISO time; absent or past: send now. */
  scheduledAt?: string | null;
  /** Deliveries per send activity (default 50). */
  batchSize?: number;
  /** Leads per snapshot activity (default 1000). */
  snapshotChunk?: number;
  /** Continue-as-new after this many batches (default 100). */
  batchesPerRun?: number;
  /**
   * The rate-limited broadcast task queue the send batches run on (`BROADCAST_TASK_QUEUE`), so live
   * replies on the main queue keep their slots; absent (campaigns started before it existed): the main queue.
   */
  sendQueue?: string;
  carriedOver?: CampaignCarriedOver;
}

export interface CampaignProgress {
  campaignId: number;
  phase: CampaignPhase;
  paused: boolean;
  /** Deliveries by status as of the last batch (null before the first). */
  counts: DeliveryCounts | null;
}

export const pauseCampaignSignal = defineSignal('pauseCampaign');
export const resumeCampaignSignal = defineSignal('resumeCampaign');
export const cancelCampaignSignal = defineSignal('cancelCampaign');
export const campaignProgressQuery = defineQuery<CampaignProgress>('campaignProgress');

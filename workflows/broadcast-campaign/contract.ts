import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { DeliveryCounts } from '../../db/campaigns';
import type { VariantKey } from '../../domain/broadcasts/campaign';

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

export type CampaignPhase = 'waiting' | 'snapshot' | 'sending' | 'observing' | 'completed' | 'cancelled';

/** A too-small sample extends the A/B window (by the window again) this many times; then the editor decides. */
export const MAX_WINDOW_EXTENSIONS = 2;

/** Where an A/B test stands: sending the pilot, then (after observing) sending the winner to the rest. */
export type AbStage = 'pilot' | 'rest';

/** What one run hands the next at continue-as-new. */
export interface CampaignCarriedOver {
  phase: 'snapshot' | 'sending';
  snapshotAfterLeadId: number;
  paused: boolean;
  counts: DeliveryCounts | null;
  ab?: { stage: AbStage; winner: VariantKey | null; pickedByEditor?: VariantKey | null };
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
  /** An A/B test: the pilot first, then the winner to the rest after the observation window. */
  ab?: { windowHours: number };
}

export interface CampaignProgress {
  campaignId: number;
  phase: CampaignPhase;
  paused: boolean;
  /** Deliveries by status as of the last batch (null before the first). */
  counts: DeliveryCounts | null;
  /** An A/B test's state: the stage, the winner once picked, and when the current window ends. */
  ab?: { stage: AbStage | 'observing'; winner: VariantKey | null; observeUntil: string | null };
}

/** The editor picks the winner by hand (during the pilot or the observation). */
export const pickWinnerSignal = defineSignal<[VariantKey]>('pickWinner');
/** Stop waiting: a scheduled campaign starts now; an observing A/B test decides now on what it has. */
export const deliverNowSignal = defineSignal('deliverNow');
export const pauseCampaignSignal = defineSignal('pauseCampaign');
export const resumeCampaignSignal = defineSignal('resumeCampaign');
export const cancelCampaignSignal = defineSignal('cancelCampaign');
export const campaignProgressQuery = defineQuery<CampaignProgress>('campaignProgress');

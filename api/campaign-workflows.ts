import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import {
  broadcastCampaignWorkflowType,
  campaignWorkflowId,
  cancelCampaignSignal,
  deliverNowSignal,
  pauseCampaignSignal,
  pickWinnerSignal,
  resumeCampaignSignal,
  type BroadcastCampaignInput,
} from '../workflows/broadcast-campaign/contract';

import type { VariantKey } from '../domain/broadcasts/campaign';

export type CampaignCommand = 'pause' | 'resume' | 'cancel' | 'deliver-now';

/** What the api does with campaign workflows: start one, pause, resume or cancel it. */
export interface CampaignWorkflowsPort {
  /** Starts `campaign-<id>`; `already-started` when an earlier (perhaps unanswered) start got there first. */
  start(input: BroadcastCampaignInput): Promise<'started' | 'already-started'>;
  /** false: the campaign's workflow has ended, nothing was delivered. */
  command(campaignId: number, command: CampaignCommand): Promise<boolean>;
  /** The editor's A/B winner; false: the campaign's workflow has ended. */
  pickWinner(campaignId: number, variant: VariantKey): Promise<boolean>;
}

const signals = { pause: pauseCampaignSignal, resume: resumeCampaignSignal, cancel: cancelCampaignSignal, 'deliver-now': deliverNowSignal } as const;

/** Where and how a campaign's messages go out. */
export interface CampaignSending {
  /** The broadcast task queue (`broadcastTaskQueue(config)`). */
  queue: string;
  /** Leads per send batch (`broadcastBatchSize(rate)`). */
  batchSize: number;
}

/**
 * Leads per send batch: about 20 seconds of sending at the rate. The pause between two batches (a
 * workflow task, a new activity) leaves the shared pace idle; long batches make it a rounding error.
 */
export function broadcastBatchSize(ratePerSecond: number): number {
  return Math.max(50, Math.ceil(ratePerSecond * 20));
}

/** Campaign workflows through a Temporal client. */
export class CampaignWorkflows implements CampaignWorkflowsPort {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly sending: CampaignSending,
  ) {}

  async start(input: BroadcastCampaignInput): Promise<'started' | 'already-started'> {
    try {
      await this.client.workflow.start(broadcastCampaignWorkflowType, {
        workflowId: campaignWorkflowId(input.campaignId),
        taskQueue: this.taskQueue,
        // A campaign runs once: a retried start never begins a second run, even after the first ended.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        args: [{ sendQueue: this.sending.queue, batchSize: this.sending.batchSize, ...input }],
      });
      return 'started';
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return 'already-started';
      throw error;
    }
  }

  command(campaignId: number, command: CampaignCommand): Promise<boolean> {
    return this.signal(campaignId, (handle) => handle.signal(signals[command]));
  }

  pickWinner(campaignId: number, variant: VariantKey): Promise<boolean> {
    return this.signal(campaignId, (handle) => handle.signal(pickWinnerSignal, variant));
  }

  private async signal(campaignId: number, send: (handle: WorkflowHandle) => Promise<void>): Promise<boolean> {
    try {
      await send(this.client.workflow.getHandle(campaignWorkflowId(campaignId)));
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }
}

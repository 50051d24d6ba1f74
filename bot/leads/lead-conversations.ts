import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { InboundEvent } from '../../domain/inbound-event';
import {
  inboundSignal,
  leadConversationWorkflowType,
  leadWorkflowId,
  type LeadConversationInput,
} from '../../workflows/lead-conversation/contract';

/** Hands inbound events to each lead's conversation workflow, starting it on the first one. */
export class LeadConversations {
  private closed = false;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly logger: Logger,
    /** How long to keep trying to hand an update to Temporal before giving up on it. */
    private readonly options: { deadlineMs: number; timeZone?: string } = { deadlineMs: 60_000 },
  ) {}

  /** Stops retrying (shutdown): an update still in hand fails and Telegram keeps it. */
  close(): void {
    this.closed = true;
  }

  /**
   * signalWithStart is atomic: the workflow is started if needed and the event is queued in
   * one call. Temporal being briefly unreachable is retried, so a restart of the cluster loses nothing.
   */
  async deliver(event: InboundEvent): Promise<void> {
    const workflowId = leadWorkflowId(event.from.id);
    const input: LeadConversationInput = { telegramUserId: event.from.id, chatId: event.chatId, timeZone: this.options.timeZone };
    const deadline = Date.now() + this.options.deadlineMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.workflow.signalWithStart(leadConversationWorkflowType, {
          workflowId,
          taskQueue: this.taskQueue,
          args: [input],
          signal: inboundSignal,
          signalArgs: [event],
        });
        return;
      } catch (error) {
        if (this.closed || Date.now() > deadline) throw new UpdateNotDeliveredError(event.updateId, workflowId, error);
        this.logger.warn({ workflowId, updateId: event.updateId, attempt, err: String(error) }, 'signalWithStart failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 5000)));
      }
    }
  }
}

/** Temporal did not take an update within the deadline. */
export class UpdateNotDeliveredError extends Error {
  constructor(
    readonly updateId: number,
    readonly workflowId: string,
    override readonly cause: unknown,
  ) {
    super(`update ${updateId} not delivered to ${workflowId}: ${String(cause)}`);
    this.name = 'UpdateNotDeliveredError';
  }
}

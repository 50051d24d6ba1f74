import type { Client } from '@temporalio/client';
import { OPEN_DIALOG_EVENT } from '../../domain/lead-desk';
import { domainEventSignal, leadStateQuery, leadWorkflowId } from '../../workflows/lead-conversation/contract';
import {
  closeDialogUpdate,
  managerReplySignal,
  passDialogUpdate,
  releaseDialogSignal,
  salesScriptUpdate,
  takeLeadUpdate,
  type CloseRequest,
  type CloseResult,
  type ManagerReply,
  type PassRequest,
  type PassResult,
  type ReleaseDialog,
  type TakeRequest,
  type TakeResult,
} from '../../workflows/manager-handoff/contract';

/** The bot's way into handoff workflows: take, close and the sales script are updates (the manager needs the answer); replies and releases are signals. */
export class Handoffs {
  constructor(private readonly client: Client) {}

  take(workflowId: string, request: TakeRequest): Promise<TakeResult> {
    return this.client.workflow.getHandle(workflowId).executeUpdate(takeLeadUpdate, { args: [request] });
  }

  close(workflowId: string, request: CloseRequest): Promise<CloseResult> {
    return this.client.workflow.getHandle(workflowId).executeUpdate(closeDialogUpdate, { args: [request] });
  }

  salesScript(workflowId: string, requestedBy: number): Promise<string> {
    return this.client.workflow.getHandle(workflowId).executeUpdate(salesScriptUpdate, { args: [{ requestedBy }] });
  }

  reply(workflowId: string, reply: ManagerReply): Promise<void> {
    return this.client.workflow.getHandle(workflowId).signal(managerReplySignal, reply);
  }

  /** The holder passes the dialog to another manager. */
  pass(workflowId: string, request: PassRequest): Promise<PassResult> {
    return this.client.workflow.getHandle(workflowId).executeUpdate(passDialogUpdate, { args: [request] });
  }

  /** The lead's open handoff as their conversation knows it (null: none). */
  async openHandoffOf(telegramUserId: number): Promise<{ workflowId: string; phase: 'waiting' | 'taken' } | null> {
    const view = await this.client.workflow.getHandle(leadWorkflowId(telegramUserId)).query(leadStateQuery);
    return view.handoff;
  }

  /**
   * "Take dialog" on the lead card when the lead has no open handoff: the conversation opens one already
   * taken by the manager (a signal: the handoff itself tells the manager, in private, that the lead is theirs).
   * `requestId` (the press) makes a redelivered press harmless.
   */
  openDialog(telegramUserId: number, request: TakeRequest, requestId: string): Promise<void> {
    return this.client.workflow
      .getHandle(leadWorkflowId(telegramUserId))
      .signal(domainEventSignal, { id: `open-dialog/${requestId}`, name: OPEN_DIALOG_EVENT, payload: { ...request } });
  }

  /** The holder gives the dialog back to the queue, or lost their role: the dialog waits for the next taker. */
  release(workflowId: string, release: ReleaseDialog): Promise<void> {
    return this.client.workflow.getHandle(workflowId).signal(releaseDialogSignal, release);
  }
}

/** A staff member as the managers' chat sees them. */
export function staffName(user: { first_name: string; last_name?: string; username?: string }): string {
  return user.username ? `@${user.username}` : [user.first_name, user.last_name].filter(Boolean).join(' ');
}

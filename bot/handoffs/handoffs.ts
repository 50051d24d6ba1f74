import type { Client } from '@temporalio/client';
import {
  closeDialogUpdate,
  managerReplySignal,
  releaseDialogSignal,
  salesScriptUpdate,
  takeLeadUpdate,
  type CloseRequest,
  type CloseResult,
  type ManagerReply,
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

  /** The manager holding the dialog lost their role: the dialog goes back to the queue. */
  release(workflowId: string, release: ReleaseDialog): Promise<void> {
    return this.client.workflow.getHandle(workflowId).signal(releaseDialogSignal, release);
  }
}

/** A staff member as the managers' chat sees them. */
export function staffName(user: { first_name: string; last_name?: string; username?: string }): string {
  return user.username ? `@${user.username}` : [user.first_name, user.last_name].filter(Boolean).join(' ');
}

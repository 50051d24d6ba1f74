import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  paymentAfterCloseWorkflowId,
  paymentAfterCloseWorkflowType,
  type PaymentAfterCloseInput,
  cancelPaymentUpdate,
  confirmPaymentUpdate,
  paymentFailedSignal,
  paymentFlaggedSignal,
  paymentPaidSignal,
  paymentWorkflowId,
  paymentWorkflowType,
  type ManagerActionResult,
  type PaymentConfirmation,
  type PaymentInput,
  unmatchedPaymentWorkflowId,
  unmatchedPaymentWorkflowType,
} from '../../workflows/payment/contract';

/** What the bot and the api do with payment workflows: start one, confirm, cancel, report. */
export interface PaymentWorkflowsPort {
  start(input: PaymentInput): Promise<void>;
  /** false: the order's workflow has ended (paid, cancelled or expired), nothing was delivered. */
  paid(orderId: number, confirmation: PaymentConfirmation): Promise<boolean>;
  failed(orderId: number, failure: { reason: string; providerPayload?: Record<string, unknown> }): Promise<boolean>;
  flagged(orderId: number, reason: string): Promise<boolean>;
  /** null: the workflow has ended; the caller reads the order's status from Postgres. */
  confirm(orderId: number, by: number): Promise<ManagerActionResult | null>;
  cancel(orderId: number, by: number): Promise<ManagerActionResult | null>;
  /**
   * Money for an order whose workflow has ended: the managers are told by a short workflow whose id
   * comes from `paymentKey`; false when that payment was announced already (nothing new started).
   */
  paidAfterClose(input: PaymentAfterCloseInput, paymentKey: string): Promise<boolean>;
  /** Stars money for no known order (kept as payment flag `flagId`): the managers are told once per charge. */
  paidForNoOrder(flagId: number, chargeId: string): Promise<boolean>;
}

/** Payment workflows through a Temporal client. */
export class PaymentWorkflows implements PaymentWorkflowsPort {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  async start(input: PaymentInput): Promise<void> {
    await this.client.workflow.start(paymentWorkflowType, {
      workflowId: paymentWorkflowId(input.orderId),
      taskQueue: this.taskQueue,
      args: [input],
    });
  }

  paid(orderId: number, confirmation: PaymentConfirmation): Promise<boolean> {
    return this.whileRunning(() => this.handle(orderId).signal(paymentPaidSignal, confirmation).then(() => true), false);
  }

  failed(orderId: number, failure: { reason: string; providerPayload?: Record<string, unknown> }): Promise<boolean> {
    return this.whileRunning(() => this.handle(orderId).signal(paymentFailedSignal, failure).then(() => true), false);
  }

  flagged(orderId: number, reason: string): Promise<boolean> {
    return this.whileRunning(() => this.handle(orderId).signal(paymentFlaggedSignal, { reason }).then(() => true), false);
  }

  confirm(orderId: number, by: number): Promise<ManagerActionResult | null> {
    return this.whileRunning(() => this.handle(orderId).executeUpdate(confirmPaymentUpdate, { args: [{ by }] }), null);
  }

  cancel(orderId: number, by: number): Promise<ManagerActionResult | null> {
    return this.whileRunning(() => this.handle(orderId).executeUpdate(cancelPaymentUpdate, { args: [{ by }] }), null);
  }

  paidAfterClose(input: PaymentAfterCloseInput, paymentKey: string): Promise<boolean> {
    return this.startOnce(paymentAfterCloseWorkflowType, paymentAfterCloseWorkflowId(input.orderId, paymentKey), input);
  }

  paidForNoOrder(flagId: number, chargeId: string): Promise<boolean> {
    return this.startOnce(unmatchedPaymentWorkflowType, unmatchedPaymentWorkflowId(chargeId), { flagId });
  }

  /** A notice keyed by its payment: the same payment announced again, even after it went out, starts nothing. */
  private async startOnce(workflowType: string, workflowId: string, input: unknown): Promise<boolean> {
    try {
      await this.client.workflow.start(workflowType, { workflowId, taskQueue: this.taskQueue, args: [input], workflowIdReusePolicy: 'REJECT_DUPLICATE' });
      return true;
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw error;
    }
  }

  private handle(orderId: number) {
    return this.client.workflow.getHandle(paymentWorkflowId(orderId));
  }

  /** A workflow that has ended (or never existed) answers `ended`; any other error is thrown. */
  private async whileRunning<T, E>(call: () => Promise<T>, ended: E): Promise<T | E> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError || isCompletedError(error)) return ended;
      throw error;
    }
  }
}

/** Signals and updates to a closed workflow fail with NOT_FOUND / "workflow execution already completed". */
function isCompletedError(error: unknown): boolean {
  const text = `${(error as { message?: string })?.message ?? ''} ${String((error as { cause?: unknown })?.cause ?? '')}`;
  return /already completed|not found/i.test(text);
}

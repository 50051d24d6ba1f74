import type { WorkflowHandle } from '@temporalio/client';
import type { OrderRequest } from '../../activities/payments';
import { PaymentWorkflows } from '../../bot/payments/payment-workflows';
import { upsertLead } from '../../db/leads';
import { paymentWorkflowId, paymentWorkflowType, type PaymentInput, type PaymentOutcome } from '../../workflows/payment/contract';
import type { LeadHarness } from './lead-harness';
import { testDb } from './db';
import type { TestUser } from './updates';

/** Payment workflows on a lead harness: a lead in Postgres, an order, its workflow; ended after each test. */
export class PaymentTestKit {
  private started: string[] = [];

  /** Its own pool: the harness stand-in binds functions, and a Knex instance is one (db.raw would be lost). */
  readonly db = testDb();

  constructor(private readonly h: LeadHarness) {}

  /** A lead who exists in Postgres (as after their first message). */
  async lead(overrides: Partial<TestUser> = {}): Promise<TestUser & { leadId: number }> {
    const user = this.h.newLead(overrides);
    const row = await upsertLead(this.db, { id: user.id, firstName: user.first_name, username: user.username, languageCode: user.language_code }, user.id);
    return { ...user, leadId: Number(row.id) };
  }

  order(request: Omit<OrderRequest, 'telegramUserId'> & { telegramUserId: number }): Promise<PaymentInput> {
    return this.h.activities().createOrder(request);
  }

  async start(input: PaymentInput): Promise<WorkflowHandle> {
    this.started.push(paymentWorkflowId(input.orderId));
    return this.h.env.client.workflow.start(paymentWorkflowType, {
      workflowId: paymentWorkflowId(input.orderId),
      taskQueue: this.h.taskQueue,
      args: [input],
    });
  }

  workflows(): PaymentWorkflows {
    return new PaymentWorkflows(this.h.env.client, this.h.taskQueue);
  }

  result(handle: WorkflowHandle): Promise<PaymentOutcome> {
    return handle.result() as Promise<PaymentOutcome>;
  }

  orderRow(orderId: number) {
    return this.db('orders').where({ id: orderId }).first();
  }

  /** Waits (real time, I/O) until the order has `status` in Postgres. */
  async untilStatus(orderId: number, status: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: string | undefined;
    while (Date.now() < deadline) {
      last = (await this.orderRow(orderId))?.status;
      if (last === status) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`order ${orderId} is ${last}, not ${status}, after ${timeoutMs} ms`);
  }

  /** Payment workflows left running would stall a later test's time skip (see LeadHarness.endConversations). */
  async end(): Promise<void> {
    const ids = this.started.splice(0);
    await Promise.all(ids.map((id) => this.h.env.client.workflow.getHandle(id).terminate('test finished').catch(() => undefined)));
  }

  close(): Promise<void> {
    return this.db.destroy();
  }
}

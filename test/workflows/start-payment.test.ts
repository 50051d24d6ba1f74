import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { WorkflowFailedError } from '@temporalio/client';
import { paymentWorkflowId } from '../../workflows/payment/contract';
import { useLeadHarness } from '../support/lead-harness';
import { PaymentTestKit } from '../support/payments';

const h = useLeadHarness();
let payments: PaymentTestKit;
let code: string;

beforeAll(async () => {
  payments = new PaymentTestKit(h);
  // This file's own bundle: the stand-in workflow is test code, not part of the system's bundle.
  ({ code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/payment-starter'), logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } }));
}, 60_000);
afterAll(() => payments.close());

const worker = () => Worker.create({ connection: h.env.nativeConnection, taskQueue: h.taskQueue, workflowBundle: { code }, activities: h.activities() });

describe('startPayment, for the lead workflow', () => {
  it('creates the order and starts its payment workflow, which outlives the workflow that started it', async () => {
    const lead = await payments.lead();
    await (await worker()).runUntil(async () => {
      const orderId = await h.env.client.workflow.execute('paymentStarterWorkflow', {
        workflowId: `starter-${lead.id}`,
        taskQueue: h.taskQueue,
        args: [{ telegramUserId: lead.id, productCode: 'mentored_trading', type: 'instalment', method: 'link' }],
      });
      expect(await payments.orderRow(orderId)).toMatchObject({ lead_id: lead.leadId, type: 'instalment', amount: '496.67', currency: 'USD' });
      await h.until('sendMessage', lead, 1);
      expect(h.texts(lead)[0]).toContain('Первый платёж — 496.67 USD');
      const handle = h.env.client.workflow.getHandle(paymentWorkflowId(orderId));
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await handle.terminate('test finished');
    });
  });

  it('a Stars order starts the same way; a request that cannot become an order fails the caller, naming the problem', async () => {
    const lead = await payments.lead();
    await (await worker()).runUntil(async () => {
      const run = h.env.client.workflow.execute('paymentStarterWorkflow', {
        workflowId: `starter-${lead.id}`,
        taskQueue: h.taskQueue,
        args: [{ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'stars', amount: undefined }],
      });
      await expect(run).resolves.toBeGreaterThan(0); // crypto_start has a Stars price
      const bad = h.env.client.workflow.execute('paymentStarterWorkflow', {
        workflowId: `starter-bad-${lead.id}`,
        taskQueue: h.taskQueue,
        args: [{ telegramUserId: lead.id, productCode: 'no_such_product', type: 'full', method: 'link' }],
      });
      const error = await bad.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect(((error as WorkflowFailedError).cause?.cause as Error | undefined)?.message).toBe('no active product "no_such_product"');
      const orderId = await run;
      await h.env.client.workflow.getHandle(paymentWorkflowId(orderId)).terminate('test finished');
    });
  });
});

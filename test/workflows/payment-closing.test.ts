import pino from 'pino';
import { buildApi } from '../../api/app';
import { createMetrics } from '../../api/metrics';
import { PAYMENT_WEBHOOK_PATH, paymentSignature } from '../../api/payment-webhook-routes';
import { paymentAfterCloseWorkflowId, paymentCancelledSignal, type PaymentInput } from '../../workflows/payment/contract';
import { MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { PaymentTestKit } from '../support/payments';
import { Gate, thenRelease } from '../support/activity-gate';
import { testWorker } from '../support/temporal';

const h = useLeadHarness();
let payments: PaymentTestKit;
beforeAll(() => {
  payments = new PaymentTestKit(h);
});
afterEach(() => payments.end());
afterAll(() => payments.close());

const HOUR = 3_600_000;
const SECRET = 'webhook-secret';

const managerTexts = () => h.fake.callsTo('sendMessage', MANAGERS_CHAT).map((c) => String(c.params.text));
const lateNotices = (orderId: number) => managerTexts().filter((t) => t.includes(`Деньги пришли по закрытому заказу №${orderId} `));

/** A worker whose `closeOrder` or `recordOrderPaid` waits at the gate. */
async function gatedWorker(activity: 'closeOrder' | 'recordOrderPaid', gate: Gate) {
  const activities = h.activities();
  const held = activity === 'closeOrder' ? { closeOrder: gate.wrap(activities.closeOrder) } : { recordOrderPaid: gate.wrap(activities.recordOrderPaid) };
  return testWorker(h.env, h.taskQueue, { ...activities, ...held });
}

/** The api with the payment webhook, talking to this test's workflows; closed by the caller. */
function webhookApi() {
  const api = buildApi({
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    health: { postgres: async () => {}, temporal: async () => {} },
    payments: { secret: SECRET, db: payments.db, logger: pino({ level: 'silent' }), workflows: payments.workflows() },
  });
  const deliver = async (body: Record<string, unknown>) => {
    const payload = JSON.stringify(body);
    const response = await api.inject({
      method: 'POST',
      url: PAYMENT_WEBHOOK_PATH,
      payload,
      headers: { 'content-type': 'application/json', 'x-payment-signature': paymentSignature(SECRET, payload) },
    });
    expect(response.statusCode).toBe(200);
    return response.json() as { result: string; status?: string; reason?: string };
  };
  return { api, deliver };
}

async function fullOrder(): Promise<{ lead: Awaited<ReturnType<PaymentTestKit['lead']>>; input: PaymentInput }> {
  const lead = await payments.lead();
  const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'link' });
  return { lead, input };
}

describe('money and manager commands while an order is closing', () => {
  it('during expiry: confirm and cancel answer already_closed at once; a payment is flagged and the managers told, once', async () => {
    const { lead, input } = await fullOrder();
    const closing = new Gate();
    const { api, deliver } = webhookApi();
    const late = { order_id: input.orderId, status: 'paid', amount: 290, currency: 'USD', payment_id: 'during-expiry' };
    try {
      await (await gatedWorker('closeOrder', closing)).runUntil(
        thenRelease(closing, async () => {
        const handle = await payments.start({ ...input, timing: { reminderAfterMs: [], expireAfterMs: HOUR } });
        await payments.untilStatus(input.orderId, 'sent');
        await h.env.sleep(HOUR); // the expiry timer fires; closeOrder waits at the gate
        await closing.entered;

        // Answered while the order is still closing (the gate is shut): nobody waits on it.
        expect(await payments.workflows().confirm(input.orderId, 777)).toEqual({ outcome: 'already_closed', status: 'expired' });
        expect(await payments.workflows().cancel(input.orderId, 777)).toEqual({ outcome: 'already_closed', status: 'expired' });
        expect(await deliver(late)).toEqual({ result: 'accepted' }); // Postgres still says `sent`: handed to the workflow
        closing.release();

        expect(await payments.result(handle)).toEqual({ orderId: input.orderId, status: 'expired' });
        await h.fake.waitFor(() => lateNotices(input.orderId).length === 1);
        expect(lateNotices(input.orderId)[0]).toContain('paid while the order was being expired (webhook, payment during-expiry)');

        // The provider delivers it again after the workflow ended: the api's late path, the same notice.
        expect(await deliver(late)).toEqual({ result: 'flagged', reason: 'paid after the order was expired (webhook)' });
        await h.env.client.workflow.getHandle(paymentAfterCloseWorkflowId(input.orderId, 'during-expiry')).result();
      }),
      );
    } finally {
      await api.close();
    }
    expect(lateNotices(input.orderId)).toHaveLength(1);
    expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'expired', paid_at: null, flagged_reason: expect.stringContaining('paid') });
    expect(h.texts(lead).some((t) => t.includes('Оплата получена'))).toBe(false);
    expect((await payments.db('leads').where({ id: lead.leadId }).first()).mode).toBe('bot');
  });

  it("a /reset cancels the order ('lead_reset'): money during the cancel and after it is flagged and told, never lost", async () => {
    const { input } = await fullOrder();
    const closing = new Gate();
    const { api, deliver } = webhookApi();
    try {
      await (await gatedWorker('closeOrder', closing)).runUntil(
        thenRelease(closing, async () => {
        const handle = await payments.start(input);
        await payments.untilStatus(input.orderId, 'sent');
        await handle.signal(paymentCancelledSignal, { reason: 'lead_reset' });
        await closing.entered;
        // A Stars payment the lead made just before the reset.
        expect(await payments.workflows().paid(input.orderId, { via: 'stars', amount: 290, currency: 'USD', chargeId: 'charge-reset-1' })).toBe(true);
        closing.release();
        expect(await payments.result(handle)).toEqual({ orderId: input.orderId, status: 'cancelled' });
        await h.fake.waitFor(() => lateNotices(input.orderId).length === 1);
        expect(lateNotices(input.orderId)[0]).toContain('paid while the order was being cancelled (stars, payment charge-reset-1)');

        // The provider's webhook for other money, later still.
        const after = { order_id: input.orderId, status: 'paid', amount: 290, currency: 'USD', payment_id: 'after-reset' };
        expect(await deliver(after)).toEqual({ result: 'flagged', reason: 'paid after the order was cancelled (webhook)' });
        await h.fake.waitFor(() => lateNotices(input.orderId).length === 2);
      }),
      );
    } finally {
      await api.close();
    }
    expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'cancelled', paid_at: null });
  });
});

describe('a second charge for an order', () => {
  it('two payment ids before the first is recorded: the first fulfils once, the others are flagged with both ids; a redelivery of the first is a duplicate', async () => {
    const { lead, input } = await fullOrder();
    const recording = new Gate();
    const { api, deliver } = webhookApi();
    const first = { order_id: input.orderId, status: 'paid', amount: 290, currency: 'USD', payment_id: 'p-1' };
    try {
      await (await gatedWorker('recordOrderPaid', recording)).runUntil(
        thenRelease(recording, async () => {
        const handle = await payments.start(input);
        await payments.untilStatus(input.orderId, 'sent');
        expect(await deliver(first)).toEqual({ result: 'accepted' });
        await recording.entered; // p-1 is being fulfilled, Postgres still says `sent`

        const second = await deliver({ ...first, payment_id: 'p-2' });
        expect(second).toEqual({ result: 'flagged', reason: 'paid again (payment p-2) while payment p-1 was being fulfilled (webhook)' });
        // Two webhooks racing past the api's check: the workflow itself tells them apart.
        expect(await payments.workflows().paid(input.orderId, { via: 'webhook', amount: 290, currency: 'USD', providerPayload: { ...first, payment_id: 'p-3' } })).toBe(true);
        recording.release();

        expect(await payments.result(handle)).toEqual({ orderId: input.orderId, status: 'paid' });
        await h.fake.waitFor(() => lateNotices(input.orderId).length === 2);
        expect(await deliver(first)).toEqual({ result: 'duplicate', status: 'paid' });
        expect((await deliver({ ...first, payment_id: 'p-2' })).result).toBe('flagged'); // told already: no new notice
      }),
      );
    } finally {
      await api.close();
    }
    const notices = lateNotices(input.orderId);
    expect(notices).toHaveLength(2);
    expect(notices.some((t) => t.includes('paid again (payment p-2) while payment p-1 was being fulfilled'))).toBe(true);
    expect(notices.some((t) => t.includes('paid again (payment p-3)') && t.includes('payment p-1'))).toBe(true);
    expect(h.texts(lead).filter((t) => t.includes('Оплата получена'))).toHaveLength(1);
    expect(await payments.orderRow(input.orderId)).toMatchObject({
      status: 'paid',
      paid_via: 'webhook',
      provider_payload: expect.objectContaining({ payment_id: 'p-1' }),
      flagged_reason: expect.stringContaining('paid again'),
    });
    expect(managerTexts().filter((t) => t.includes(`Оплачен заказ №${input.orderId}:`))).toHaveLength(1);
  });
});

import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApi } from '../../api/app';
import { createMetrics } from '../../api/metrics';
import { PAYMENT_WEBHOOK_PATH, paymentSignature } from '../../api/payment-webhook-routes';
import { MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { PaymentTestKit } from '../support/payments';
import { PaymentWorkflows } from '../../bot/payments/payment-workflows';

const SECRET = 'provider-secret';
const NOTICE_QUEUE = 'payment-webhook-api-test';
const h = useLeadHarness();
let payments: PaymentTestKit;
let api: FastifyInstance;

beforeAll(() => {
  payments = new PaymentTestKit(h);
  api = buildApi({
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    health: { postgres: async () => {}, temporal: async () => {} },
    // A real Temporal client; no worker: these orders have no running workflow, and a notice about
    // money for a closed order is only started here (test/workflows/payment.test.ts runs one).
    payments: { secret: SECRET, db: payments.db, logger: pino({ level: 'silent' }), workflows: new PaymentWorkflows(h.env.client, NOTICE_QUEUE) },
  });
});
afterAll(async () => {
  await api.close();
  await payments.close();
});

/** `signature: null` sends none. */
function post(body: string, signature: string | null = paymentSignature(SECRET, body), contentType = 'application/json') {
  return api.inject({
    method: 'POST',
    url: PAYMENT_WEBHOOK_PATH,
    payload: body,
    headers: { 'content-type': contentType, ...(signature !== null && { 'x-payment-signature': signature }) },
  });
}

async function order() {
  const lead = await payments.lead();
  return payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'link' });
}

const webhooksOf = (orderId: number) => payments.db('payment_webhooks').where({ order_id: orderId }).orderBy('id');

describe('POST /payments/webhook', () => {
  it('refuses a missing or wrong signature with 401, stores nothing of it, and changes nothing', async () => {
    const { orderId } = await order();
    const body = JSON.stringify({ order_id: orderId, status: 'paid', amount: 290, currency: 'USD' });
    const before = await payments.db('payment_webhooks').where({ outcome: 'bad_signature' }).count<{ count: string }[]>('* as count');

    expect((await post(body, null)).statusCode).toBe(401);
    expect((await post(body, paymentSignature('another-secret', body))).statusCode).toBe(401);
    expect((await post(body, paymentSignature(SECRET, body).slice(0, -2))).statusCode).toBe(401);
    const tampered = await post(body.replace('290', '2900'), paymentSignature(SECRET, body));
    expect(tampered.statusCode).toBe(401);
    expect(tampered.json()).toEqual({ error: 'bad signature' });

    const after = await payments.db('payment_webhooks').where({ outcome: 'bad_signature' }).count<{ count: string }[]>('* as count');
    expect(Number(after[0].count) - Number(before[0].count)).toBe(0);
    expect(await payments.orderRow(orderId)).toMatchObject({ status: 'created', flagged_reason: null });
  });

  it('answers 400 to a signed body that is not JSON, or JSON without the fields', async () => {
    const notJson = await post('order_id=1&status=paid', null, 'application/x-www-form-urlencoded');
    expect(notJson.statusCode).toBe(401); // unsigned: refused before it is read
    const signedNotJson = await post('order_id=1&status=paid', paymentSignature(SECRET, 'order_id=1&status=paid'), 'application/x-www-form-urlencoded');
    expect(signedNotJson.statusCode).toBe(400);
    expect(signedNotJson.json()).toEqual({ error: 'body is not JSON' });
    const brokenJson = '{"order_id": 1,';
    expect((await post(brokenJson)).statusCode).toBe(400);
    const missing = await post(JSON.stringify({ order_id: 1, status: 'paid' }));
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatch(/amount/);
  });

  it('answers 404 to an unknown order; money it says was paid is flagged once and the managers are told', async () => {
    const paymentId = `p-nobody-${Date.now()}`;
    const body = JSON.stringify({ order_id: 987654321, status: 'paid', amount: 290, currency: 'USD', payment_id: paymentId });
    for (let delivery = 0; delivery < 2; delivery++) {
      const response = await post(body); // the provider delivers it again after the 404
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ error: 'unknown order 987654321' });
    }
    const flags = await payments.db('payment_flags').where({ payment_ref: paymentId });
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ order_id: null, reason: `paid 290 USD (webhook, payment ${paymentId}) for order "987654321": no such order` });
    const notice = h.env.client.workflow.getHandle(`payment-unmatched-webhook-${paymentId}`);
    expect((await notice.describe()).type).toBe('unmatchedPaymentWorkflow');

    // The notice names the money and where to return it (a provider's money goes back in its account).
    await h.activities({ db: payments.db }).notifyManagersAboutUnmatchedPayment({ flagId: Number(flags[0].id), outboundId: `unmatched-${paymentId}` });
    const told = h.fake.callsTo('sendMessage', MANAGERS_CHAT).map((c) => String(c.params.text)).filter((t) => t.includes(paymentId));
    expect(told).toEqual([expect.stringContaining('найдите платёж в кабинете платёжной системы')]);
    await notice.terminate('test finished');
  });

  it('a failed payment for an unknown order is recorded, and nothing is flagged', async () => {
    const paymentId = `p-failed-${Date.now()}`;
    const response = await post(JSON.stringify({ order_id: 987654322, status: 'failed', amount: 290, currency: 'USD', payment_id: paymentId }));
    expect(response.statusCode).toBe(404);
    expect(await payments.db('payment_flags').where({ payment_ref: paymentId })).toHaveLength(0);
    expect(await payments.db('payment_webhooks').where({ provider_event_id: paymentId }).pluck('outcome')).toEqual(['unknown_order']);
  });

  it('flags an amount that does not match the order for a manager and does not fulfil it', async () => {
    const { orderId, leadId } = await order();
    const response = await post(JSON.stringify({ order_id: orderId, status: 'paid', amount: '29.00', currency: 'USD', payment_id: 'p-9' }));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ result: 'flagged', reason: 'paid 29 USD instead of 290 USD (webhook)' });
    expect(await payments.orderRow(orderId)).toMatchObject({
      status: 'created',
      paid_at: null,
      flagged_reason: 'paid 29 USD instead of 290 USD (webhook)',
      provider_payload: expect.objectContaining({ payment_id: 'p-9' }),
    });
    expect((await payments.db('leads').where({ id: leadId }).first()).mode).toBe('bot');
    expect((await webhooksOf(orderId)).map((w) => w.outcome)).toEqual(['amount_mismatch']);
    const otherCurrency = await post(JSON.stringify({ order_id: orderId, status: 'paid', amount: 290, currency: 'EUR' }));
    expect(otherCurrency.json().result).toBe('flagged');
  });

  it('answers 200 to a duplicate for a paid order and changes nothing', async () => {
    const { orderId } = await order();
    await payments.db('orders').where({ id: orderId }).update({ status: 'paid', paid_via: 'webhook', paid_at: new Date('2026-12-01T10:00:00Z') });
    const before = await payments.orderRow(orderId);
    const response = await post(JSON.stringify({ order_id: orderId, status: 'paid', amount: 290, currency: 'USD' }));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ result: 'duplicate', status: 'paid' });
    expect(await payments.orderRow(orderId)).toEqual(before);
    expect((await webhooksOf(orderId)).map((w) => w.outcome)).toEqual(['duplicate']);
  });

  it('a second payment id for a paid order is flagged with both ids; the fulfilled payment\'s payload stays, so its redelivery is a duplicate', async () => {
    const { orderId } = await order();
    const first = { order_id: orderId, status: 'paid', amount: 290, currency: 'USD', payment_id: 'p-1' };
    await payments.db('orders').where({ id: orderId }).update({ status: 'paid', paid_via: 'webhook', paid_at: new Date('2026-12-01T10:00:00Z'), provider_payload: first });
    const second = await post(JSON.stringify({ ...first, payment_id: 'p-2' }));
    expect(second.json()).toEqual({ result: 'flagged', reason: 'paid again (payment p-2) after payment p-1 (webhook)' });
    // The original webhook, delivered again, is the money that was fulfilled: nothing to flag.
    expect((await post(JSON.stringify(first))).json()).toEqual({ result: 'duplicate', status: 'paid' });
    expect(await payments.orderRow(orderId)).toMatchObject({
      status: 'paid',
      flagged_reason: 'paid again (payment p-2) after payment p-1 (webhook)',
      provider_payload: expect.objectContaining({ payment_id: 'p-1' }),
    });
    expect((await webhooksOf(orderId)).map((w) => [w.outcome, w.provider_event_id])).toEqual([
      ['order_closed', 'p-2'],
      ['duplicate', 'p-1'],
    ]);
  });

  it('flags a payment for an order that has expired (money arrived, nothing to fulfil)', async () => {
    const { orderId } = await order();
    await payments.db('orders').where({ id: orderId }).update({ status: 'expired' });
    const response = await post(JSON.stringify({ order_id: orderId, status: 'paid', amount: 290, currency: 'USD' }));
    expect(response.json()).toEqual({ result: 'flagged', reason: 'paid after the order was expired (webhook)' });
    expect((await payments.orderRow(orderId)).status).toBe('expired');
  });

  it('an instalment the order does not have is a 400; a later instalment of an order not yet paid is flagged', async () => {
    const full = await order();
    const none = await post(JSON.stringify({ order_id: full.orderId, status: 'paid', amount: 290, currency: 'USD', instalment: 2 }));
    expect(none.statusCode).toBe(400);
    expect(none.json()).toEqual({ error: `order ${full.orderId} has no instalment 2` });

    const lead = await payments.lead();
    const plan = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'instalment', method: 'link' });
    expect((await payments.db('order_instalments').where({ order_id: plan.orderId }).orderBy('number')).map((r) => [r.number, r.amount, r.status])).toEqual([
      [1, '96.67', 'pending'],
      [2, '96.67', 'pending'],
      [3, '96.66', 'pending'],
    ]);
    const early = await post(JSON.stringify({ order_id: plan.orderId, status: 'paid', amount: 96.67, currency: 'USD', instalment: 2, payment_id: 'e-1' }));
    expect(early.json()).toEqual({ result: 'flagged', reason: 'paid after the order was created, its first payment missing (webhook)' });
    expect((await webhooksOf(plan.orderId)).map((w) => [w.outcome, w.instalment, w.provider_event_id])).toEqual([['order_closed', 2, 'e-1']]);
  });
});

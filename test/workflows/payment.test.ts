import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import pino from 'pino';
import { buildApi } from '../../api/app';
import { createMetrics } from '../../api/metrics';
import { PAYMENT_WEBHOOK_PATH, paymentSignature } from '../../api/payment-webhook-routes';
import { leadWorkflowId } from '../../workflows/lead-conversation/contract';
import { paymentStateQuery } from '../../workflows/payment/contract';
import { MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { text } from '../support/updates';
import { PaymentTestKit } from '../support/payments';

const h = useLeadHarness();
let payments: PaymentTestKit;
beforeAll(() => {
  payments = new PaymentTestKit(h);
});
afterEach(() => payments.end());
afterAll(() => payments.close());

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const managerTexts = () => h.fake.callsTo('sendMessage', MANAGERS_CHAT).map((c) => String(c.params.text));

describe('payment workflow on the time-skipping server', () => {
  it('unpaid: the link, reminders at 1 h and 24 h, expired at 72 h', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'instalment', method: 'link' });
    expect(input.amount).toBe(96.67); // 290 / 3
    await (await h.worker()).runUntil(async () => {
      const handle = await payments.start(input);
      await h.until('sendMessage', lead, 1);
      const [offer] = h.sent('sendMessage', lead);
      expect(String(offer.params.text)).toContain('Первый платёж — 96.67 USD');
      expect(JSON.stringify(offer.params.reply_markup)).toContain(`https://pay.example.com/crypto-start/instalment?order_id=${input.orderId}`);
      await payments.untilStatus(input.orderId, 'sent');

      await h.env.sleep(59 * MINUTE);
      expect(h.texts(lead)).toHaveLength(1);
      await h.env.sleep(2 * MINUTE);
      await h.until('sendMessage', lead, 2);
      expect(h.texts(lead)[1]).toContain('Напоминаю');

      await h.env.sleep(22 * HOUR); // 23 h 01 min
      expect(h.texts(lead)).toHaveLength(2);
      await h.env.sleep(HOUR);
      await h.until('sendMessage', lead, 3);
      expect(h.texts(lead)[2]).toContain('ещё не оплачен');

      await h.env.sleep(47 * HOUR); // 71 h 01 min
      expect(h.texts(lead)).toHaveLength(3);
      expect(await payments.result(handle)).toEqual({ orderId: input.orderId, status: 'expired' });
    });
    expect(h.texts(lead)).toHaveLength(4);
    expect(h.texts(lead)[3]).toContain('закрыт');
    expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'expired', paid_at: null });
    expect(managerTexts().filter((t) => t.includes(`№${input.orderId} `))).toEqual([expect.stringContaining('истёк без оплаты')]);
    expect((await h.db('leads').where({ id: lead.leadId }).first()).mode).toBe('bot');
  });

  it('paid at 2 h: one onboarding message, no more reminders, the lead is a customer, managers told once', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'link' });
    await (await h.worker()).runUntil(async () => {
      const handle = await payments.start(input);
      await h.until('sendMessage', lead, 1);
      await h.env.sleep(2 * HOUR);
      await h.until('sendMessage', lead, 2); // the 1-hour reminder
      expect(await payments.workflows().paid(input.orderId, { via: 'webhook', amount: 290, currency: 'USD' })).toBe(true);
      expect(await payments.result(handle)).toEqual({ orderId: input.orderId, status: 'paid' });
      await h.env.sleep(80 * HOUR);
    });
    const texts = h.texts(lead);
    expect(texts).toHaveLength(3);
    expect(texts[2]).toContain('Оплата получена');
    expect(texts.filter((t) => t.includes('Оплата получена'))).toHaveLength(1);
    expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'paid', paid_via: 'webhook' });
    expect((await h.db('leads').where({ id: lead.leadId }).first()).mode).toBe('customer');
    expect(await h.db('events').where({ lead_id: lead.leadId, type: 'became_customer' })).toHaveLength(1);
    expect(managerTexts().filter((t) => t.includes(`Оплачен заказ №${input.orderId}`))).toHaveLength(1);
  });

  it('the same webhook 5 times and a manager confirm on top: fulfilled once; the lead workflow hears payment_paid once', async () => {
    const secret = 'webhook-secret';
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'investment_portfolio', type: 'full', method: 'link' });
    const api = buildApi({
      logger: pino({ level: 'silent' }),
      metrics: createMetrics(),
      health: { postgres: async () => {}, temporal: async () => {} },
      payments: { secret, db: payments.db, logger: pino({ level: 'silent' }), workflows: payments.workflows() },
    });
    const body = JSON.stringify({ order_id: input.orderId, status: 'paid', amount: '690.00', currency: 'USD', payment_id: 'pay-1' });
    const deliver = () =>
      api.inject({ method: 'POST', url: PAYMENT_WEBHOOK_PATH, payload: body, headers: { 'content-type': 'application/json', 'x-payment-signature': paymentSignature(secret, body) } });
    try {
      await (await h.worker()).runUntil(async () => {
        await h.conversations().deliver(text(lead, '/start')); // the lead's own conversation is running
        const handle = await payments.start(input);
        await payments.untilStatus(input.orderId, 'sent');
        const answers = [];
        for (let i = 0; i < 5; i++) answers.push(await deliver());
        expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200]);
        expect(answers[0].json()).toEqual({ result: 'accepted' });
        const managerConfirm = await payments.workflows().confirm(input.orderId, 555);
        expect(managerConfirm === null || managerConfirm.outcome === 'already_paid').toBe(true);
        expect(await payments.result(handle)).toEqual({ orderId: input.orderId, status: 'paid' });
        expect((await deliver()).json()).toEqual({ result: 'duplicate', status: 'paid' });
        const history = await h.env.client.workflow.getHandle(leadWorkflowId(lead.id)).fetchHistory();
        const domainEvents = (history.events ?? [])
          .map((e) => e.workflowExecutionSignaledEventAttributes)
          .filter((a) => a?.signalName === 'domainEvent')
          .map((a) => defaultPayloadConverter.fromPayload(a!.input!.payloads![0] as Payload));
        expect(domainEvents).toEqual([
          { id: `payment-${input.orderId}-paid`, name: 'payment_paid', payload: { orderId: input.orderId, product: 'investment_portfolio' } },
        ]);
      });
    } finally {
      await api.close();
    }
    expect(h.texts(lead).filter((t) => t.includes('Оплата получена'))).toHaveLength(1);
    expect(managerTexts().filter((t) => t.includes(`Оплачен заказ №${input.orderId}`))).toHaveLength(1);
    expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'paid', paid_via: 'webhook', flagged_reason: null });
    expect(await payments.db('events').where({ lead_id: lead.leadId, type: 'became_customer' })).toHaveLength(1);
    expect(await payments.db('messages').where('outbound_id', 'like', `payment-${input.orderId}/%`).select('outbound_id').orderBy('id')).toEqual([
      { outbound_id: `payment-${input.orderId}/offer` },
      { outbound_id: `payment-${input.orderId}/onboarding` },
      { outbound_id: `payment-${input.orderId}/paid` },
    ]);
    const webhooks = await payments.db('payment_webhooks').where({ order_id: input.orderId }).orderBy('id');
    expect(webhooks).toHaveLength(6);
    expect(webhooks.at(-1).outcome).toBe('duplicate');
  });

  it('a manager confirms: the update answers once the order is fulfilled; a second confirm is told it is already paid', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'link' });
    await (await h.worker()).runUntil(async () => {
      const handle = await payments.start(input);
      await payments.untilStatus(input.orderId, 'sent');
      expect(await payments.workflows().confirm(input.orderId, 777)).toEqual({ outcome: 'confirmed' });
      expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'paid', paid_via: 'manager' });
      expect(h.texts(lead).filter((t) => t.includes('Оплата получена'))).toHaveLength(1);
      await payments.result(handle);
      expect(await payments.workflows().confirm(input.orderId, 777)).toBeNull(); // ended: the bot reads Postgres
    });
  });

  it('a failed payment: a retry offer with the link and a manager notice; a later payment still fulfils', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'link' });
    await (await h.worker()).runUntil(async () => {
      const handle = await payments.start(input);
      await payments.untilStatus(input.orderId, 'sent');
      await payments.workflows().failed(input.orderId, { reason: 'card declined' });
      await h.until('sendMessage', lead, 2);
      await payments.untilStatus(input.orderId, 'failed');
      const retry = h.sent('sendMessage', lead)[1];
      expect(String(retry.params.text)).toContain('не прошёл');
      expect(JSON.stringify(retry.params.reply_markup)).toContain(`order_id=${input.orderId}`);
      await h.fake.waitFor(() => managerTexts().some((t) => t.includes(`заказу №${input.orderId} `) && t.includes('card declined')));
      await payments.workflows().paid(input.orderId, { via: 'webhook', amount: 290, currency: 'USD' });
      expect(await payments.result(handle)).toEqual({ orderId: input.orderId, status: 'paid' });
    });
    expect((await h.db('leads').where({ id: lead.leadId }).first()).mode).toBe('customer');
  });

  it('a payment of the wrong amount is flagged for the managers and not fulfilled; a manager cancels the order', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'link' });
    await (await h.worker()).runUntil(async () => {
      const handle = await payments.start(input);
      await payments.untilStatus(input.orderId, 'sent');
      await payments.workflows().paid(input.orderId, { via: 'webhook', amount: 29, currency: 'USD' });
      await h.fake.waitFor(() => managerTexts().some((t) => t.includes(`Заказ №${input.orderId} `) && t.includes('помечен')));
      expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'sent', flagged_reason: 'paid 29 USD instead of 290 USD (webhook)' });
      expect(await payments.workflows().cancel(input.orderId, 777)).toEqual({ outcome: 'cancelled' });
      expect(await payments.result(handle)).toEqual({ orderId: input.orderId, status: 'cancelled' });
    });
    expect(h.texts(lead).some((t) => t.includes('Оплата получена'))).toBe(false);
    expect((await h.db('leads').where({ id: lead.leadId }).first()).mode).toBe('bot');
    expect((await payments.orderRow(input.orderId)).status).toBe('cancelled');
  });

  it('a lead who blocked the bot: the offer fails, the order stays created, and a manager can still confirm it', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'link' });
    h.fake.blockUser(lead.id);
    await (await h.worker()).runUntil(async () => {
      const handle = await payments.start(input);
      await h.fake.waitFor(() => h.fake.calls.some((c) => c.method === 'sendMessage' && c.params.chat_id === lead.id && c.error?.error_code === 403));
      expect((await handle.query(paymentStateQuery)).status).toBe('created');
      expect((await payments.orderRow(input.orderId)).status).toBe('created');
      expect(await payments.workflows().confirm(input.orderId, 777)).toEqual({ outcome: 'confirmed' });
      expect(await payments.result(handle)).toEqual({ orderId: input.orderId, status: 'paid' });
    });
    expect((await payments.orderRow(input.orderId)).status).toBe('paid');
    expect((await h.db('leads').where({ id: lead.leadId }).first()).mode).toBe('customer');
  });
});

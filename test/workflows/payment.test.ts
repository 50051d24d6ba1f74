import type { WorkflowHandle } from '@temporalio/client';
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

// A server per test: a conversation left with an activity on a task queue no worker polls any more
// (its mode, written once it hears of the payment) would stop the clock of the tests that sleep for days.
const h = useLeadHarness({ serverPerTest: true });
let payments: PaymentTestKit;
beforeAll(() => {
  payments = new PaymentTestKit(h);
});
afterEach(() => payments.end());
afterAll(() => payments.close());

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const DAY = 24 * HOUR;
const SECRET = 'webhook-secret';

const managerTexts = () => h.fake.callsTo('sendMessage', MANAGERS_CHAT).map((c) => String(c.params.text));

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

/** Waits (I/O, not a timer) until the workflow's history shows `count` runs of an activity. */
async function untilActivityRuns(handle: WorkflowHandle, activityType: string, count: number): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 10_000; await new Promise((resolve) => setTimeout(resolve, 50))) {
    const history = await handle.fetchHistory();
    const runs = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType).length;
    if (runs >= count) return;
  }
  throw new Error(`${activityType} did not run ${count} times within 10 s`);
}

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
    // The managers heard at once that the link never reached the lead, and why.
    const undelivered = managerTexts().filter((t) => t.includes(`не получил ссылку или счёт на оплату заказа №${input.orderId} `));
    expect(undelivered).toHaveLength(1);
    expect(undelivered[0]).toMatch(/blocked/i);
  });

  it('instalments: the first opens access; 30 days later the second link, reminders at 1 h and 24 h; paid; then the third; fully paid; duplicates count once', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'instalment', method: 'link' });
    expect(input.instalments).toEqual([96.67, 96.67, 96.66]); // 290 in three, the last takes the rounding
    const { api, deliver } = webhookApi();
    const instalmentTexts = () => h.texts(lead).filter((t) => t.includes('из 3'));
    try {
      await (await h.worker()).runUntil(async () => {
        const handle = await payments.start(input);
        await payments.untilStatus(input.orderId, 'sent');
        expect(await deliver({ order_id: input.orderId, status: 'paid', amount: '96.67', currency: 'USD', payment_id: 'p-1' })).toEqual({ result: 'accepted' });
        await h.until('sendMessage', lead, 2);
        expect(h.texts(lead)[1]).toContain('Оплата получена');
        expect(await deliver({ order_id: input.orderId, status: 'paid', amount: '96.67', currency: 'USD', payment_id: 'p-1' })).toEqual({ result: 'duplicate', status: 'paid' });

        // Nothing for 30 days: no reminders about a paid first instalment.
        await h.env.sleep(30 * DAY - MINUTE);
        expect(h.texts(lead)).toHaveLength(2);
        await h.env.sleep(2 * MINUTE);
        await h.until('sendMessage', lead, 3);
        const due = h.sent('sendMessage', lead)[2];
        expect(String(due.params.text)).toContain('Пора внести платёж 2 из 3');
        expect(String(due.params.text)).toContain('96.67 USD');
        expect(JSON.stringify(due.params.reply_markup)).toContain(`order_id=${input.orderId}&instalment=2`);

        await h.env.sleep(HOUR + MINUTE);
        await h.until('sendMessage', lead, 4);
        expect(h.texts(lead)[3]).toContain('Напоминаю: платёж 2 из 3');
        await h.env.sleep(23 * HOUR);
        await h.until('sendMessage', lead, 5);
        expect(h.texts(lead)[4]).toContain('Платёж 2 из 3 по заказу');

        // The same payment of the second instalment, three times: counted once.
        const second = { order_id: input.orderId, status: 'paid', amount: 96.67, currency: 'USD', payment_id: 'p-2', instalment: 2 };
        expect(await deliver(second)).toEqual({ result: 'accepted' });
        await h.fake.waitFor(() => h.texts(lead).some((t) => t.includes('Платёж 2 из 3 по заказу') && t.includes('получен')));
        expect(await deliver(second)).toEqual({ result: 'duplicate', status: 'paid' });
        expect(await deliver(second)).toEqual({ result: 'duplicate', status: 'paid' });

        // The third is due 60 days after the first payment, whatever day the second came.
        await h.env.sleep(27 * DAY); // day 58 h 1
        expect(instalmentTexts().filter((t) => t.includes('платёж 3 из 3'))).toHaveLength(0);
        await h.env.sleep(2 * DAY);
        await h.fake.waitFor(() => instalmentTexts().some((t) => t.includes('Пора внести платёж 3 из 3')));
        expect(instalmentTexts().at(-1)).toContain('96.66 USD');
        const third = { order_id: input.orderId, status: 'paid', amount: '96.66', currency: 'USD', payment_id: 'p-3', instalment: '3' };
        expect(await deliver(third)).toEqual({ result: 'accepted' });
        expect(await payments.result(handle)).toEqual({ orderId: input.orderId, status: 'paid', instalmentsPaid: 3 });
        expect(await deliver(third)).toEqual({ result: 'duplicate', status: 'paid' });
      });
    } finally {
      await api.close();
    }
    expect(h.texts(lead).filter((t) => t.includes('Оплата получена'))).toHaveLength(1);
    expect(h.texts(lead).filter((t) => t.includes('получен, спасибо'))).toHaveLength(1);
    expect(h.texts(lead).filter((t) => t.includes('полностью оплачена'))).toHaveLength(1);
    const about = managerTexts().filter((t) => t.includes(`заказу №${input.orderId} `) || t.includes(`заказ №${input.orderId} `) || t.includes(`заказ №${input.orderId}:`));
    expect(managerTexts().filter((t) => t.includes(`Оплачен заказ №${input.orderId}:`))).toHaveLength(1);
    expect(about.filter((t) => t.includes('Платёж 2 из 3'))).toHaveLength(1);
    expect(managerTexts().filter((t) => t.includes(`Рассрочка по заказу №${input.orderId} `) && t.includes('полностью оплачена'))).toHaveLength(1);
    const rows = await payments.db('order_instalments').where({ order_id: input.orderId }).orderBy('number');
    expect(rows.map((r) => [r.number, r.status, r.amount, r.paid_via])).toEqual([
      [1, 'paid', '96.67', 'webhook'],
      [2, 'paid', '96.67', 'webhook'],
      [3, 'paid', '96.66', 'webhook'],
    ]);
    expect((await payments.orderRow(input.orderId)).fully_paid_at).not.toBeNull();
    expect(await payments.db('events').where({ lead_id: lead.leadId, type: 'became_customer' })).toHaveLength(1);
  });

  it('an unpaid later instalment: reminders, then the managers are told at 72 h; access stays; a manager confirms it and writes off the rest', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'instalment', method: 'link' });
    await (await h.worker()).runUntil(async () => {
      const handle = await payments.start(input);
      await payments.untilStatus(input.orderId, 'sent');
      expect(await payments.workflows().confirm(input.orderId, 777)).toEqual({ outcome: 'confirmed' });
      await h.env.sleep(30 * DAY + MINUTE);
      await h.fake.waitFor(() => h.texts(lead).some((t) => t.includes('Пора внести платёж 2 из 3')));
      await h.env.sleep(71 * HOUR);
      expect(h.texts(lead).filter((t) => t.includes('2 из 3'))).toHaveLength(3); // the link and two reminders
      expect(managerTexts().filter((t) => t.includes(`Платёж 2 из 3 по заказу №${input.orderId} `))).toHaveLength(0);
      await h.env.sleep(2 * HOUR);
      await h.fake.waitFor(() => managerTexts().some((t) => t.includes(`Платёж 2 из 3 по заказу №${input.orderId} `) && t.includes('Доступ НЕ отозван')));
      expect(await payments.db('order_instalments').where({ order_id: input.orderId, number: 2 }).first()).toMatchObject({ status: 'overdue' });
      expect((await payments.orderRow(input.orderId)).status).toBe('paid');
      expect((await h.db('leads').where({ id: lead.leadId }).first()).mode).toBe('customer');

      // Paid some other way: a manager confirms the overdue instalment, then writes off the third.
      expect(await payments.workflows().confirm(input.orderId, 777)).toEqual({ outcome: 'confirmed', instalment: 2 });
      expect(await payments.workflows().cancel(input.orderId, 777)).toEqual({ outcome: 'cancelled' });
      expect(await payments.result(handle)).toEqual({ orderId: input.orderId, status: 'paid', instalmentsPaid: 2 });
    });
    const rows = await payments.db('order_instalments').where({ order_id: input.orderId }).orderBy('number');
    expect(rows.map((r) => [r.status, r.paid_via])).toEqual([
      ['paid', 'manager'],
      ['paid', 'manager'],
      ['cancelled', null],
    ]);
    expect(h.texts(lead).some((t) => t.includes('закрыт') || t.includes('отменён'))).toBe(false);
    expect(managerTexts().filter((t) => t.includes(`Остаток рассрочки по заказу №${input.orderId} `))).toHaveLength(1);
  });

  it('repeated failures: the same provider event once, another failure of the same order no second retry offer or notice', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'link' });
    const { api, deliver } = webhookApi();
    try {
      await (await h.worker()).runUntil(async () => {
        const handle = await payments.start(input);
        await payments.untilStatus(input.orderId, 'sent');
        const failure = { order_id: input.orderId, status: 'failed', amount: 290, currency: 'USD', payment_id: 'f-1', reason: 'card declined' };
        expect(await deliver(failure)).toEqual({ result: 'accepted' });
        await payments.untilStatus(input.orderId, 'failed');
        expect(await deliver(failure)).toEqual({ result: 'duplicate', status: 'failed' });
        expect(await deliver({ ...failure, payment_id: 'f-2', reason: 'insufficient funds' })).toEqual({ result: 'accepted' });
        // The second failure has been handled once its record activity ran (a history fact, not a clock).
        await untilActivityRuns(handle, 'recordOrderFailed', 2);
        expect(await deliver({ order_id: input.orderId, status: 'paid', amount: 290, currency: 'USD', payment_id: 'p-1' })).toEqual({ result: 'accepted' });
        expect(await payments.result(handle)).toEqual({ orderId: input.orderId, status: 'paid' });
      });
    } finally {
      await api.close();
    }
    expect(h.texts(lead).filter((t) => t.includes('не прошёл'))).toHaveLength(1);
    expect(managerTexts().filter((t) => t.includes(`заказу №${input.orderId} `) && t.includes('не прошёл'))).toHaveLength(1);
    expect((await payments.db('payment_webhooks').where({ order_id: input.orderId }).orderBy('id')).map((w) => w.outcome)).toEqual(['failed', 'duplicate', 'failed', 'paid']);
  });

  it('money for an expired order: flagged, and the managers are told once however often the webhook comes', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'link' });
    await payments.db('orders').where({ id: input.orderId }).update({ status: 'expired' }); // its workflow has ended
    const { api, deliver } = webhookApi();
    const notices = () => managerTexts().filter((t) => t.includes(`Деньги пришли по закрытому заказу №${input.orderId} `));
    try {
      await (await h.worker()).runUntil(async () => {
        const late = { order_id: input.orderId, status: 'paid', amount: 290, currency: 'USD', payment_id: 'late-1' };
        const flagged = { result: 'flagged', reason: 'paid after the order was expired (webhook)' };
        expect(await deliver(late)).toEqual(flagged);
        await h.fake.waitFor(() => notices().length === 1);
        expect(notices()[0]).toContain('paid after the order was expired');
        expect(await deliver(late)).toEqual(flagged);
        expect(await deliver(late)).toEqual(flagged);
        // Another payment is other money: its own notice.
        expect(await deliver({ ...late, payment_id: 'late-2' })).toEqual(flagged);
        await h.fake.waitFor(() => notices().length === 2);
      });
    } finally {
      await api.close();
    }
    expect(notices()).toHaveLength(2);
    expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'expired', paid_at: null, flagged_reason: 'paid after the order was expired (webhook)' });
    expect(h.texts(lead)).toEqual([]);
  });
});

import type { FastifyInstance } from 'fastify';
import { YooKassaApi } from '../../api/payments/yookassa-api';
import { yooKassaPaymentLinks } from '../../api/payments/yookassa-links';
import { YOOKASSA_WEBHOOK_PATH } from '../../api/payments/yookassa-routes';
import { FakeYooKassaServer } from '../fakes/yookassa-server';
import { YOOKASSA_SUCCEEDED_SAMPLE, yooKassaNotification } from '../fixtures/payments/yookassa';
import { paymentStateQuery, paymentWorkflowId } from '../../workflows/payment/contract';
import { eventually } from '../support/eventually';
import { MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { PaymentTestKit } from '../support/payments';
import { ensureRubProduct, providerApi, retireRubProducts, RUB_PRODUCT, RUB_PRODUCT_WITHOUT_LINKS, webhookOutcomes, webhookRowCount } from '../support/provider-payments';

const SHOP = { shopId: '506751', secretKey: 'test_Fh8hUAVVBGUGbjmlzba6TB0iyUbos_lueTHE-axOwM0' };
/** One of YooKassa's published notification addresses. */
const YOOKASSA_IP = '185.71.76.5';
const h = useLeadHarness();
let payments: PaymentTestKit;
let yookassa: FakeYooKassaServer;
let api: FastifyInstance;

beforeAll(async () => {
  payments = new PaymentTestKit(h);
  yookassa = await FakeYooKassaServer.start(SHOP);
  await ensureRubProduct(payments.db);
});
// Per test: the workflows it signals live on this test's task queue.
beforeEach(() => {
  api = yooKassaApi({ checkIp: true });
});
afterEach(async () => {
  await api.close();
  await payments.end();
});
afterAll(async () => {
  await yookassa.stop();
  await retireRubProducts(payments.db);
  await payments.close();
});

function yooKassaApi(options: { checkIp: boolean; secretKey?: string; trustProxy?: number }): FastifyInstance {
  const client = new YooKassaApi({ shopId: SHOP.shopId, secretKey: options.secretKey ?? SHOP.secretKey, apiBase: yookassa.apiBase });
  return providerApi(payments, (notices) => ({ yooKassa: { api: client, checkIp: options.checkIp, ...notices }, trustProxy: options.trustProxy }));
}

const lateNotices = (orderId: number) =>
  h.fake.callsTo('sendMessage', MANAGERS_CHAT).map((c) => String(c.params.text)).filter((t) => t.includes(`Деньги пришли по закрытому заказу №${orderId} `));

async function notify(body: string, from: { ip?: string; forwardedFor?: string; server?: FastifyInstance } = {}) {
  const response = await (from.server ?? api).inject({
    method: 'POST',
    url: YOOKASSA_WEBHOOK_PATH,
    payload: body,
    remoteAddress: from.ip ?? YOOKASSA_IP,
    headers: { 'content-type': 'application/json', ...(from.forwardedFor && { 'x-forwarded-for': from.forwardedFor }) },
  });
  return { status: response.statusCode, body: response.json() };
}

async function rubOrder() {
  const lead = await payments.lead();
  const input = await payments.order({ telegramUserId: lead.id, productCode: RUB_PRODUCT, type: 'full', method: 'link' });
  return { lead, input };
}

/** A payment YooKassa has for our order, and its notification as YooKassa sends it. */
function succeeded(orderId: number, amount = '4900.00') {
  const payment = yookassa.addPayment({ amount: { value: amount, currency: 'RUB' }, metadata: { order_id: String(orderId) } });
  return { payment, body: yooKassaNotification('payment.succeeded', { id: payment.id, amount: payment.amount, metadata: payment.metadata }) };
}

describe('POST /payments/yookassa/webhook', () => {
  it('payment.succeeded, confirmed by the API, completes the order once; the same notification again is a duplicate', async () => {
    const { lead, input } = await rubOrder();
    const { payment, body } = succeeded(input.orderId);
    await (await h.worker()).runUntil(async () => {
      const handle = await payments.start(input);
      await payments.untilStatus(input.orderId, 'sent');
      expect(await notify(body)).toEqual({ status: 200, body: { result: 'accepted' } });
      expect(await payments.result(handle)).toEqual({ orderId: input.orderId, status: 'paid' });
      await h.until('sendMessage', lead, 2);
      expect(await notify(body)).toEqual({ status: 200, body: { result: 'duplicate', status: 'paid' } });
    });
    expect(h.texts(lead).filter((t) => t.includes('Оплата получена'))).toHaveLength(1);
    expect(await payments.orderRow(input.orderId)).toMatchObject({
      status: 'paid',
      paid_via: 'webhook',
      provider_payload: expect.objectContaining({ provider: 'yookassa', payment_id: payment.id, status: 'succeeded' }),
    });
    expect(await webhookOutcomes(payments.db, input.orderId)).toEqual([
      ['paid', payment.id],
      ['duplicate', payment.id],
    ]);
    // Asked each time, with the shop's credentials.
    const asked = yookassa.requestsTo('GET', `/v3/payments/${payment.id}`);
    expect(asked.map((r) => r.status)).toEqual([200, 200]);
    expect(asked[0].headers.authorization).toBe(`Basic ${Buffer.from(`${SHOP.shopId}:${SHOP.secretKey}`).toString('base64')}`);
  });

  it('a notification the API does not confirm is refused and nothing stored: unknown payment (404), still pending (409), our keys refused (401 → 502)', async () => {
    const { input } = await rubOrder();
    const before = await webhookRowCount(payments.db);
    // The documentation's sample, pointed at our order: YooKassa has no such payment.
    const forged = yooKassaNotification('payment.succeeded', { amount: { value: '4900.00', currency: 'RUB' }, metadata: { order_id: String(input.orderId) } });
    expect(await notify(forged)).toEqual({ status: 404, body: { error: `YooKassa has no payment ${YOOKASSA_SUCCEEDED_SAMPLE.object.id}` } });
    const pending = yookassa.addPayment({ status: 'pending', amount: { value: '4900.00', currency: 'RUB' }, metadata: { order_id: String(input.orderId) } });
    const early = await notify(yooKassaNotification('payment.succeeded', { id: pending.id, metadata: pending.metadata }));
    expect(early).toEqual({ status: 409, body: { error: `YooKassa says payment ${pending.id} is pending, not succeeded` } });
    const wrongKeys = yooKassaApi({ checkIp: true, secretKey: 'test_wrong-key-000000' });
    try {
      const { body } = succeeded(input.orderId);
      expect(await notify(body, { server: wrongKeys })).toEqual({ status: 502, body: { error: 'could not confirm the notification with the YooKassa API' } });
      expect(yookassa.requests.at(-1)?.status).toBe(401);
    } finally {
      await wrongKeys.close();
    }
    expect(await webhookRowCount(payments.db)).toBe(before);
    expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'created', flagged_reason: null, provider_payload: null });
  });

  it('YOOKASSA_CHECK_IP: another address is refused before the API is asked; behind a trusted proxy the forwarded address counts', async () => {
    const { input } = await rubOrder();
    const { payment, body } = succeeded(input.orderId, '490.00');
    const before = await webhookRowCount(payments.db);
    expect(await notify(body, { ip: '203.0.113.9' })).toEqual({ status: 403, body: { error: 'not from a YooKassa address' } });
    // Without TRUST_PROXY a client cannot name a YooKassa address in X-Forwarded-For.
    expect((await notify(body, { ip: '203.0.113.9', forwardedFor: YOOKASSA_IP })).status).toBe(403);
    expect(yookassa.requestsTo('GET', `/v3/payments/${payment.id}`)).toHaveLength(0);
    expect(await webhookRowCount(payments.db)).toBe(before);

    const proxied = yooKassaApi({ checkIp: true, trustProxy: 1 });
    try {
      expect((await notify(body, { ip: '10.0.0.2', forwardedFor: '203.0.113.9', server: proxied })).status).toBe(403);
      expect((await notify(body, { ip: '10.0.0.2', forwardedFor: '77.75.156.11', server: proxied })).status).toBe(200);
    } finally {
      await proxied.close();
    }
    const unchecked = yooKassaApi({ checkIp: false });
    try {
      expect((await notify(body, { ip: '203.0.113.9', server: unchecked })).status).toBe(200);
    } finally {
      await unchecked.close();
    }
  });

  it('a wrong amount is flagged; payment.canceled is a failed payment; refund.succeeded flags the order for the managers', async () => {
    const { input } = await rubOrder();
    const { payment, body } = succeeded(input.orderId, '490.00');
    expect(await notify(body)).toEqual({ status: 200, body: { result: 'flagged', reason: 'paid 490 RUB instead of 4900 RUB (webhook)' } });
    expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'created', paid_at: null, flagged_reason: 'paid 490 RUB instead of 4900 RUB (webhook)' });

    const canceled = yookassa.addPayment({
      status: 'canceled',
      amount: { value: '4900.00', currency: 'RUB' },
      metadata: { order_id: String(input.orderId) },
      cancellation_details: { party: 'payment_network', reason: 'insufficient_funds' },
    });
    expect(await notify(yooKassaNotification('payment.canceled', { id: canceled.id, status: 'canceled' }))).toEqual({ status: 200, body: { result: 'accepted' } });

    const refund = yookassa.addRefund({ payment_id: payment.id, amount: { value: '490.00', currency: 'RUB' } });
    const refunded = await notify(JSON.stringify({ type: 'notification', event: 'refund.succeeded', object: refund }));
    const reason = `refunded 490 RUB at YooKassa (refund ${refund.id} of payment ${payment.id})`;
    expect(refunded).toEqual({ status: 200, body: { result: 'flagged', reason } });
    expect(await webhookOutcomes(payments.db, input.orderId)).toEqual([
      ['amount_mismatch', payment.id],
      ['failed', canceled.id],
      ['refund_noted', refund.id],
    ]);
    expect((await payments.db('payment_flags').where({ order_id: input.orderId }).orderBy('id')).map((f) => f.reason)).toEqual([
      'paid 490 RUB instead of 4900 RUB (webhook)',
      reason,
    ]);
  });

  it('money for an expired order is flagged and the managers told once, however often it comes', async () => {
    const { lead, input } = await rubOrder();
    await payments.db('orders').where({ id: input.orderId }).update({ status: 'expired' });
    const { body } = succeeded(input.orderId);
    await (await h.worker()).runUntil(async () => {
      expect((await notify(body)).body).toEqual({ result: 'flagged', reason: 'paid after the order was expired (webhook)' });
      await h.fake.waitFor(() => lateNotices(input.orderId).length === 1);
      expect((await notify(body)).body).toEqual({ result: 'flagged', reason: 'paid after the order was expired (webhook)' });
    });
    expect(lateNotices(input.orderId)).toHaveLength(1);
    expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'expired', paid_at: null });
    expect(h.texts(lead).some((t) => t.includes('Оплата получена'))).toBe(false);
  });

  it('a product without its own link gets a YooKassa page per order (idempotence key = order id, back to the bot); paying it completes the order', async () => {
    const lead = await payments.lead();
    const client = new YooKassaApi({ ...SHOP, apiBase: yookassa.apiBase });
    const paymentLinks = yooKassaPaymentLinks(client, async () => 'https://t.me/school_sales_bot');
    const input = await h.activities({ paymentLinks }).createOrder({ telegramUserId: lead.id, productCode: RUB_PRODUCT_WITHOUT_LINKS, type: 'full', method: 'link' });
    const [created] = yookassa.requestsTo('POST', '/v3/payments');
    expect(created.headers['idempotence-key']).toBe(String(input.orderId));
    expect(created.body).toMatchObject({
      amount: { value: '4900.00', currency: 'RUB' },
      capture: true,
      confirmation: { type: 'redirect', return_url: 'https://t.me/school_sales_bot' },
      metadata: { order_id: String(input.orderId) },
    });
    expect(input.paymentUrl).toMatch(/^https:\/\/yoomoney\.ru\/checkout\/payments\/v2\/contract\?orderId=/);
    expect((await payments.orderRow(input.orderId)).payment_url).toBe(input.paymentUrl);
    const paymentId = new URL(input.paymentUrl as string).searchParams.get('orderId') as string;

    await (await h.worker({ paymentLinks })).runUntil(async () => {
      const handle = await payments.start(input);
      await h.until('sendMessage', lead, 1);
      expect(JSON.stringify(h.sent('sendMessage', lead)[0].params.reply_markup)).toContain(input.paymentUrl as string);
      // The lead pays on YooKassa's page; YooKassa notifies.
      yookassa.addPayment({ id: paymentId, status: 'succeeded', amount: { value: '4900.00', currency: 'RUB' }, metadata: { order_id: String(input.orderId) } });
      expect(await notify(yooKassaNotification('payment.succeeded', { id: paymentId }))).toEqual({ status: 200, body: { result: 'accepted' } });
      expect(await payments.result(handle)).toEqual({ orderId: input.orderId, status: 'paid' });
    });
    expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'paid', paid_via: 'webhook' });
  });

  it('an instalment order without links gets a YooKassa page per part: the first with the order, a later one when it falls due, kept for its reminders; each notification pays its own part', async () => {
    const lead = await payments.lead();
    const client = new YooKassaApi({ ...SHOP, apiBase: yookassa.apiBase });
    const paymentLinks = yooKassaPaymentLinks(client, async () => 'https://t.me/school_sales_bot');
    const activities = h.activities({ paymentLinks });
    const input = await activities.createOrder({ telegramUserId: lead.id, productCode: RUB_PRODUCT_WITHOUT_LINKS, type: 'instalment', method: 'link' });
    const parts = input.instalments as number[];
    expect(parts).toHaveLength(3);
    const pages = () => yookassa.requestsTo('POST', '/v3/payments').filter((r) => (r.body as { metadata?: { order_id?: string } }).metadata?.order_id === String(input.orderId));
    expect(pages()).toHaveLength(1);
    expect(pages()[0].headers['idempotence-key']).toBe(String(input.orderId));
    expect(pages()[0].body).toMatchObject({ amount: { value: parts[0].toFixed(2), currency: 'RUB' }, metadata: { order_id: String(input.orderId), instalment: '1' } });
    const firstPage = input.paymentUrl as string;
    const pageId = (url: string) => new URL(url).searchParams.get('orderId') as string;
    const buttonUrls = () => h.sent('sendMessage', lead).map((c) => JSON.stringify(c.params.reply_markup ?? null));
    const instalmentRow = async (n: number) => payments.db('order_instalments').where({ order_id: input.orderId, number: n }).first();

    await (await h.worker({ paymentLinks })).runUntil(async () => {
      await payments.start(input);
      await h.until('sendMessage', lead, 1);
      expect(buttonUrls()[0]).toContain(firstPage);
      // The lead pays the first part on its page; YooKassa notifies.
      yookassa.addPayment({ id: pageId(firstPage), status: 'succeeded', amount: { value: parts[0].toFixed(2), currency: 'RUB' }, metadata: { order_id: String(input.orderId), instalment: '1' } });
      expect(await notify(yooKassaNotification('payment.succeeded', { id: pageId(firstPage) }))).toEqual({ status: 200, body: { result: 'accepted' } });
      await eventually('the first part paid', async () => (await payments.orderRow(input.orderId)).status === 'paid' && (await instalmentRow(1)).status === 'paid');

      // The second part falls due (the workflow waits for it now): its message carries a page of its own, for its own amount.
      const workflow = h.env.client.workflow.getHandle(paymentWorkflowId(input.orderId));
      await eventually('the order waits for its second part', async () => (await workflow.query(paymentStateQuery)).instalment === 2);
      const sentBefore = h.sent('sendMessage', lead).length;
      await activities.sendPaymentMessage({ input, kind: 'instalmentDue', outboundId: `yookassa-parts-${input.orderId}/due-2`, instalment: 2 });
      expect(pages()).toHaveLength(2);
      expect(pages()[1].headers['idempotence-key']).toBe(`${input.orderId}-2`);
      expect(pages()[1].body).toMatchObject({ amount: { value: parts[1].toFixed(2), currency: 'RUB' }, metadata: { order_id: String(input.orderId), instalment: '2' } });
      const secondPage = (await instalmentRow(2)).payment_url as string;
      expect(secondPage).toMatch(/^https:\/\/yoomoney\.ru\/checkout\/payments\/v2\/contract\?orderId=/);
      expect(secondPage).not.toBe(firstPage);
      // (The workflow's thanks for the first part may come in between: count the pages, not positions.)
      const showing = (page: string) => buttonUrls().slice(sentBefore).filter((markup) => markup.includes(page)).length;
      expect(showing(secondPage)).toBe(1);
      // Its reminder shows the same page; no second payment is opened for the same part.
      await activities.sendPaymentMessage({ input, kind: 'instalmentReminder1', outboundId: `yookassa-parts-${input.orderId}/due-2-r1`, instalment: 2 });
      expect(pages()).toHaveLength(2);
      expect(showing(secondPage)).toBe(2);
      expect(showing(firstPage)).toBe(0);
      // The lead pays the second part on its page: that part is paid, not the first again.
      yookassa.addPayment({ id: pageId(secondPage), status: 'succeeded', amount: { value: parts[1].toFixed(2), currency: 'RUB' }, metadata: { order_id: String(input.orderId), instalment: '2' } });
      expect(await notify(yooKassaNotification('payment.succeeded', { id: pageId(secondPage) }))).toEqual({ status: 200, body: { result: 'accepted' } });
      await eventually('the second part paid', async () => (await instalmentRow(2)).status === 'paid');
    });
    expect((await instalmentRow(3)).status).not.toBe('paid');
  });

  it('YooKassa refusing to make a page refuses the order (the lead is handed to a manager), with the reason', async () => {
    const lead = await payments.lead();
    const wrongKeys = new YooKassaApi({ shopId: SHOP.shopId, secretKey: 'test_wrong-key-000000', apiBase: yookassa.apiBase });
    const paymentLinks = yooKassaPaymentLinks(wrongKeys, async () => 'https://t.me/school_sales_bot');
    await expect(h.activities({ paymentLinks }).createOrder({ telegramUserId: lead.id, productCode: RUB_PRODUCT_WITHOUT_LINKS, type: 'full', method: 'link' })).rejects.toMatchObject({
      type: 'BadOrderRequest',
      message: 'YooKassa could not make a payment page: YooKassa API answered 401 (invalid_credentials)',
    });
    expect(await payments.db('orders').where({ lead_id: lead.leadId })).toHaveLength(0);
  });
});

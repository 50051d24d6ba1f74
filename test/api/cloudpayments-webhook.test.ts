import { CHECK_CODES, CLOUDPAYMENTS_WEBHOOK_PATH, cloudPaymentsSignature } from '../../api/payments/cloudpayments-routes';
import { CLOUDPAYMENTS_CHECK_SAMPLE, CLOUDPAYMENTS_FAIL_SAMPLE, CLOUDPAYMENTS_PAY_SAMPLE, cloudPaymentsForm } from '../fixtures/payments/cloudpayments';
import { MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { RUB_PRODUCT, useProviderApi, webhookOutcomes, webhookRowCount } from '../support/provider-payments';

const SECRET = 'cp-api-secret-0123456789abcdef';
const h = useLeadHarness();
const kit = useProviderApi(h, (notices) => ({ cloudPayments: { apiSecret: SECRET, ...notices } }));

const lateNotices = (orderId: number) =>
  h.fake.callsTo('sendMessage', MANAGERS_CHAT).map((c) => String(c.params.text)).filter((t) => t.includes(`Деньги пришли по закрытому заказу №${orderId} `));

/** A notification as CloudPayments posts it; `signature: null` sends none. */
async function notify(kind: 'check' | 'pay' | 'fail', body: string, options: { signature?: string | null; contentType?: string } = {}) {
  const signature = options.signature === undefined ? cloudPaymentsSignature(SECRET, body) : options.signature;
  const response = await kit.api.inject({
    method: 'POST',
    url: `${CLOUDPAYMENTS_WEBHOOK_PATH}/${kind}`,
    payload: body,
    headers: { 'content-type': options.contentType ?? 'application/x-www-form-urlencoded', ...(signature !== null && { 'content-hmac': signature }) },
  });
  return { status: response.statusCode, body: response.json() as { code?: number; error?: string } };
}

async function rubOrder() {
  const lead = await kit.payments.lead();
  const input = await kit.payments.order({ telegramUserId: lead.id, productCode: RUB_PRODUCT, type: 'full', method: 'link' });
  return { lead, input };
}

const pay = (orderId: number, changes: Record<string, string> = {}) =>
  cloudPaymentsForm(CLOUDPAYMENTS_PAY_SAMPLE, { InvoiceId: String(orderId), Amount: '4900.00', PaymentAmount: '4900.00', ...changes });
const check = (orderId: number | string, changes: Record<string, string> = {}) =>
  cloudPaymentsForm(CLOUDPAYMENTS_CHECK_SAMPLE, { InvoiceId: String(orderId), Amount: '4900.00', PaymentAmount: '4900.00', ...changes });

describe('POST /payments/cloudpayments/webhook', () => {
  it('Check then Pay complete the order once; the same Pay again is answered {"code":0} and changes nothing', async () => {
    const { lead, input } = await rubOrder();
    await (await h.worker()).runUntil(async () => {
      const handle = await kit.payments.start(input);
      await kit.payments.untilStatus(input.orderId, 'sent');
      expect(await notify('check', check(input.orderId))).toEqual({ status: 200, body: { code: 0 } });
      expect(await notify('pay', pay(input.orderId))).toEqual({ status: 200, body: { code: 0 } });
      expect(await kit.payments.result(handle)).toEqual({ orderId: input.orderId, status: 'paid' });
      await h.until('sendMessage', lead, 2);
      expect(await notify('pay', pay(input.orderId))).toEqual({ status: 200, body: { code: 0 } });
      expect(await notify('pay', pay(input.orderId))).toEqual({ status: 200, body: { code: 0 } });
    });
    expect(h.texts(lead).filter((t) => t.includes('Оплата получена'))).toHaveLength(1);
    expect(await kit.payments.orderRow(input.orderId)).toMatchObject({
      status: 'paid',
      paid_via: 'webhook',
      flagged_reason: null,
      provider_payload: expect.objectContaining({ provider: 'cloudpayments', payment_id: '1211506', InvoiceId: String(input.orderId) }),
    });
    expect(await webhookOutcomes(kit.payments.db, input.orderId)).toEqual([
      ['check_accepted', '1211506'],
      ['paid', '1211506'],
      ['duplicate', '1211506'],
      ['duplicate', '1211506'],
    ]);
  });

  it('Check answers with CloudPayments\' codes: 10 unknown order, 11 another payer, 12 wrong amount, 13 closed or paid', async () => {
    const { lead, input } = await rubOrder();
    expect((await notify('check', check(987654321))).body).toEqual({ code: CHECK_CODES.wrongOrder });
    expect((await notify('check', check('abc'))).body).toEqual({ code: CHECK_CODES.wrongOrder });
    expect((await notify('check', check(input.orderId, { AccountId: '42' }))).body).toEqual({ code: CHECK_CODES.wrongAccount });
    expect((await notify('check', check(input.orderId, { AccountId: String(lead.id) }))).body).toEqual({ code: CHECK_CODES.payable });
    expect((await notify('check', check(input.orderId, { AccountId: 'anna@example.com' }))).body).toEqual({ code: CHECK_CODES.payable });
    expect((await notify('check', check(input.orderId, { Amount: '490.00' }))).body).toEqual({ code: CHECK_CODES.wrongAmount });
    expect((await notify('check', check(input.orderId, { Currency: 'USD' }))).body).toEqual({ code: CHECK_CODES.wrongAmount });
    await kit.payments.db('orders').where({ id: input.orderId }).update({ status: 'expired' });
    expect((await notify('check', check(input.orderId))).body).toEqual({ code: CHECK_CODES.notAccepted });
    await kit.payments.db('orders').where({ id: input.orderId }).update({ status: 'paid' });
    expect((await notify('check', check(input.orderId))).body).toEqual({ code: CHECK_CODES.notAccepted });
    // A check moves no money: the order is as the test left it, with no flag.
    expect(await kit.payments.orderRow(input.orderId)).toMatchObject({ status: 'paid', flagged_reason: null });
    expect((await webhookOutcomes(kit.payments.db, input.orderId)).map(([outcome]) => outcome)).toEqual([
      'check_refused',
      'check_accepted',
      'check_accepted',
      'check_refused',
      'check_refused',
      'check_refused',
      'check_refused',
    ]);
  });

  it('a forged, missing or stale Content-HMAC is refused with 401; nothing is stored and the order is untouched', async () => {
    const { input } = await rubOrder();
    const before = await webhookRowCount(kit.payments.db);
    const body = pay(input.orderId);
    expect((await notify('pay', body, { signature: null })).status).toBe(401);
    expect((await notify('pay', body, { signature: cloudPaymentsSignature('another-api-secret-0000', body) })).status).toBe(401);
    expect((await notify('pay', body.replace('Amount=4900.00', 'Amount=1.00'), { signature: cloudPaymentsSignature(SECRET, body) })).status).toBe(401);
    expect((await notify('check', check(input.orderId), { signature: 'not base64 at all' })).body).toEqual({ error: 'bad signature' });
    expect(await webhookRowCount(kit.payments.db)).toBe(before);
    expect(await kit.payments.orderRow(input.orderId)).toMatchObject({ status: 'created', flagged_reason: null, provider_payload: null });
  });

  it('Pay for a wrong amount (JSON notifications too) is flagged for a manager, not fulfilled; Fail is a declined payment', async () => {
    const { input } = await rubOrder();
    const json = JSON.stringify({ ...CLOUDPAYMENTS_PAY_SAMPLE, TransactionId: 77, InvoiceId: String(input.orderId), Amount: 490, Currency: 'RUB' });
    expect(await notify('pay', json, { contentType: 'application/json' })).toEqual({ status: 200, body: { code: 0 } });
    expect(await kit.payments.orderRow(input.orderId)).toMatchObject({
      status: 'created',
      paid_at: null,
      flagged_reason: 'paid 490 RUB instead of 4900 RUB (webhook)',
    });
    expect(await kit.payments.db('payment_flags').where({ order_id: input.orderId }).select('reason', 'payment_ref')).toEqual([
      { reason: 'paid 490 RUB instead of 4900 RUB (webhook)', payment_ref: '77' },
    ]);
    const fail = cloudPaymentsForm(CLOUDPAYMENTS_FAIL_SAMPLE, { InvoiceId: String(input.orderId), TransactionId: '78', Amount: '4900.00' });
    expect(await notify('fail', fail)).toEqual({ status: 200, body: { code: 0 } });
    expect(await webhookOutcomes(kit.payments.db, input.orderId)).toEqual([
      ['amount_mismatch', '77'],
      ['failed', '78'],
    ]);
  });

  it('Pay for an expired order: flagged, the managers told once however often it comes, {"code":0} each time', async () => {
    const { lead, input } = await rubOrder();
    await kit.payments.db('orders').where({ id: input.orderId }).update({ status: 'expired' });
    await (await h.worker()).runUntil(async () => {
      expect(await notify('pay', pay(input.orderId))).toEqual({ status: 200, body: { code: 0 } });
      await h.fake.waitFor(() => lateNotices(input.orderId).length === 1);
      expect(await notify('pay', pay(input.orderId))).toEqual({ status: 200, body: { code: 0 } });
    });
    expect(lateNotices(input.orderId)).toHaveLength(1);
    expect(await kit.payments.orderRow(input.orderId)).toMatchObject({ status: 'expired', paid_at: null, flagged_reason: 'paid after the order was expired (webhook)' });
    expect(h.texts(lead).some((t) => t.includes('Оплата получена'))).toBe(false);
  });

  it('Pay naming no order of ours (an invoice made by hand in the dashboard): flagged once, the managers told where to return it, {"code":0}', async () => {
    const transaction = String(Date.now() % 1_000_000_000);
    const body = pay(0, { InvoiceId: 'ручной счёт', TransactionId: transaction });
    const told = () => h.fake.callsTo('sendMessage', MANAGERS_CHAT).map((c) => String(c.params.text)).filter((t) => t.includes(`payment ${transaction}`));
    await (await h.worker()).runUntil(async () => {
      expect(await notify('pay', body)).toEqual({ status: 200, body: { code: 0 } });
      await h.fake.waitFor(() => told().length === 1);
      expect(await notify('pay', body)).toEqual({ status: 200, body: { code: 0 } });
      await h.env.client.workflow.getHandle(`payment-unmatched-cloudpayments-${transaction}`).result();
    });
    expect(told()).toEqual([expect.stringContaining('paid 4900 RUB (cloudpayments')]);
    expect(told()[0]).toContain('кабинете платёжной системы');
    expect(await kit.payments.db('payment_flags').where({ payment_ref: transaction }).select('order_id')).toEqual([{ order_id: null }]);
  });

  it('a held two-stage payment (Status=Authorized) is recorded and answered {"code":0} but pays nothing yet', async () => {
    const { input } = await rubOrder();
    expect(await notify('pay', pay(input.orderId, { Status: 'Authorized' }))).toEqual({ status: 200, body: { code: 0 } });
    expect(await kit.payments.orderRow(input.orderId)).toMatchObject({ status: 'created', paid_at: null });
    expect(await webhookOutcomes(kit.payments.db, input.orderId)).toEqual([['ignored', '1211506']]);
  });
});

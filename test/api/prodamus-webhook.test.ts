import { PRODAMUS_WEBHOOK_PATH } from '../../api/payments/prodamus-routes';
import { phpFormFields, phpJsonEncode, prodamusSignature } from '../../api/payments/prodamus-sign';
import { prodamusFields } from '../fixtures/payments/prodamus';
import { MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { RUB_PRODUCT, useProviderApi, webhookOutcomes, webhookRowCount } from '../support/provider-payments';

const SECRET = 'prodamus-secret-key-0123456789abcdef';
const h = useLeadHarness();
const kit = useProviderApi(h, (notices) => ({ prodamus: { secretKey: SECRET, ...notices } }));

const lateNotices = (orderId: number) =>
  h.fake.callsTo('sendMessage', MANAGERS_CHAT).map((c) => String(c.params.text)).filter((t) => t.includes(`Деньги пришли по закрытому заказу №${orderId} `));

/** Prodamus' notification for our order: signed over its fields with the page's secret key (or `sign`). */
async function notify(fields: [string, string][], options: { sign?: string | null; multipart?: boolean } = {}) {
  const sign = options.sign === undefined ? prodamusSignature(SECRET, phpFormFields(fields)) : options.sign;
  const signHeader = sign === null ? {} : { sign };
  if (options.multipart) {
    const form = new FormData();
    for (const [name, value] of fields) form.append(name, value);
    const request = new Request('http://localhost/', { method: 'POST', body: form });
    const payload = Buffer.from(await request.arrayBuffer());
    const response = await kit.api.inject({ method: 'POST', url: PRODAMUS_WEBHOOK_PATH, payload, headers: { 'content-type': request.headers.get('content-type') ?? '', ...signHeader } });
    return { status: response.statusCode, body: response.json() };
  }
  const response = await kit.api.inject({
    method: 'POST',
    url: PRODAMUS_WEBHOOK_PATH,
    payload: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...signHeader },
  });
  return { status: response.statusCode, body: response.json() };
}

async function rubOrder() {
  const lead = await kit.payments.lead();
  const input = await kit.payments.order({ telegramUserId: lead.id, productCode: RUB_PRODUCT, type: 'full', method: 'link' });
  return { lead, input };
}

const paid = (orderId: number, changes: Record<string, string> = {}) =>
  prodamusFields({ order_num: String(orderId), sum: '4900.00', 'products[0][price]': '4900.00', 'products[0][sum]': '4900.00', ...changes });

describe('Prodamus\' signature', () => {
  it('is PHP\'s json_encode of the fields sorted at every level, "/" escaped, Cyrillic as it is', () => {
    const fields = phpFormFields([
      ['sum', '100.00'],
      ['products[0][sum]', '100.00'],
      ['products[0][name]', 'Курс "A/B"'],
      ['date', '2020-07-27T12:31:01+03:00'],
    ]);
    expect(phpJsonEncode(fields)).toBe('{"date":"2020-07-27T12:31:01+03:00","products":[{"name":"Курс \\"A\\/B\\"","sum":"100.00"}],"sum":"100.00"}');
    expect(prodamusSignature('key', fields)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('POST /payments/prodamus/webhook', () => {
  it('a success notification completes the order once; the same notification again is a duplicate', async () => {
    const { lead, input } = await rubOrder();
    await (await h.worker()).runUntil(async () => {
      const handle = await kit.payments.start(input);
      await kit.payments.untilStatus(input.orderId, 'sent');
      expect(await notify(paid(input.orderId))).toEqual({ status: 200, body: { result: 'accepted' } });
      expect(await kit.payments.result(handle)).toEqual({ orderId: input.orderId, status: 'paid' });
      await h.until('sendMessage', lead, 2);
      // Prodamus may send it again (and as multipart/form-data): the same payment, nothing new.
      expect(await notify(paid(input.orderId))).toEqual({ status: 200, body: { result: 'duplicate', status: 'paid' } });
      expect(await notify(paid(input.orderId), { multipart: true })).toEqual({ status: 200, body: { result: 'duplicate', status: 'paid' } });
    });
    expect(h.texts(lead).filter((t) => t.includes('Оплата получена'))).toHaveLength(1);
    expect(await kit.payments.orderRow(input.orderId)).toMatchObject({
      status: 'paid',
      paid_via: 'webhook',
      provider_payload: expect.objectContaining({ provider: 'prodamus', payment_id: '300155', order_num: String(input.orderId) }),
    });
    expect(await webhookOutcomes(kit.payments.db, input.orderId)).toEqual([
      ['paid', '300155'],
      ['duplicate', '300155'],
      ['duplicate', '300155'],
    ]);
  });

  it('a forged, missing or stale Sign is refused with 401; nothing is stored and the order is untouched', async () => {
    const { input } = await rubOrder();
    const before = await webhookRowCount(kit.payments.db);
    const fields = paid(input.orderId);
    expect((await notify(fields, { sign: null })).status).toBe(401);
    expect((await notify(fields, { sign: prodamusSignature('another-secret-key-000000', phpFormFields(fields)) })).status).toBe(401);
    // Signed for 49 roubles, sent as 4 900: the signature covers every field.
    const cheap = prodamusSignature(SECRET, phpFormFields(paid(input.orderId, { sum: '49.00' })));
    const tampered = await notify(fields, { sign: cheap });
    expect(tampered).toEqual({ status: 401, body: { error: 'bad signature' } });
    expect(await webhookRowCount(kit.payments.db)).toBe(before);
    expect(await kit.payments.orderRow(input.orderId)).toMatchObject({ status: 'created', flagged_reason: null, provider_payload: null });
  });

  it('a wrong amount is flagged for a manager and not fulfilled; a denied order is a failed payment', async () => {
    const { input } = await rubOrder();
    expect(await notify(paid(input.orderId, { sum: '490.00', order_id: '300200' }))).toEqual({
      status: 200,
      body: { result: 'flagged', reason: 'paid 490 RUB instead of 4900 RUB (webhook)' },
    });
    expect(await kit.payments.orderRow(input.orderId)).toMatchObject({ status: 'created', paid_at: null, flagged_reason: 'paid 490 RUB instead of 4900 RUB (webhook)' });
    expect(await notify(paid(input.orderId, { order_id: '300201', payment_status: 'order_denied', payment_status_description: 'Отказ банка' }))).toEqual({
      status: 200,
      body: { result: 'accepted' },
    });
    expect(await webhookOutcomes(kit.payments.db, input.orderId)).toEqual([
      ['amount_mismatch', '300200'],
      ['failed', '300201'],
    ]);
  });

  it('money for a cancelled order is flagged and the managers told once, however often it comes', async () => {
    const { lead, input } = await rubOrder();
    await kit.payments.db('orders').where({ id: input.orderId }).update({ status: 'cancelled' });
    await (await h.worker()).runUntil(async () => {
      expect((await notify(paid(input.orderId))).body).toEqual({ result: 'flagged', reason: 'paid after the order was cancelled (webhook)' });
      await h.fake.waitFor(() => lateNotices(input.orderId).length === 1);
      expect((await notify(paid(input.orderId))).body).toEqual({ result: 'flagged', reason: 'paid after the order was cancelled (webhook)' });
    });
    expect(lateNotices(input.orderId)).toHaveLength(1);
    expect(await kit.payments.orderRow(input.orderId)).toMatchObject({ status: 'cancelled', paid_at: null });
    expect(h.texts(lead).some((t) => t.includes('Оплата получена'))).toBe(false);
  });
});

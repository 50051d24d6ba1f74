import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import type { Knex } from 'knex';
import pino from 'pino';
import { createBot } from '../../../bot/bot';
import type { BotContext } from '../../../bot/context';
import { salesMetrics } from '../../../db/analytics-optional';
import { eraseLead } from '../../../db/lead-erasure';
import type { TelegramPaymentSettings } from '../../../domain/payments/provider-invoice';
import { uniqueUserId } from '../../support/db';
import { MANAGERS_CHAT, TEST_TOKEN, useLeadHarness } from '../../support/lead-harness';
import { PaymentTestKit } from '../../support/payments';
import { textUpdate } from '../../support/updates';

/**
 * Telegram Payments with a provider token (issue 22, part 1), end to end: the order's payment
 * workflow on Temporal sends the invoice to the fake Bot API, the bot answers the pre-checkout and
 * takes the successful_payment, Postgres keeps the order and both charge ids.
 */
const h = useLeadHarness();
let payments: PaymentTestKit;
const owner = uniqueUserId();

/** A rouble product of this file's own (other files retire theirs when they end). */
const PRODUCT = 'rub_course_telegram_payments';
const PROVIDER_TOKEN = '381764678:TEST:100037';
const SETTINGS: TelegramPaymentSettings = { providerToken: PROVIDER_TOKEN, currencies: ['RUB'], receipt: { vatCode: 1 } };

async function ensureProduct(db: Knex): Promise<void> {
  const columns: string[] = (await db('information_schema.columns').where({ table_name: 'products', table_schema: 'public' }).pluck('column_name')).filter(
    (column: string) => !['id', 'code', 'currency', 'price', 'stars_price', 'created_at', 'updated_at'].includes(column),
  );
  const list = columns.map((column) => `"${column}"`).join(', ');
  await db.raw(
    `insert into products (code, currency, price, ${list}) select ?, 'RUB', 4900, ${list} from products where code = 'crypto_start' on conflict (code) do update set active = true`,
    [PRODUCT],
  );
}

beforeAll(async () => {
  payments = new PaymentTestKit(h);
  await ensureProduct(payments.db);
});
afterEach(() => payments.end());
afterAll(async () => {
  await payments.db('products').where({ code: PRODUCT }).update({ active: false });
  await payments.close();
});

const managerTexts = () => h.fake.callsTo('sendMessage', MANAGERS_CHAT).map((c) => String(c.params.text));

async function bot(): Promise<Bot<BotContext>> {
  const instance = createBot({
    token: TEST_TOKEN,
    apiRoot: h.fake.apiRoot,
    logger: pino({ level: 'silent' }),
    conversations: { deliver: async () => undefined },
    payments: { db: payments.db, owners: [owner], managersChatId: MANAGERS_CHAT, logger: pino({ level: 'silent' }), workflows: payments.workflows() },
  });
  await instance.init();
  return instance;
}

/** Hands an update the fake queued to the bot, as long polling (or a redelivery) would. */
async function handlePushed(updateId: number): Promise<void> {
  const instance = await bot();
  const [update] = await instance.api.getUpdates({ offset: updateId, limit: 1, timeout: 0 });
  expect(update.update_id).toBe(updateId);
  await instance.handleUpdate(update);
}

async function command(from: number, text: string): Promise<string> {
  await (await bot()).handleUpdate(textUpdate({ id: from, first_name: 'Owner' }, text) as unknown as Update);
  return String(h.fake.callsTo('sendMessage', from).at(-1)?.params.text);
}

/** Today's sales as the dashboard counts them. */
async function rubSales() {
  const until = new Date(Date.now() + 60_000);
  const sales = await salesMetrics(payments.db, { days: 1, since: new Date(until.getTime() - 86_400_000), until, timeZone: 'UTC' }, new Set(['orders', 'order_instalments']));
  return sales.available ? sales.byCurrency : [];
}

/** Today's refunds as the dashboard counts them. */
async function rubRefunds() {
  const until = new Date(Date.now() + 60_000);
  const sales = await salesMetrics(payments.db, { days: 1, since: new Date(until.getTime() - 86_400_000), until, timeZone: 'UTC' }, new Set(['orders', 'order_instalments']));
  return sales.available ? sales.refunds : [];
}

const answerTo = (queryId: string) => h.fake.callsTo('answerPreCheckoutQuery').find((c) => c.params.pre_checkout_query_id === queryId)?.params;

/** An order as the offer's "pay" button makes it (method link), with the provider token configured. */
function order(telegramUserId: number, type: 'full' | 'instalment') {
  return h.activities({ telegramPayments: SETTINGS }).createOrder({ telegramUserId, productCode: PRODUCT, type, method: 'link' });
}

describe('Telegram Payments with a provider token', () => {
  it('a lead pays a rouble product inside Telegram: invoice in kopecks with the receipt, pre-checkout checked, paid once however often Telegram delivers it; /refund sends a person to the provider', async () => {
    const lead = await payments.lead();
    const input = await order(lead.id, 'full');
    expect(input).toMatchObject({ method: 'telegram', amount: 4900, currency: 'RUB' });
    expect(input.paymentUrl).toBeUndefined();
    const payload = `order:${input.orderId}`;
    let chargeId = '';
    await (await h.worker({ telegramPayments: SETTINGS })).runUntil(async () => {
      await payments.start(input);
      await h.until('sendInvoice', lead, 1);
      const [invoice] = h.sent('sendInvoice', lead);
      expect(invoice.error).toBeUndefined();
      expect(invoice.params).toMatchObject({
        currency: 'RUB',
        payload,
        provider_token: PROVIDER_TOKEN,
        prices: [{ amount: 490_000 }],
        need_email: true,
        send_email_to_provider: true,
      });
      expect(JSON.parse(String(invoice.params.provider_data))).toEqual({
        receipt: { items: [{ description: expect.any(String), quantity: '1.00', amount: { value: '4900.00', currency: 'RUB' }, vat_code: 1, payment_mode: 'full_payment', payment_subject: 'service' }] },
      });
      await payments.untilStatus(input.orderId, 'sent');
      expect((await payments.orderRow(input.orderId)).method).toBe('telegram');

      // Refused: roubles where kopecks are due, another currency, another payer.
      const roubles = h.fake.pushPreCheckout(lead, { payload, total_amount: 4900, currency: 'RUB' });
      const dollars = h.fake.pushPreCheckout(lead, { payload, total_amount: 490_000, currency: 'USD' });
      const stranger = h.fake.pushPreCheckout({ id: uniqueUserId() }, { payload, total_amount: 490_000, currency: 'RUB' });
      const right = h.fake.pushPreCheckout(lead, { payload, total_amount: 490_000, currency: 'RUB', email: 'lead@example.com' });
      for (const query of [roubles, dollars, stranger, right]) await handlePushed(query.updateId);
      expect(answerTo(roubles.queryId)).toMatchObject({ ok: false, error_message: expect.stringContaining('не действует') });
      expect(answerTo(dollars.queryId)).toMatchObject({ ok: false });
      expect(answerTo(stranger.queryId)).toMatchObject({ ok: false });
      expect(answerTo(right.queryId)).toMatchObject({ ok: true });

      const paid = h.fake.pushSuccessfulPayment(lead, { payload, total_amount: 490_000, currency: 'RUB', providerChargeId: `yk-${input.orderId}`, email: 'lead@example.com' });
      chargeId = paid.chargeId;
      await handlePushed(paid.updateId);
      await h.fake.waitFor(() => h.texts(lead).some((t) => t.includes('Оплата получена')));
      await payments.untilStatus(input.orderId, 'paid');
      // Telegram delivers the same payment again: nothing new.
      await handlePushed(paid.updateId);
      await h.env.client.workflow.getHandle(`payment-${input.orderId}`).result();

      const late = h.fake.pushPreCheckout(lead, { payload, total_amount: 490_000, currency: 'RUB' });
      await handlePushed(late.updateId);
      expect(answerTo(late.queryId)).toMatchObject({ ok: false });
    });
    expect(await payments.orderRow(input.orderId)).toMatchObject({
      status: 'paid',
      paid_via: 'telegram',
      telegram_payment_charge_id: chargeId,
      provider_payment_charge_id: `yk-${input.orderId}`,
    });
    expect(h.texts(lead).filter((t) => t.includes('Оплата получена'))).toHaveLength(1);
    expect(managerTexts().filter((t) => t.includes(`Оплачен заказ №${input.orderId}:`))).toHaveLength(1);
    expect(await payments.db('payment_flags').where({ order_id: input.orderId })).toEqual([]);

    // The Bot API refunds Stars only: the admin is told where to return it, and a person is flagged.
    const reply = await command(owner, `/refund ${input.orderId}`);
    expect(reply).toContain('бот не может вернуть эти деньги');
    expect(reply).toContain(`yk-${input.orderId}`);
    expect(h.fake.callsTo('refundStarPayment')).toHaveLength(0);
    expect((await payments.orderRow(input.orderId)).status).toBe('paid');
    expect(managerTexts().some((t) => t.includes(`просит вернуть оплату заказа №${input.orderId} `) && t.includes(`yk-${input.orderId}`))).toBe(true);
    const flags = await payments.db('payment_flags').where({ order_id: input.orderId });
    expect(flags).toHaveLength(1);
    expect(flags[0].reason).toContain('refund asked by admin');
    await command(owner, `/refund ${input.orderId}`); // asked again: the same flag, not a second one
    expect(await payments.db('payment_flags').where({ order_id: input.orderId })).toHaveLength(1);

    // The admin returned the money in the provider's dashboard and says so: the order is refunded (access
    // closed, no longer revenue), the flag settled with who and why, the managers told. Nobody else may.
    const stranger = uniqueUserId();
    expect(await command(stranger, `/refund_done ${input.orderId}`)).toContain('⛔');
    expect((await payments.orderRow(input.orderId)).status).toBe('paid');
    const revenue = async () => (await rubSales()).find((c) => c.currency === 'RUB')?.orders ?? 0;
    const before = await revenue();
    expect(await command(owner, `/refund_done ${input.orderId} вернули в ЮKassa`)).toBe(
      `✅ Заказ №${input.orderId} (4900 RUB) отмечен возвращённым: доступ закрыт, в аналитике это возврат. Снято пометок: 1.`,
    );
    expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'refunded', flagged_reason: null });
    expect(await revenue()).toBe(before - 1);
    expect((await rubRefunds()).find((r) => r.currency === 'RUB')?.orders).toBeGreaterThanOrEqual(1);
    expect(await payments.db('payment_flags').where({ order_id: input.orderId }).first()).toMatchObject({
      resolved_at: expect.any(Date),
      resolved_by: owner,
      resolution: `refund made at the provider (admin ${owner}): вернули в ЮKassa`,
    });
    expect(managerTexts().some((t) => t.startsWith(`✅ Возврат по заказу №${input.orderId} (4900 RUB) сделан в кабинете платёжной системы`))).toBe(true);
    expect(await command(owner, `/refund_done ${input.orderId}`)).toBe(`Заказ №${input.orderId} уже отмечен возвращённым — ничего не изменено.`);
    const audit = await payments.db('staff_audit').where({ command: 'refund_done' }).whereIn('actor_telegram_id', [owner, stranger]).orderBy('id').select('actor_telegram_id', 'allowed', 'reason');
    expect(audit.map((a) => [Number(a.actor_telegram_id) === owner ? 'owner' : 'stranger', a.allowed, a.reason])).toEqual([
      ['stranger', false, 'not staff'],
      ['owner', true, null],
      ['owner', false, 'order is refunded'],
    ]);
  });

  it('/refund_done refuses a Stars order (the bot refunds those itself) and an order not paid', async () => {
    const lead = await payments.lead();
    const unpaid = await order(lead.id, 'full');
    expect(await command(owner, `/refund_done ${unpaid.orderId}`)).toBe(`Заказ №${unpaid.orderId} не оплачен (created) — отмечать нечего.`);
    const stars = await order(lead.id, 'full');
    await payments.db('orders').where({ id: stars.orderId }).update({ status: 'paid', currency: 'XTR', amount: 4834, paid_at: payments.db.fn.now() });
    expect(await command(owner, `/refund_done ${stars.orderId}`)).toBe(`Заказ №${stars.orderId} оплачен в Stars: их возвращает сам бот — /refund ${stars.orderId}.`);
    expect(await command(owner, '/refund_done')).toContain('Как отметить возврат');
    expect((await payments.orderRow(stars.orderId)).status).toBe('paid');
    expect((await payments.orderRow(unpaid.orderId)).status).toBe('created');
  });

  it('instalments: each part is its own invoice (order:<id>:<n>) in kopecks, paid once, with its own charge ids', async () => {
    const lead = await payments.lead();
    const input = await order(lead.id, 'instalment');
    expect(input).toMatchObject({ method: 'telegram', amount: 1633.33, instalments: [1633.33, 1633.33, 1633.34] });
    await (await h.worker({ telegramPayments: SETTINGS })).runUntil(async () => {
      await payments.start(input);
      await h.until('sendInvoice', lead, 1);
      expect(h.sent('sendInvoice', lead)[0].params).toMatchObject({ payload: `order:${input.orderId}`, prices: [{ amount: 163_333 }] });
      await handlePushed(h.fake.pushSuccessfulPayment(lead, { payload: `order:${input.orderId}`, total_amount: 163_333, currency: 'RUB', email: 'lead@example.com' }).updateId);
      await h.fake.waitFor(() => h.texts(lead).some((t) => t.includes('Оплата получена')));

      await h.env.sleep(30 * 24 * 3_600_000 + 60_000);
      await h.until('sendInvoice', lead, 2);
      expect(h.sent('sendInvoice', lead)[1].params).toMatchObject({ currency: 'RUB', payload: `order:${input.orderId}:2`, prices: [{ amount: 163_333 }] });
      const check = h.fake.pushPreCheckout(lead, { payload: `order:${input.orderId}:2`, total_amount: 163_333, currency: 'RUB' });
      await handlePushed(check.updateId);
      expect(answerTo(check.queryId)).toMatchObject({ ok: true });
      const second = h.fake.pushSuccessfulPayment(lead, { payload: `order:${input.orderId}:2`, total_amount: 163_333, currency: 'RUB' });
      await handlePushed(second.updateId);
      await handlePushed(second.updateId);
      await h.fake.waitFor(() => h.texts(lead).some((t) => t.includes('Платёж 2 из 3 по заказу') && t.includes('получен')));
      expect(await payments.db('order_instalments').where({ order_id: input.orderId, number: 2 }).first()).toMatchObject({
        status: 'paid',
        paid_via: 'telegram',
        telegram_payment_charge_id: second.chargeId,
        provider_payment_charge_id: second.providerChargeId,
      });
    });
    expect(h.texts(lead).filter((t) => t.includes('Платёж 2 из 3 по заказу'))).toHaveLength(1);

    // The customer's /reset: the books keep both charge ids, not the e-mail nor (no Stars refund needs it) the payer.
    await eraseLead(payments.db, lead.id);
    const kept = await payments.orderRow(input.orderId);
    expect(kept).toMatchObject({ lead_id: null, payer_telegram_id: null, telegram_payment_charge_id: expect.any(String), provider_payment_charge_id: expect.any(String) });
    expect(JSON.stringify(kept.provider_payload)).not.toContain('order_info');
  });

  it('money for a closed order: pre-checkout refused; a payment that comes anyway is flagged and the managers told once', async () => {
    const lead = await payments.lead();
    const input = await order(lead.id, 'full');
    await payments.db('orders').where({ id: input.orderId }).update({ status: 'expired' }); // its workflow has ended
    const payload = `order:${input.orderId}`;
    const notices = () => managerTexts().filter((t) => t.includes(`Деньги пришли по закрытому заказу №${input.orderId} `));
    await (await h.worker({ telegramPayments: SETTINGS })).runUntil(async () => {
      const check = h.fake.pushPreCheckout(lead, { payload, total_amount: 490_000, currency: 'RUB' });
      await handlePushed(check.updateId);
      expect(answerTo(check.queryId)).toMatchObject({ ok: false });
      const paid = h.fake.pushSuccessfulPayment(lead, { payload, total_amount: 490_000, currency: 'RUB' });
      await handlePushed(paid.updateId);
      await h.fake.waitFor(() => notices().length === 1);
      await handlePushed(paid.updateId);
      await h.env.client.workflow.getHandle(`payment-${input.orderId}-late-${paid.chargeId}`).result();
      expect(notices()[0]).toContain('paid 4900 RUB after the order was expired (telegram)');
      expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'expired', telegram_payment_charge_id: paid.chargeId, provider_payment_charge_id: paid.providerChargeId });
    });
    expect(notices()).toHaveLength(1);
  });

  it('money for no order we know: kept with both charge ids, the managers told to return it in the provider\'s account; /refund_charge says the bot cannot', async () => {
    const payer = await payments.lead();
    const paid = h.fake.pushSuccessfulPayment(payer, { payload: 'order:987654320', total_amount: 250_000, currency: 'RUB', providerChargeId: 'yk-unknown-1' });
    const notices = () => managerTexts().filter((t) => t.includes('без известного заказа') && t.includes(paid.chargeId));
    await (await h.worker({ telegramPayments: SETTINGS })).runUntil(async () => {
      await handlePushed(paid.updateId);
      await h.fake.waitFor(() => notices().length === 1);
      await h.env.client.workflow.getHandle(`payment-unmatched-${paid.chargeId}`).result();
    });
    expect(notices()[0]).toContain('2500 RUB');
    expect(notices()[0]).toContain('yk-unknown-1');
    expect(notices()[0]).not.toContain('/refund_charge');
    const reply = await command(owner, `/refund_charge ${paid.chargeId}`);
    expect(reply).toContain('бот не может его вернуть');
    expect(reply).toContain('yk-unknown-1');
    expect(h.fake.callsTo('refundStarPayment')).toHaveLength(0);
    expect(await payments.db('payment_flags').where({ payment_ref: paid.chargeId })).toHaveLength(1);
  });
});

import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import pino from 'pino';
import { createBot } from '../../../bot/bot';
import type { BotContext } from '../../../bot/context';
import { setStaffRole } from '../../../db/staff';
import type { InboundEvent } from '../../../domain/inbound-event';
import { uniqueUserId } from '../../support/db';
import { MANAGERS_CHAT, TEST_TOKEN, useLeadHarness } from '../../support/lead-harness';
import { PaymentTestKit } from '../../support/payments';
import { textUpdate } from '../../support/updates';

const h = useLeadHarness();
let payments: PaymentTestKit;
let delivered: InboundEvent[];
const owner = uniqueUserId();
const manager = uniqueUserId();

beforeAll(async () => {
  payments = new PaymentTestKit(h);
  await setStaffRole(payments.db, manager, 'manager', owner);
});
beforeEach(() => {
  delivered = [];
});
afterEach(() => payments.end());
afterAll(() => payments.close());

async function bot(): Promise<Bot<BotContext>> {
  const instance = createBot({
    token: TEST_TOKEN,
    apiRoot: h.fake.apiRoot,
    logger: pino({ level: 'silent' }),
    conversations: { deliver: async (event) => void delivered.push(event) },
    payments: { db: payments.db, owners: [owner], logger: pino({ level: 'silent' }), workflows: payments.workflows() },
  });
  await instance.init();
  return instance;
}

/** A command from a staff member (or anyone) in a private chat; returns the bot's reply. */
async function command(from: number, text: string): Promise<string> {
  await (await bot()).handleUpdate(textUpdate({ id: from, first_name: 'Staff' }, text) as unknown as Update);
  return String(h.fake.callsTo('sendMessage', from).at(-1)?.params.text);
}

/** Hands an update the fake queued to the bot, as long polling would. */
async function handlePushed(updateId: number): Promise<void> {
  const instance = await bot();
  const [update] = await instance.api.getUpdates({ offset: updateId, limit: 1, timeout: 0 });
  expect(update.update_id).toBe(updateId);
  await instance.handleUpdate(update);
}

const auditOf = (actor: number) => payments.db('staff_audit').where({ actor_telegram_id: actor }).orderBy('id');

describe('Telegram Stars against the fake Bot API', () => {
  it('invoice in XTR; pre-checkout answered (ok only for the right amount); the payment fulfils the order; an admin refunds it', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'instalment', method: 'stars' });
    expect(input).toMatchObject({ amount: 4834, currency: 'XTR' }); // ceil(14500 / 3)
    await (await h.worker()).runUntil(async () => {
      await payments.start(input);
      await h.until('sendInvoice', lead, 1);
      const [invoice] = h.sent('sendInvoice', lead);
      expect(invoice.params).toMatchObject({ currency: 'XTR', payload: `order:${input.orderId}`, prices: [{ label: 'Крипто-старт', amount: 4834 }] });
      expect(invoice.params.provider_token ?? '').toBe('');
      await payments.untilStatus(input.orderId, 'sent');

      const wrong = h.fake.pushPreCheckout(lead, { payload: `order:${input.orderId}`, total_amount: 100 });
      await handlePushed(wrong.updateId);
      const right = h.fake.pushPreCheckout(lead, { payload: `order:${input.orderId}`, total_amount: 4834 });
      const started = Date.now();
      await handlePushed(right.updateId);
      expect(Date.now() - started).toBeLessThan(10_000);
      const stranger = h.fake.pushPreCheckout({ id: uniqueUserId() }, { payload: `order:${input.orderId}`, total_amount: 4834 });
      await handlePushed(stranger.updateId);
      const answers = h.fake.callsTo('answerPreCheckoutQuery').map((c) => c.params);
      expect(answers.find((a) => a.pre_checkout_query_id === wrong.queryId)).toMatchObject({ ok: false, error_message: expect.stringContaining('не действует') });
      expect(answers.find((a) => a.pre_checkout_query_id === right.queryId)).toMatchObject({ ok: true });
      expect(answers.find((a) => a.pre_checkout_query_id === stranger.queryId)).toMatchObject({ ok: false });

      const paid = h.fake.pushSuccessfulPayment(lead, { payload: `order:${input.orderId}`, total_amount: 4834 });
      await handlePushed(paid.updateId);
      // The first of three instalments: access opens now; the workflow stays for the next two.
      await h.fake.waitFor(() => h.texts(lead).some((t) => t.includes('Оплата получена')));
      await payments.untilStatus(input.orderId, 'paid');
      expect(delivered).toEqual([]); // the payment never reached the lead flow
      expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'paid', paid_via: 'stars', telegram_payment_charge_id: paid.chargeId });
      expect(h.texts(lead).filter((t) => t.includes('Оплата получена'))).toHaveLength(1);

      // A pre-checkout for the paid order is refused.
      const late = h.fake.pushPreCheckout(lead, { payload: `order:${input.orderId}`, total_amount: 4834 });
      await handlePushed(late.updateId);
      expect(h.fake.callsTo('answerPreCheckoutQuery').at(-1)?.params).toMatchObject({ pre_checkout_query_id: late.queryId, ok: false });

      expect(await command(manager, `/refund ${input.orderId}`)).toBe('⛔ Недостаточно прав для этой команды. Попытка записана.');
      expect(h.fake.callsTo('refundStarPayment')).toHaveLength(0);
      expect(await command(owner, `/refund ${input.orderId}`)).toBe(`✅ Возврат по заказу №${input.orderId} (4834 ⭐) выполнен.`);
      expect(h.fake.callsTo('refundStarPayment').at(-1)?.params).toMatchObject({ user_id: lead.id, telegram_payment_charge_id: paid.chargeId });
      expect((await payments.orderRow(input.orderId)).status).toBe('refunded');
      expect(await command(owner, `/refund ${input.orderId}`)).toBe(`Заказ №${input.orderId} не оплачен (refunded) — возвращать нечего.`);
      expect((await auditOf(owner)).filter((a) => a.command === 'refund').map((a) => a.allowed)).toEqual([true, false]);
      expect((await auditOf(manager)).filter((a) => a.command === 'refund').map((a) => [a.allowed, a.reason])).toEqual([[false, 'role manager is below admin']]);
    });
  });
});

describe('Telegram Stars: later instalments and money for closed orders', () => {
  const DAY = 24 * 3_600_000;
  const managerTexts = () => h.fake.callsTo('sendMessage', MANAGERS_CHAT).map((c) => String(c.params.text));

  it('30 days after the first, the invoice for the second (order:<id>:2); its pre-checkout is checked against it; its payment counts once; another charge for it goes to the managers', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'instalment', method: 'stars' });
    await (await h.worker()).runUntil(async () => {
      await payments.start(input);
      await h.until('sendInvoice', lead, 1);
      await handlePushed(h.fake.pushSuccessfulPayment(lead, { payload: `order:${input.orderId}`, total_amount: 4834 }).updateId);
      await h.fake.waitFor(() => h.texts(lead).some((t) => t.includes('Оплата получена')));

      // Not due yet: an invoice for the second that was never sent is refused.
      const early = h.fake.pushPreCheckout(lead, { payload: `order:${input.orderId}:2`, total_amount: 4834 });
      await handlePushed(early.updateId);
      expect(h.fake.callsTo('answerPreCheckoutQuery').at(-1)?.params).toMatchObject({ pre_checkout_query_id: early.queryId, ok: false });

      await h.env.sleep(30 * DAY + 60_000);
      await h.until('sendInvoice', lead, 2);
      expect(h.sent('sendInvoice', lead)[1].params).toMatchObject({ currency: 'XTR', payload: `order:${input.orderId}:2`, prices: [{ amount: 4834 }] });
      expect(h.texts(lead).some((t) => t.includes('Пора внести платёж 2 из 3'))).toBe(true);
      const wrong = h.fake.pushPreCheckout(lead, { payload: `order:${input.orderId}:2`, total_amount: 100 });
      await handlePushed(wrong.updateId);
      const right = h.fake.pushPreCheckout(lead, { payload: `order:${input.orderId}:2`, total_amount: 4834 });
      await handlePushed(right.updateId);
      const answers = h.fake.callsTo('answerPreCheckoutQuery').map((c) => c.params);
      expect(answers.find((a) => a.pre_checkout_query_id === wrong.queryId)).toMatchObject({ ok: false });
      expect(answers.find((a) => a.pre_checkout_query_id === right.queryId)).toMatchObject({ ok: true });

      const second = h.fake.pushSuccessfulPayment(lead, { payload: `order:${input.orderId}:2`, total_amount: 4834 });
      await handlePushed(second.updateId);
      await h.fake.waitFor(() => h.texts(lead).some((t) => t.includes('Платёж 2 из 3 по заказу') && t.includes('получен')));
      await handlePushed(second.updateId); // the same update handled again: nothing new
      const again = h.fake.pushSuccessfulPayment(lead, { payload: `order:${input.orderId}:2`, total_amount: 4834 });
      await handlePushed(again.updateId); // other money for a paid instalment
      await h.fake.waitFor(() => managerTexts().some((t) => t.includes(`Деньги пришли по закрытому заказу №${input.orderId} `) && t.includes(again.chargeId)));
      // The order itself was paid and fulfilled: the managers read that this money is one too many.
      expect(managerTexts().find((t) => t.includes(again.chargeId))).toContain('Заказ уже оплачен и выполнен, это лишний платёж');
      expect(await payments.db('order_instalments').where({ order_id: input.orderId, number: 2 }).first()).toMatchObject({
        status: 'paid',
        paid_via: 'stars',
        telegram_payment_charge_id: second.chargeId,
      });
      // An admin's refund returns both instalments paid in Stars, each by its own charge.
      expect(await command(owner, `/refund ${input.orderId}`)).toBe(`✅ Возврат по заказу №${input.orderId} (9668 ⭐) выполнен.`);
      expect(h.fake.callsTo('refundStarPayment').slice(-2).map((c) => c.params.telegram_payment_charge_id)).toEqual([
        (await payments.orderRow(input.orderId)).telegram_payment_charge_id,
        second.chargeId,
      ]);
      expect((await payments.orderRow(input.orderId)).status).toBe('refunded');

      // The charge that was one too many is kept with its payer and goes back by its own id, once.
      expect(await command(manager, `/refund_charge ${again.chargeId}`)).toBe('⛔ Недостаточно прав для этой команды. Попытка записана.');
      expect(await command(owner, `/refund_charge ${second.chargeId}`)).toContain('Среди помеченных платежей нет');
      expect(await command(owner, `/refund_charge ${again.chargeId}`)).toBe(`✅ Возврат лишнего платежа ${again.chargeId} (4834 ⭐) выполнен.`);
      expect(h.fake.callsTo('refundStarPayment').at(-1)?.params).toMatchObject({ user_id: lead.id, telegram_payment_charge_id: again.chargeId });
      expect(await command(owner, `/refund_charge ${again.chargeId}`)).toBe(`Платёж ${again.chargeId} уже возвращён.`);
      expect(h.fake.callsTo('refundStarPayment').filter((c) => c.params.telegram_payment_charge_id === again.chargeId)).toHaveLength(1);
    });
    expect(h.texts(lead).filter((t) => t.includes('получен, спасибо'))).toHaveLength(1);
    expect(managerTexts().filter((t) => t.includes(`Платёж 2 из 3 по заказу №${input.orderId} `))).toHaveLength(1);
  });

  it('a Stars payment for an expired order: flagged, the managers told once even when the update is handled twice', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'stars' });
    await payments.db('orders').where({ id: input.orderId }).update({ status: 'expired' }); // its workflow has ended
    const notices = () => managerTexts().filter((t) => t.includes(`Деньги пришли по закрытому заказу №${input.orderId} `));
    const paid = h.fake.pushSuccessfulPayment(lead, { payload: `order:${input.orderId}`, total_amount: input.amount });
    await (await h.worker()).runUntil(async () => {
      await handlePushed(paid.updateId);
      await h.fake.waitFor(() => notices().length === 1);
      await handlePushed(paid.updateId);
      await h.env.client.workflow.getHandle(`payment-${input.orderId}-late-${paid.chargeId}`).result();
    });
    expect(notices()).toHaveLength(1);
    expect(notices()[0]).toContain('after the order was expired (stars)');
    expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'expired', telegram_payment_charge_id: paid.chargeId });
  });
});

describe('Telegram Stars: money for no order we know', () => {
  const managerTexts = () => h.fake.callsTo('sendMessage', MANAGERS_CHAT).map((c) => String(c.params.text));

  it('is kept with its payer and charge id, the managers are told once, and an admin can return it', async () => {
    const payer = await payments.lead();
    const paid = h.fake.pushSuccessfulPayment(payer, { payload: 'order:987654321', total_amount: 1500 });
    const notices = () => managerTexts().filter((t) => t.includes('без известного заказа') && t.includes(paid.chargeId));
    await (await h.worker()).runUntil(async () => {
      await handlePushed(paid.updateId);
      await h.fake.waitFor(() => notices().length === 1);
      await handlePushed(paid.updateId); // Telegram delivers it again: nothing new
      await h.env.client.workflow.getHandle(`payment-unmatched-${paid.chargeId}`).result();
    });
    expect(notices()).toHaveLength(1);
    expect(notices()[0]).toContain('1500 ⭐');
    expect(notices()[0]).toContain(`плательщик id ${payer.id}`);
    expect(notices()[0]).toContain(`/refund_charge ${paid.chargeId}`);
    expect(delivered).toEqual([]);
    const flags = await payments.db('payment_flags').where({ payment_ref: paid.chargeId });
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ order_id: null, payer_telegram_id: payer.id, refunded_at: null, payload: expect.objectContaining({ total_amount: 1500 }) });

    expect(await command(owner, `/refund_charge ${paid.chargeId}`)).toBe(`✅ Возврат лишнего платежа ${paid.chargeId} (1500 ⭐) выполнен.`);
    expect(h.fake.callsTo('refundStarPayment').at(-1)?.params).toMatchObject({ user_id: payer.id, telegram_payment_charge_id: paid.chargeId });
    expect((await payments.db('payment_flags').where({ payment_ref: paid.chargeId }).first()).refunded_at).toBeInstanceOf(Date);
    expect((await auditOf(owner)).filter((a) => a.command === 'refund_charge').map((a) => a.allowed).at(-1)).toBe(true);
  });
});

describe('payment commands for managers', () => {
  it('a manager confirms an order: the lead gets access once; a second confirm is told it is already paid', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'investment_portfolio', type: 'full', method: 'link' });
    await (await h.worker()).runUntil(async () => {
      await payments.start(input);
      await payments.untilStatus(input.orderId, 'sent');
      expect(await command(manager, `/order_confirm ${input.orderId}`)).toBe(`✅ Заказ №${input.orderId} подтверждён: лид получил доступ и стал клиентом.`);
      expect(await command(manager, `/order_confirm ${input.orderId}`)).toBe(`Заказ №${input.orderId} уже оплачен — повторно ничего не делаю.`);
    });
    expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'paid', paid_via: 'manager' });
    expect(h.texts(lead).filter((t) => t.includes('Оплата получена'))).toHaveLength(1);
    expect((await auditOf(manager)).filter((a) => a.command === 'order_confirm').map((a) => [a.allowed, a.reason])).toEqual([
      [true, null],
      [false, 'already_paid'],
    ]);
  });

  it('a manager cancels an order: the lead is told; confirming it later changes nothing', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'link' });
    await (await h.worker()).runUntil(async () => {
      await payments.start(input);
      await payments.untilStatus(input.orderId, 'sent');
      expect(await command(manager, `/order_cancel ${input.orderId}`)).toBe(`✅ Заказ №${input.orderId} отменён, лиду сообщили.`);
      expect(await command(manager, `/order_confirm ${input.orderId}`)).toBe(`Заказ №${input.orderId} уже закрыт (cancelled) — ничего не изменено.`);
    });
    expect(h.texts(lead).at(-1)).toContain('отменён');
    expect((await payments.orderRow(input.orderId)).status).toBe('cancelled');
  });

  it('a manager sends a personal link for a manual order (a discount): the lead gets it with the order id', async () => {
    const lead = await payments.lead();
    await (await h.worker()).runUntil(async () => {
      const reply = await command(manager, `/order_link ${lead.id} mentored_trading 990 https://pay.example.com/personal/abc`);
      const orderId = Number(/№(\d+)/.exec(reply)?.[1]);
      expect(reply).toBe(`✅ Заказ №${orderId} на 990 USD создан, персональная ссылка отправлена лиду ${lead.id}.`);
      await h.until('sendMessage', lead, 1);
      expect(JSON.stringify(h.sent('sendMessage', lead)[0].params.reply_markup)).toContain(`https://pay.example.com/personal/abc?order_id=${orderId}`);
      expect(await payments.orderRow(orderId)).toMatchObject({ type: 'manual', amount: '990.00', created_by: manager });
      await h.env.client.workflow.getHandle(`payment-${orderId}`).terminate('test finished');
    });
    expect(await command(manager, `/order_link ${lead.id} no_such_product 990 https://pay.example.com/x`)).toBe('Заказ не создан: no active product "no_such_product".');
    expect(await command(manager, `/order_link ${lead.id} crypto_start 100 http://insecure.example.com/x`)).toBe('Заказ не создан: a manual order needs an https payment link.');
    expect(await command(manager, '/order_link')).toContain('/order_link <telegram id лида>');
  });

  it('a lead typing a payment command is refused, recorded, and the command never reaches the lead flow', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'link' });
    expect(await command(lead.id, `/order_confirm ${input.orderId}`)).toBe('⛔ Недостаточно прав для этой команды. Попытка записана.');
    expect(delivered).toEqual([]);
    expect((await payments.orderRow(input.orderId)).status).toBe('created');
    expect((await auditOf(lead.id)).map((a) => [a.command, a.allowed, a.reason])).toEqual([['order_confirm', false, 'not staff']]);
    expect(await command(manager, '/order_confirm 987654321')).toBe('Заказа №987654321 нет.');
  });
});

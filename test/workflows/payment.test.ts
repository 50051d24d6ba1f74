import { MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
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
});

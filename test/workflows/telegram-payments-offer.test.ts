import { leadRows } from '../support/db';
import { buttonsOf, useLeadHarness } from '../support/lead-harness';
import { press, text, type TestUser } from '../support/updates';

/**
 * The offer's pay button with Telegram Payments connected (issue 22, part 1): the lead's conversation
 * starts the order as before (method link); the order activity sees the provider token covers the
 * product's currency, so the payment workflow sends an invoice inside Telegram instead of a link. The
 * catalogue's products are priced in USD: the token is set up for USD here (roubles: test/bot/payments).
 */
const h = useLeadHarness({ serverPerTest: true });
const PROVIDER_TOKEN = '381764678:TEST:100037';

async function takeSurvey(lead: TestUser): Promise<number> {
  const conversations = h.conversations();
  await conversations.deliver(text(lead, '/start'));
  await conversations.deliver(text(lead, '/survey'));
  await h.until('sendMessage', lead, 2);
  for (const [index, code] of ['trading', 'passive_income', 'one_month', 'over_thousand', 'ready_to_learn'].entries()) {
    await conversations.deliver(press(lead, `svy:q${index + 1}.${code}`));
  }
  await h.until('sendMessage', lead, 12);
  return h.sent('sendMessage', lead).length;
}

describe('the payment offer with Telegram Payments connected', () => {
  it('"pay in full" sends an invoice in cents with the provider token instead of a link', async () => {
    const lead = h.newLead();
    await (await h.worker({ telegramPayments: { providerToken: PROVIDER_TOKEN, currencies: ['USD'] } })).runUntil(async () => {
      const before = await takeSurvey(lead);
      await h.conversations().deliver(text(lead, 'Хочу купить курс'));
      await h.until('sendMessage', lead, before + 2);
      expect(buttonsOf(h.sent('sendMessage', lead)[before + 1]).map((b) => b.callback_data)).toContain('pay:full');
      await h.conversations().deliver(press(lead, 'pay:full'));
      await h.until('sendInvoice', lead, 1);
      const [invoice] = h.sent('sendInvoice', lead);
      const [order] = await h.db('orders').join('leads', 'leads.id', 'orders.lead_id').where({ 'leads.telegram_user_id': lead.id }).select('orders.*');
      expect(order).toMatchObject({ type: 'full', method: 'telegram', currency: 'USD', payment_url: null });
      expect(invoice.params).toMatchObject({
        currency: 'USD',
        payload: `order:${order.id}`,
        provider_token: PROVIDER_TOKEN,
        prices: [{ amount: Math.round(Number(order.amount) * 100) }],
      });
      expect(invoice.error).toBeUndefined();
      expect(h.sent('sendMessage', lead).some((c) => buttonsOf(c).some((b) => b.url?.includes('order_id=')))).toBe(false);
      await h.env.client.workflow.getHandle(`payment-${order.id}`).terminate('test finished');
      await h.endAfterHandoffAnnounced(lead);
    });
    const { events } = await leadRows(h.db, lead.id);
    expect(events.find((e) => e.type === 'payment_started')?.payload).toMatchObject({ type: 'full', method: 'telegram' });
  });
});

import { MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { RUB_PRODUCT, useProviderApi, webhookOutcomes } from '../support/provider-payments';
import { linkPaymentTarget } from '../../sandbox/pay-link';
import { SANDBOX_OWNER, SandboxPeople } from '../../sandbox/sandbox-world';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The sandbox page pays a test payment link the way a provider would: a notice signed with the
 * payment webhook's secret, posted to the api's own POST /payments/webhook. The rest is the real path.
 */
const SECRET = 'sandbox-payment-webhook-secret-0123';
const h = useLeadHarness();
const kit = useProviderApi(h, (notices) => ({
  payments: { secret: SECRET, ...notices },
  sandbox: {
    telegram: h.fake,
    people: new SandboxPeople(join(mkdtempSync(join(tmpdir(), 'sandbox-pay-link-')), 'users.json')),
    owners: [SANDBOX_OWNER.id],
    managersChatId: MANAGERS_CHAT,
    namespace: 'default',
  },
}));

/** The page's Pay button on a link, pressed by whoever the page acts as (here the owner). */
const payLink = async (url: string) => {
  const response = await kit.api.inject({ method: 'POST', url: '/sandbox/api/pay-link', payload: { userId: SANDBOX_OWNER.id, chatId: SANDBOX_OWNER.id, url } });
  return { status: response.statusCode, body: response.json() };
};

describe('the sandbox pays a test payment link', () => {
  it('finds the order in the link, as the bot wrote it', () => {
    expect(linkPaymentTarget('https://pay.example.com/crypto-start/full?order_id=42')).toEqual({ orderId: 42 });
    expect(linkPaymentTarget('https://pay.example.com/x?ref=a&order_id=7&instalment=2')).toEqual({ orderId: 7, instalment: 2 });
    expect(linkPaymentTarget('https://pay.example.com/x?order_id=abc')).toBeNull();
    expect(linkPaymentTarget('not a url')).toBeNull();
  });

  it("the page's Pay on a link completes the order through the payment webhook: the lead gets access, once", async () => {
    const lead = await kit.payments.lead();
    const input = await kit.payments.order({ telegramUserId: lead.id, productCode: RUB_PRODUCT, type: 'full', method: 'link' });
    await (await h.worker()).runUntil(async () => {
      const handle = await kit.payments.start(input);
      await kit.payments.untilStatus(input.orderId, 'sent');
      const link = `https://pay.example.com/rub/full?order_id=${input.orderId}`;
      expect(await payLink(link)).toEqual({ status: 200, body: { result: 'accepted' } });
      expect(await kit.payments.result(handle)).toEqual({ orderId: input.orderId, status: 'paid' });
      await h.until('sendMessage', lead, 2);
      // Pressed again: money a second time for a paid order, flagged for a manager, never fulfilled twice.
      expect((await payLink(link)).body).toMatchObject({ result: 'flagged' });
    });
    expect(h.texts(lead).filter((t) => t.includes('Оплата получена'))).toHaveLength(1);
    expect(await kit.payments.orderRow(input.orderId)).toMatchObject({ status: 'paid', paid_via: 'webhook' });
    expect((await webhookOutcomes(kit.payments.db, input.orderId)).map(([outcome]) => outcome)).toEqual(['paid', 'order_closed']);
  });

  it('a link of no order, or of an order that does not exist, is refused with the reason', async () => {
    expect(await payLink('https://pay.example.com/x')).toEqual({ status: 400, body: { error: expect.stringContaining('order_id') } });
    expect(await payLink('https://pay.example.com/x?order_id=999999999')).toEqual({ status: 404, body: { error: 'no order 999999999' } });
  });
});

import { findOrder, flagOrder } from '../../db/orders';
import { paymentFlagsOf } from '../../db/payment-flags';
import { useLeadHarness } from '../support/lead-harness';
import { PaymentTestKit } from '../support/payments';

const h = useLeadHarness();
let payments: PaymentTestKit;

beforeAll(() => {
  payments = new PaymentTestKit(h);
});
afterAll(() => payments.close());

describe('payment flags', () => {
  it('every flag of an order is kept with its payment id; the order shows the latest; the same flag again adds nothing', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'stars' });
    const first = { telegram_payment_charge_id: 'charge-one', total_amount: 100, currency: 'XTR' };
    const second = { telegram_payment_charge_id: 'charge-two', total_amount: 14500, currency: 'XTR' };
    await flagOrder(h.db, input.orderId, 'paid 100 ⭐ instead of 14500 ⭐ (stars)', first, lead.id);
    await flagOrder(h.db, input.orderId, 'paid 14500 ⭐ again (charge charge-two) after charge charge-one (stars)', second, lead.id);
    await flagOrder(h.db, input.orderId, 'paid 14500 ⭐ again (charge charge-two) after charge charge-one (stars)', second, lead.id); // a retried activity

    const flags = await paymentFlagsOf(h.db, input.orderId);
    expect(flags.map((f) => [f.payment_ref, f.payer_telegram_id])).toEqual([
      ['charge-one', lead.id],
      ['charge-two', lead.id],
    ]);
    expect(flags[0].reason).toContain('instead of');
    expect((await findOrder(h.db, input.orderId))?.flagged_reason).toContain('again (charge charge-two)');
  });
});

import { hasWork, initialPaymentState, isOpen, receivePayment, takesChanges } from '../../workflows/payment/state';
import type { PaymentInput } from '../../workflows/payment/contract';

const input: PaymentInput = {
  orderId: 7,
  leadId: 1,
  telegramUserId: 100,
  chatId: 100,
  language: 'ru',
  product: { id: 1, code: 'crypto_start', name: 'Крипто-старт' },
  type: 'instalment',
  method: 'link',
  amount: 96.67,
  currency: 'USD',
};

describe('payment state (pure)', () => {
  it('accepts the first matching payment and ignores every later one', () => {
    const state = initialPaymentState();
    expect(hasWork(state)).toBe(false);
    receivePayment(state, input, { via: 'webhook', amount: 96.67, currency: 'USD', providerPayload: { n: 1 } });
    receivePayment(state, input, { via: 'stars', amount: 96.67, currency: 'USD', providerPayload: { n: 2 } });
    expect(state.payment).toEqual({ via: 'webhook', providerPayload: { n: 1 } });
    expect(isOpen(state)).toBe(false);
    expect(state.flags).toEqual([]);
  });

  it('a wrong amount or currency becomes a flag, not a payment', () => {
    const state = initialPaymentState();
    receivePayment(state, input, { via: 'webhook', amount: 96.66, currency: 'USD' });
    receivePayment(state, input, { via: 'stars', amount: 96.67, currency: 'XTR' });
    expect(state.payment).toBeNull();
    expect(state.flags.map((f) => f.reason)).toEqual(['paid 96.66 USD instead of 96.67 USD (webhook)', 'paid 96.67 ⭐ instead of 96.67 USD (stars)']);
    expect(hasWork(state)).toBe(true);
  });

  it('a closed order takes no payment', () => {
    for (const status of ['expired', 'cancelled', 'refunded', 'paid'] as const) {
      const state = { ...initialPaymentState(), status };
      receivePayment(state, input, { via: 'webhook', amount: 96.67, currency: 'USD' });
      expect(state.payment).toBeNull();
    }
    const failed = { ...initialPaymentState(), status: 'failed' as const };
    receivePayment(failed, input, { via: 'webhook', amount: 96.67, currency: 'USD' });
    expect(failed.payment).not.toBeNull(); // a failed payment may be retried
  });

  it('instalments: a later one is taken only while it is due, at its own amount; a repeat of a paid one changes nothing', () => {
    const plan = { ...input, instalments: [96.67, 96.67, 96.66] };
    const state = { ...initialPaymentState(), status: 'paid' as const, paidCount: 1, instalment: 2, collecting: true };
    receivePayment(state, plan, { via: 'webhook', amount: 96.67, currency: 'USD', instalment: 1 }); // the first again
    expect(state.payment).toBeNull();
    expect(state.flags).toEqual([]);
    receivePayment(state, plan, { via: 'webhook', amount: 96.66, currency: 'USD', instalment: 3 }); // not due yet
    expect(state.payment).toBeNull();
    expect(state.flags.map((f) => f.reason)).toEqual(['paid 96.66 USD for instalment 3 while instalment 2 is due (webhook)']);
    receivePayment(state, plan, { via: 'webhook', amount: 96.67, currency: 'USD', instalment: 2 });
    expect(state.payment).toEqual({ via: 'webhook' });
    receivePayment(state, plan, { via: 'stars', amount: 96.67, currency: 'USD', instalment: 2 });
    expect(state.payment?.via).toBe('webhook');
  });

  it('the third instalment is checked against its own amount (the rounding rest)', () => {
    const plan = { ...input, instalments: [96.67, 96.67, 96.66] };
    const state = { ...initialPaymentState(), status: 'paid' as const, paidCount: 2, instalment: 3, collecting: true };
    receivePayment(state, plan, { via: 'webhook', amount: 96.67, currency: 'USD', instalment: 3 });
    expect(state.payment).toBeNull();
    expect(state.flags.map((f) => f.reason)).toEqual(['paid 96.67 USD instead of 96.66 USD (webhook)']);
  });

  it('money while the order is closing or closed is stray: reported with its id, never taken, never dropped', () => {
    const closing = { ...initialPaymentState(), status: 'sent' as const, closing: 'expired' as const };
    expect(takesChanges(closing)).toBe(false);
    receivePayment(closing, input, { via: 'webhook', amount: 96.67, currency: 'USD', providerPayload: { payment_id: 'p-1' } });
    receivePayment(closing, input, { via: 'webhook', amount: 96.67, currency: 'USD', providerPayload: { payment_id: 'p-1' } }); // the same money again
    expect(closing.payment).toBeNull();
    expect(closing.stray).toEqual([{ reason: 'paid while the order was being expired (webhook, payment p-1)', key: 'p-1' }]);
    expect(hasWork(closing)).toBe(true);

    const cancelling = { ...initialPaymentState(), status: 'sent' as const, cancelRequested: true };
    receivePayment(cancelling, input, { via: 'stars', amount: 96.67, currency: 'USD', chargeId: 'c-1' });
    expect(cancelling.stray).toEqual([{ reason: 'paid while the order was being cancelled (stars, payment c-1)', key: 'c-1' }]);

    const expired = { ...initialPaymentState(), status: 'expired' as const };
    receivePayment(expired, input, { via: 'webhook', amount: 1, currency: 'USD' });
    expect(expired.stray).toEqual([{ reason: 'paid after the order was expired (webhook)' }]);
  });

  it('a second charge (another payment id for a payment taken) is stray with both ids; a repeat or an unnamed one is not', () => {
    const state = initialPaymentState();
    receivePayment(state, input, { via: 'webhook', amount: 96.67, currency: 'USD', providerPayload: { payment_id: 'p-1' } });
    receivePayment(state, input, { via: 'webhook', amount: 96.67, currency: 'USD', providerPayload: { payment_id: 'p-1' } });
    receivePayment(state, input, { via: 'webhook', amount: 96.67, currency: 'USD' });
    expect(state.stray).toEqual([]);
    receivePayment(state, input, { via: 'webhook', amount: 96.67, currency: 'USD', providerPayload: { payment_id: 'p-2' } });
    expect(state.stray).toEqual([{ reason: 'paid again (payment p-2) while payment p-1 was being fulfilled (webhook)', key: 'p-2' }]);
    state.paidCount = 1;
    receivePayment(state, input, { via: 'stars', amount: 96.67, currency: 'USD', chargeId: 'c-9' });
    expect(state.stray.at(-1)).toEqual({ reason: 'paid again (payment c-9) after payment p-1 (stars)', key: 'c-9' });
    expect(state.payment?.providerPayload).toEqual({ payment_id: 'p-1' });
  });

  it('before the patch (replaying an older history) stray money is treated as it was then', () => {
    const closing = { ...initialPaymentState(), status: 'sent' as const, closing: 'expired' as const };
    receivePayment(closing, input, { via: 'webhook', amount: 96.67, currency: 'USD' }, () => false);
    expect(closing.stray).toEqual([]);
    expect(closing.payment).toEqual({ via: 'webhook' });
  });
});

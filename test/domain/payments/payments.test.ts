import {
  amountsMatch,
  firstPaymentAmount,
  formatAmount,
  instalmentAmounts,
  instalmentDueMs,
  instalmentPaymentUrl,
  invoiceTarget,
  orderIdFromInvoicePayload,
  orderPaymentUrl,
  starsInvoicePayload,
  webhookVerdict,
  type PaymentTarget,
} from '../../../domain/payments/payments';

describe('payment rules', () => {
  it('a full payment is the price; the first instalment is a third, in cents', () => {
    expect(firstPaymentAmount(290, 'full', 'USD')).toBe(290);
    expect(firstPaymentAmount(290, 'instalment', 'USD')).toBe(96.67);
    expect(firstPaymentAmount(690, 'instalment', 'USD')).toBe(230);
    expect(firstPaymentAmount(1490, 'instalment', 'USD')).toBe(496.67);
  });

  it('a Stars instalment is whole stars, rounded up so three payments cover the price', () => {
    for (const price of [1, 2, 100, 14500, 34501, 74500]) {
      const first = firstPaymentAmount(price, 'instalment', 'XTR');
      expect(Number.isInteger(first)).toBe(true);
      expect(first * 3).toBeGreaterThanOrEqual(price);
      expect(first * 3 - price).toBeLessThan(3);
    }
  });

  it('every money instalment is within half a cent of a third of the price', () => {
    for (let cents = 1; cents < 200_000; cents += 997) {
      const price = cents / 100;
      expect(Math.abs(firstPaymentAmount(price, 'instalment', 'USD') - price / 3)).toBeLessThanOrEqual(0.005 + 1e-9);
    }
  });

  it('compares amounts in cents', () => {
    expect(amountsMatch(96.67, 96.67)).toBe(true);
    expect(amountsMatch(96.67, Number('96.670'))).toBe(true);
    expect(amountsMatch(96.67, 96.66)).toBe(false);
    expect(amountsMatch(290, Number.NaN)).toBe(false);
  });

  it('puts the order id on the provider link and in the Stars payload, and reads it back', () => {
    expect(orderPaymentUrl('https://pay.example.com/a/full', 42)).toBe('https://pay.example.com/a/full?order_id=42');
    expect(orderPaymentUrl('https://pay.example.com/p?ref=x', 7)).toBe('https://pay.example.com/p?ref=x&order_id=7');
    expect(orderIdFromInvoicePayload(starsInvoicePayload(42))).toBe(42);
    expect(orderIdFromInvoicePayload('order:abc')).toBeNull();
    expect(orderIdFromInvoicePayload('something else')).toBeNull();
  });

  it('formats money and stars', () => {
    expect(formatAmount(290, 'USD')).toBe('290 USD');
    expect(formatAmount(96.67, 'USD')).toBe('96.67 USD');
    expect(formatAmount(96.5, 'USD')).toBe('96.50 USD');
    expect(formatAmount(4834, 'XTR')).toBe('4834 ⭐');
  });
});

describe('instalments', () => {
  it('three parts add up to the price exactly (money) or cover it (Stars)', () => {
    expect(instalmentAmounts(290, 'USD')).toEqual([96.67, 96.67, 96.66]);
    expect(instalmentAmounts(690, 'USD')).toEqual([230, 230, 230]);
    expect(instalmentAmounts(14500, 'XTR')).toEqual([4834, 4834, 4834]);
    for (let cents = 3; cents < 300_000; cents += 1013) {
      const parts = instalmentAmounts(cents / 100, 'USD');
      expect(Math.round(parts.reduce((a, b) => a + b, 0) * 100)).toBe(cents);
      expect(parts[0]).toBe(firstPaymentAmount(cents / 100, 'instalment', 'USD'));
    }
  });

  it('later instalments fall due every 30 days from the first payment', () => {
    const paid = Date.parse('2026-12-01T10:00:00Z');
    expect(new Date(instalmentDueMs(paid, 2)).toISOString()).toBe('2026-12-31T10:00:00.000Z');
    expect(new Date(instalmentDueMs(paid, 3)).toISOString()).toBe('2027-01-30T10:00:00.000Z');
  });

  it('the link and the Stars payload of a later instalment name it; the first stays as it was', () => {
    const url = 'https://pay.example.com/x?order_id=7';
    expect(instalmentPaymentUrl(url, 1)).toBe(url);
    expect(instalmentPaymentUrl(url, 2)).toBe('https://pay.example.com/x?order_id=7&instalment=2');
    expect(starsInvoicePayload(7)).toBe('order:7');
    expect(starsInvoicePayload(7, 3)).toBe('order:7:3');
    expect(invoiceTarget('order:7')).toEqual({ orderId: 7, instalment: 1 });
    expect(invoiceTarget('order:7:3')).toEqual({ orderId: 7, instalment: 3 });
    expect(invoiceTarget('order:7:4')).toBeNull();
    expect(orderIdFromInvoicePayload('order:7:2')).toBe(7);
  });
});

describe('what a payment webhook does', () => {
  const open: PaymentTarget = { state: 'open', amount: 290, currency: 'USD' };
  const paid = (amount = 290) => ({ status: 'paid' as const, amount, currency: 'USD' });

  it('an open order: the right amount pays, a wrong one is flagged', () => {
    expect(webhookVerdict(open, paid(), false)).toEqual({ kind: 'paid' });
    expect(webhookVerdict(open, paid(29), false)).toEqual({ kind: 'mismatch', reason: 'paid 29 USD instead of 290 USD (webhook)' });
  });

  it('a paid order: the same payment is a duplicate, another payment is money for the managers', () => {
    const done: PaymentTarget = { ...open, state: 'paid', paidPaymentId: 'p-1' };
    expect(webhookVerdict(done, { ...paid(), paymentId: 'p-1' }, false)).toEqual({ kind: 'duplicate' });
    expect(webhookVerdict(done, paid(), false)).toEqual({ kind: 'duplicate' });
    expect(webhookVerdict(done, { ...paid(), paymentId: 'p-2' }, false)).toMatchObject({ kind: 'closed' });
  });

  it('a closed order: money is for the managers', () => {
    expect(webhookVerdict({ ...open, state: 'closed', closedAs: 'expired' }, paid(), false)).toEqual({ kind: 'closed', reason: 'paid after the order was expired (webhook)' });
  });

  it('a failure is answered once per provider event, and never for what is paid or closed', () => {
    const failed = { status: 'failed' as const, amount: 290, currency: 'USD', paymentId: 'f-1' };
    expect(webhookVerdict(open, failed, false)).toEqual({ kind: 'failed' });
    expect(webhookVerdict(open, failed, true)).toEqual({ kind: 'duplicate' });
    expect(webhookVerdict({ ...open, state: 'paid' }, failed, false)).toEqual({ kind: 'duplicate' });
    expect(webhookVerdict({ ...open, state: 'closed' }, failed, false)).toEqual({ kind: 'duplicate' });
  });
});

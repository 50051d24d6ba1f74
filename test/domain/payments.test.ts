import {
  amountsMatch,
  firstPaymentAmount,
  formatAmount,
  orderIdFromInvoicePayload,
  orderPaymentUrl,
  starsInvoicePayload,
} from '../../domain/payments';

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

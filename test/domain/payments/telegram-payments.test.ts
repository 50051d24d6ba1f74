import { paidInsideTelegram, providerInvoice } from '../../../domain/payments/provider-invoice';
import { fromMinorUnits, isTelegramPaymentsCurrency, toMinorUnits } from '../../../domain/payments/telegram-currencies';

describe('Telegram Payments amounts', () => {
  it('counts roubles in kopecks and yen whole, both ways', () => {
    expect(toMinorUnits(4900, 'RUB')).toBe(490_000);
    expect(toMinorUnits(1633.33, 'RUB')).toBe(163_333);
    expect(toMinorUnits(0.29, 'USD')).toBe(29); // not 28.999…
    expect(toMinorUnits(1500, 'JPY')).toBe(1500);
    expect(fromMinorUnits(163_334, 'RUB')).toBe(1633.34);
    expect(() => toMinorUnits(1, 'XTR')).toThrow(RangeError);
    expect(isTelegramPaymentsCurrency('RUB')).toBe(true);
    expect(isTelegramPaymentsCurrency('XTR')).toBe(false);
  });
});

describe('the provider invoice', () => {
  const settings = { providerToken: '381764678:TEST:1', currencies: ['RUB'] };

  it('is for products in the configured currencies only, and only with a token', () => {
    expect(paidInsideTelegram(settings, 'RUB')).toBe(true);
    expect(paidInsideTelegram(settings, 'USD')).toBe(false);
    expect(paidInsideTelegram(undefined, 'RUB')).toBe(false);
  });

  it('without a receipt: the token and one price in minor units, nothing asked of the payer', () => {
    expect(providerInvoice(settings, { label: 'Курс', amount: 4900, currency: 'RUB' })).toEqual({
      currency: 'RUB',
      prices: [{ label: 'Курс', amount: 490_000 }],
      provider_token: '381764678:TEST:1',
    });
  });

  it('with a receipt: the e-mail asked for and handed over, the receipt item in provider_data', () => {
    const invoice = providerInvoice({ ...settings, receipt: { vatCode: 4, taxSystemCode: 2 } }, { label: 'Курс', amount: 1633.33, currency: 'RUB' });
    expect(invoice).toMatchObject({ need_email: true, send_email_to_provider: true });
    expect(JSON.parse(invoice.provider_data as string)).toEqual({
      receipt: {
        items: [{ description: 'Курс', quantity: '1.00', amount: { value: '1633.33', currency: 'RUB' }, vat_code: 4, payment_mode: 'full_payment', payment_subject: 'service' }],
        tax_system_code: 2,
      },
    });
  });
});

import { ERASED, financialPayload, redactText, redactValue } from '../../domain/personal-data';

const person = { telegramUserId: 123456, username: 'anna_k', phone: '+79161234567', email: 'anna_k@example.com' };

describe('what /reset leaves of a person in kept records', () => {
  it('a payment payload keeps the payment and loses the payer', () => {
    const stars = {
      currency: 'XTR',
      total_amount: 4834,
      invoice_payload: 'order:7',
      telegram_payment_charge_id: 'ch1',
      provider_payment_charge_id: '',
      order_info: { name: 'Анна', phone_number: '+79161234567', email: 'anna_k@example.com' },
    };
    expect(financialPayload(stars)).toEqual({ currency: 'XTR', total_amount: 4834, invoice_payload: 'order:7', telegram_payment_charge_id: 'ch1', provider_payment_charge_id: '' });
    expect(financialPayload({ order_id: 7, amount: 990, currency: 'RUB', payment_id: 'p1', customer_email: 'a@b.c', reason: 'Карта Анны отклонена' })).toEqual({
      order_id: 7,
      amount: 990,
      currency: 'RUB',
      payment_id: 'p1',
    });
    expect(financialPayload(null)).toBeNull();
  });

  it('quotes are replaced whole: the e-mail that holds the username, the id only as a whole number', () => {
    expect(redactText('Лид @anna_k, anna_k@example.com, тел +79161234567, id 123456, заказ 91234567', person)).toBe(
      `Лид @${ERASED}, ${ERASED}, тел ${ERASED}, id ${ERASED}, заказ 91234567`,
    );
    expect(redactText('ANNA_K', person)).toBe(ERASED);
  });

  it('JSON is redacted at any depth, a number equal to the id too', () => {
    expect(redactValue({ args: ['123456', 'crypto_start'], lead: { id: 123456, other: 1234567 }, note: null }, person)).toEqual({
      args: [ERASED, 'crypto_start'],
      lead: { id: ERASED, other: 1234567 },
      note: null,
    });
  });
});

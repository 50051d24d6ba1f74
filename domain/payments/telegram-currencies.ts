/**
 * Currencies of Telegram Payments (a provider token, not Stars) and their minor units. Telegram takes
 * an invoice's prices as integers in the currency's smallest unit: kopecks for RUB, cents for USD,
 * whole yen for JPY ("exp" in https://core.telegram.org/bots/payments/currencies.json). Pure: the
 * activity, the bot and the fake Bot API share it.
 */

/** Digits after the point, per currency Telegram Payments accepts (the commonly used ones). */
const MINOR_DIGITS: Readonly<Record<string, number>> = {
  RUB: 2, USD: 2, EUR: 2, GBP: 2, KZT: 2, UAH: 2, BYN: 2, UZS: 2, AMD: 2, AZN: 2, GEL: 2, KGS: 2, MDL: 2,
  TJS: 2, TRY: 2, PLN: 2, CZK: 2, CHF: 2, CAD: 2, AUD: 2, INR: 2, ILS: 2, AED: 2, SEK: 2, NOK: 2, DKK: 2,
  HUF: 2, RON: 2, BGN: 2, RSD: 2, THB: 2, MYR: 2, SGD: 2, HKD: 2, CNY: 2, BRL: 2, MXN: 2, ZAR: 2, IDR: 2,
  JPY: 0, KRW: 0, VND: 0,
};

/** Whether Telegram Payments takes this currency (ISO 4217 code, upper case). */
export function isTelegramPaymentsCurrency(currency: string): boolean {
  return Object.hasOwn(MINOR_DIGITS, currency);
}

export const TELEGRAM_PAYMENTS_CURRENCIES: readonly string[] = Object.keys(MINOR_DIGITS);

function digitsOf(currency: string): number {
  const digits = MINOR_DIGITS[currency];
  if (digits === undefined) throw new RangeError(`Telegram Payments does not take ${currency}`);
  return digits;
}

/** 4 900.50 RUB → 490050 (kopecks); rounded to the unit, as money is stored to the cent. */
export function toMinorUnits(amount: number, currency: string): number {
  return Math.round(amount * 10 ** digitsOf(currency));
}

/** 490050 kopecks → 4900.5 RUB: what the order's amount is compared with. */
export function fromMinorUnits(minor: number, currency: string): number {
  return minor / 10 ** digitsOf(currency);
}

/**
 * What the Bot API checks in a sendInvoice before it shows the invoice (the fake refuses the same
 * things with the same descriptions): Stars (XTR) take no provider, one price of whole stars; every
 * other currency needs a provider token BotFather issued, a currency Telegram Payments takes, prices
 * as integers in the currency's minor units whose total lies within Telegram's limits for it.
 */
import { isTelegramPaymentsCurrency } from '../domain/payments/telegram-currencies';

/** Telegram's per-currency limits on an invoice total, in minor units (about US$1 to US$10,000; currencies.json). */
const TOTAL_LIMITS: Readonly<Record<string, readonly [number, number]>> = {
  RUB: [8_000, 90_000_000],
  USD: [100, 1_000_000],
  EUR: [100, 1_000_000],
  KZT: [45_000, 500_000_000],
};

/** The form of a provider token from BotFather: `<provider bot id>:TEST:<key>` or `…:LIVE:…`. */
const PROVIDER_TOKEN = /^\d{5,15}:(TEST|LIVE):\S+$/;

/**
 * The Bad Request description for a sendInvoice, or null when Telegram would take it. `knownTokens`:
 * the provider tokens connected to this bot (unset: any token of the right form).
 */
export function invoiceProblem(params: Record<string, unknown>, knownTokens?: readonly string[]): string | null {
  const prices = Array.isArray(params.prices) ? (params.prices as Array<{ label?: unknown; amount?: unknown }>) : [];
  const title = String(params.title ?? '');
  const description = String(params.description ?? '');
  const payload = String(params.payload ?? '');
  const currency = params.currency;
  if (title.length < 1 || title.length > 32) return 'INVOICE_TITLE_INVALID';
  if (description.length < 1 || description.length > 255) return 'INVOICE_DESCRIPTION_INVALID';
  if (Buffer.byteLength(payload) < 1 || Buffer.byteLength(payload) > 128) return 'INVOICE_PAYLOAD_INVALID';
  if (typeof currency !== 'string' || currency === '') return 'CURRENCY_INVALID';
  if (prices.length === 0 || prices.some((p) => !Number.isInteger(p.amount) || typeof p.label !== 'string' || p.label === '')) {
    return 'CURRENCY_TOTAL_AMOUNT_INVALID';
  }
  const total = prices.reduce((sum, price) => sum + Number(price.amount), 0);
  if (currency === 'XTR') {
    // Stars: no payment provider, exactly one price, whole stars.
    if (params.provider_token) return 'PROVIDER_TOKEN_INVALID';
    if (prices.length !== 1 || total < 1) return 'CURRENCY_TOTAL_AMOUNT_INVALID';
    return null;
  }
  const token = typeof params.provider_token === 'string' ? params.provider_token : '';
  if (!PROVIDER_TOKEN.test(token) || (knownTokens !== undefined && !knownTokens.includes(token))) return 'PAYMENT_PROVIDER_INVALID';
  if (!isTelegramPaymentsCurrency(currency)) return 'CURRENCY_INVALID';
  const [min, max] = TOTAL_LIMITS[currency] ?? [1, Number.MAX_SAFE_INTEGER];
  if (total < min || total > max) return 'CURRENCY_TOTAL_AMOUNT_INVALID';
  if (params.provider_data !== undefined) {
    if (typeof params.provider_data !== 'string') return 'DATA_JSON_INVALID';
    try {
      JSON.parse(params.provider_data);
    } catch {
      return 'DATA_JSON_INVALID';
    }
  }
  for (const flag of ['need_name', 'need_phone_number', 'need_email', 'need_shipping_address', 'send_email_to_provider', 'send_phone_number_to_provider', 'is_flexible']) {
    if (params[flag] !== undefined && typeof params[flag] !== 'boolean') return `can't parse ${flag} as Boolean`;
  }
  return null;
}

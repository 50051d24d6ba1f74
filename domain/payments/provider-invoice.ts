import { toMinorUnits } from './telegram-currencies';

/**
 * Telegram Payments through a provider token (BotFather → Payments): which products are paid that
 * way, and what the provider must get for the fiscal receipt (54-FZ).
 */
export interface TelegramPaymentSettings {
  /** TELEGRAM_PAYMENT_PROVIDER_TOKEN: never leaves the activity (not in workflow input or history). */
  providerToken: string;
  /** TELEGRAM_PAYMENT_CURRENCIES: products priced in these are paid by an invoice inside Telegram. */
  currencies: readonly string[];
  /** TELEGRAM_PAYMENT_RECEIPT on: the payer's e-mail is asked for and the receipt goes to the provider. */
  receipt?: { vatCode: number; taxSystemCode?: number };
}

/** Whether a product priced in `currency` is paid by an invoice inside Telegram. */
export function paidInsideTelegram(settings: TelegramPaymentSettings | undefined, currency: string): boolean {
  return settings !== undefined && settings.currencies.includes(currency);
}

/** The sendInvoice fields beyond title, description and payload, for one payment of `amount` (major units). */
export interface ProviderInvoice {
  currency: string;
  prices: { label: string; amount: number }[];
  provider_token: string;
  need_email?: boolean;
  send_email_to_provider?: boolean;
  provider_data?: string;
}

/**
 * One price line in minor units; with a receipt, the e-mail is asked for and handed to the provider,
 * and `provider_data` carries the receipt's item as ЮKassa documents it for Telegram invoices (the
 * amount as a string in roubles, quantity "1.00", the VAT code; a service paid in full).
 */
export function providerInvoice(settings: TelegramPaymentSettings, line: { label: string; amount: number; currency: string }): ProviderInvoice {
  const invoice: ProviderInvoice = {
    currency: line.currency,
    prices: [{ label: line.label, amount: toMinorUnits(line.amount, line.currency) }],
    provider_token: settings.providerToken,
  };
  if (!settings.receipt) return invoice;
  const item = {
    description: line.label.slice(0, 128),
    quantity: '1.00',
    amount: { value: line.amount.toFixed(2), currency: line.currency },
    vat_code: settings.receipt.vatCode,
    payment_mode: 'full_payment',
    payment_subject: 'service',
  };
  const receipt = { items: [item], ...(settings.receipt.taxSystemCode !== undefined && { tax_system_code: settings.receipt.taxSystemCode }) };
  return { ...invoice, need_email: true, send_email_to_provider: true, provider_data: JSON.stringify({ receipt }) };
}

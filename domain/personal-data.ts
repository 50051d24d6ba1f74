/**
 * What /reset leaves of a person in the records that stay (issue 15): the books keep what a payment
 * is (amount, currency, provider ids, dates, status), nothing that says who paid.
 */

/**
 * Keys of a payment payload that describe the payment, not the payer: the provider webhook's fields
 * (docs/payments.md, "What /reset keeps") and Telegram's `successful_payment` ones. Everything else goes (a Stars
 * `order_info` holds the name, phone, e-mail and address; a provider may add its customer's).
 */
const FINANCIAL_PAYLOAD_KEYS = new Set([
  'order_id',
  'status',
  'amount',
  'currency',
  'payment_id',
  'instalment',
  'total_amount',
  'invoice_payload',
  'telegram_payment_charge_id',
  'provider_payment_charge_id',
  'confirmedBy', // the manager who confirmed: staff, not the customer
]);

/** The payment payload without the payer: only known financial keys with plain values stay. */
export function financialPayload(payload: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!payload) return null;
  const kept = Object.entries(payload).filter(([key, value]) => FINANCIAL_PAYLOAD_KEYS.has(key) && (typeof value !== 'object' || value === null));
  return Object.fromEntries(kept);
}

/** Stands where a quote of an erased person was. */
export const ERASED = '[erased]';

/** Identifiers of a person as they may be quoted in staff records: the Telegram id, @username, phone, e-mail. */
export interface PersonQuotes {
  telegramUserId: number;
  username?: string | null;
  phone?: string | null;
  email?: string | null;
}

function patterns(person: PersonQuotes): RegExp[] {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Longest first: an e-mail holding the username is replaced whole, not around it.
  const words = [person.username, person.phone, person.email].filter((w): w is string => !!w && w.length >= 3).sort((a, b) => b.length - a.length);
  // The id as a whole number only: 123456 is not inside 91234567.
  return [...words.map((w) => new RegExp(escape(w), 'gi')), new RegExp(`(?<!\\d)${person.telegramUserId}(?!\\d)`, 'g')];
}

/** A text with every quote of the person replaced; the same text when there is none. */
export function redactText(text: string, person: PersonQuotes): string {
  return patterns(person).reduce((out, pattern) => out.replace(pattern, ERASED), text);
}

/** A JSON value with the person's quotes replaced at any depth (a number equal to their id too). */
export function redactValue(value: unknown, person: PersonQuotes): unknown {
  if (typeof value === 'string') return redactText(value, person);
  if (typeof value === 'number') return value === person.telegramUserId ? ERASED : value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, person));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, person)]));
  return value;
}

/** Postgres regular expressions (`~*`) that find a row quoting the person, for the same needles. */
export function quotePatternsForSql(person: PersonQuotes): string[] {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const words = [person.username, person.phone, person.email].filter((w): w is string => !!w && w.length >= 3).map(escape);
  return [`(^|[^0-9])${person.telegramUserId}([^0-9]|$)`, ...words];
}

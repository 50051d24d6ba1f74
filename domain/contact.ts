/**
 * Reading a lead's contact details as they type them (docs/lead-journey.md, contact form and consultation booking): a phone number, a
 * name, an e-mail address. Each function returns the value to store, or null when the text is not
 * one, so the caller answers with its "please try again" text.
 *
 * Imported by workflow code: pure string work, no I/O, clocks or Node built-ins.
 */

/** What people put between digits: spaces (including no-break ones), hyphens and dashes, brackets, dots. */
const PHONE_SEPARATORS = /[\s\-\u2010-\u2015().]/g;

/**
 * A phone number in international form. Russian numbers become `+7XXXXXXXXXX` from the usual ways of
 * writing them: `+7 912 345-67-89`, `8 (912) 345 67 89`, `89123456789`, `7 912 3456789`, or the
 * ten digits alone when they start with 9 (a mobile number without its prefix). Any other country
 * needs its `+`: a `+` followed by 10 to 15 digits is kept as `+<digits>`.
 *
 * Refused: letters or other symbols, a `+` anywhere but first, too few or too many digits, a `+7`
 * number without exactly 10 more digits (Russia and Kazakhstan have no other length), a country code
 * starting with 0 (none does), and `+89…` (unassigned: it is a Russian `8 9…` number with a stray `+`,
 * which the lead should retype rather than have stored as a foreign number).
 */
export function normalisePhone(text: string): string | null {
  const match = /^(\+?)(\d+)$/.exec(text.trim().replace(PHONE_SEPARATORS, ''));
  if (!match) return null;
  const [, plus, digits] = match;
  if (plus) {
    if (digits.startsWith('7')) return digits.length === 11 ? `+${digits}` : null;
    if (digits.startsWith('0') || digits.startsWith('89')) return null;
    return digits.length >= 10 && digits.length <= 15 ? `+${digits}` : null;
  }
  if (digits.length === 11 && (digits.startsWith('8') || digits.startsWith('7'))) return `+7${digits.slice(1)}`;
  if (digits.length === 10 && digits.startsWith('9')) return `+7${digits}`;
  return null;
}

export const NAME_MAX_LENGTH = 64;

/** A link in any usual spelling: a scheme, `www.`, or a host ending in a common top-level domain. */
const LINK = new RegExp(
  '(?:[a-z][a-z0-9+.-]*://|www\\.|[\\p{L}\\p{N}-]\\.' +
    '(?:ru|com|net|org|info|io|me|su|рф|biz|xyz|online|site|pro|app|dev|shop|store|club|link|ua|by|kz|uz)' +
    '(?![\\p{L}\\p{N}]))',
  'iu',
);

/**
 * How the lead wants to be addressed: trimmed, runs of white space (line breaks included) collapsed
 * to one space. Refused: fewer than 2 letters (so digits alone, a phone number or a lone initial),
 * more than 64 characters, a link or an `@mention`, a `/command`, control characters. Hyphens,
 * apostrophes, initials with dots and emoji stay as typed.
 */
export function validName(text: string): string | null {
  const name = text.trim().replace(/\s+/g, ' ');
  if ([...name].length > NAME_MAX_LENGTH) return null;
  if ((name.match(/\p{L}/gu)?.length ?? 0) < 2) return null;
  if (name.includes('@') || name.startsWith('/') || LINK.test(name) || /\p{Cc}/u.test(name)) return null;
  return name;
}

export const EMAIL_MAX_LENGTH = 254;

/** RFC 5322 "dot-atom" local part, lower case: no leading, trailing or doubled dots. */
const EMAIL_LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
/** A host label: letters (any script, for `почта.рф`) or digits, hyphens only inside, at most 63. */
const EMAIL_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;
const EMAIL_TLD = /^(?:\p{L}{2,63}|xn--[a-z0-9-]{1,59})$/u;

/**
 * An e-mail address, trimmed and lower-cased, if it looks deliverable: `local@domain.tld`, one `@`,
 * no spaces, a local part of at most 64 characters, a host of at least two labels whose last is
 * letters (or punycode), 254 characters in all. A host may be in any script (`почта.рф`), the local
 * part only ASCII. Quoted or non-ASCII local parts and IP-literal hosts are refused: few mail systems
 * deliver to them, and a typo is likelier.
 */
export function validEmail(text: string): string | null {
  const email = text.trim().toLowerCase();
  if (email.length === 0 || email.length > EMAIL_MAX_LENGTH) return null;
  const parts = email.split('@');
  if (parts.length !== 2) return null;
  const [local, domain] = parts;
  if (local.length > 64 || !EMAIL_LOCAL.test(local)) return null;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => EMAIL_LABEL.test(label))) return null;
  return EMAIL_TLD.test(labels[labels.length - 1]) ? email : null;
}

import { Api, Bot, Context } from 'grammy';

/**
 * What a log line may carry. Two passes, both cheap:
 * - `toLoggable` walks the logged object once (bounded depth and width) before pino serialises it:
 *   a grammY context, an Api client, a bot or a raw update becomes a short summary; keys that name a
 *   secret or a contact are redacted at any depth; errors become plain objects with their stack.
 * - `scrubLine` runs over the finished JSON line: the configured secrets, anything shaped like a bot
 *   token, a bearer credential, an e-mail address or a phone number is replaced wherever it landed
 *   (an error message quoting a URL with the token, a stack, a bound field).
 */

const REDACTED = '[redacted]';
const MAX_DEPTH = 6;
const MAX_ITEMS = 50;

/** Keys whose values are never logged, at any depth. */
const SENSITIVE_KEY = /token|secret|passw|authori[sz]ation|cookie|api[-_]?key|phone|e-?mail|credential/i;

/** Error fields that hold a request's content (grammY's `payload` is the call's parameters: texts, phones). */
const DROPPED_ERROR_FIELDS = new Set(['payload', 'request', 'response', 'config', 'headers']);

/** Keys whose objects Fastify's own serializers reduce to safe fields (method, url, status). */
const LEFT_TO_SERIALIZERS = new Set(['req', 'res']);

type Plain = Record<string, unknown>;

/** The top-level object of a log call, made safe to serialise. */
export function toLoggable(entry: Plain): Plain {
  const out: Plain = {};
  const seen = new WeakSet<object>();
  for (const key of Object.keys(entry)) {
    out[key] = LEFT_TO_SERIALIZERS.has(key) ? entry[key] : field(key, entry[key], 0, seen);
  }
  return out;
}

function field(key: string, value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value !== null && value !== undefined && value !== '' && SENSITIVE_KEY.test(key)) return REDACTED;
  return loggable(value, depth, seen);
}

function loggable(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  if (value instanceof Context || isContextLike(value)) return updateSummary((value as Context).update);
  if (value instanceof Api || value instanceof Bot || isApiLike(value)) return '[telegram client]';
  if (value instanceof Error) return errorFields(value, depth, seen);
  if (value instanceof Date) return value;
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof Map || value instanceof Set) return `[${value.constructor.name} of ${value.size}]`;
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((item) => loggable(item, depth + 1, seen));
    return value.length > MAX_ITEMS ? [...items, `[${value.length - MAX_ITEMS} more]`] : items;
  }
  const object = value as Plain;
  if (isRawUpdate(object)) return updateSummary(object);
  if (isTelegramMessage(object)) return { messageId: object.message_id, chatType: (object.chat as Plain).type };
  const out: Plain = {};
  let count = 0;
  for (const key of Object.keys(object)) {
    if (++count > MAX_ITEMS) {
      out['…'] = `[${Object.keys(object).length - MAX_ITEMS} more keys]`;
      break;
    }
    out[key] = field(key, object[key], depth + 1, seen);
  }
  return out;
}

/** An error as a plain object pino prints as is: type, message, stack, its own safe fields, its cause. */
function errorFields(error: Error, depth: number, seen: WeakSet<object>): Plain {
  const out: Plain = { type: error.constructor?.name || error.name, message: error.message, stack: error.stack };
  const source = error as unknown as Plain;
  for (const key of Object.keys(source)) {
    if (key in out || DROPPED_ERROR_FIELDS.has(key)) continue;
    out[key] = field(key, source[key], depth + 1, seen);
  }
  if (error.cause !== undefined && !('cause' in out)) out.cause = loggable(error.cause, depth + 1, seen);
  if (error instanceof AggregateError) out.errors = loggable(error.errors, depth + 1, seen);
  return out;
}

/** Which update it was, never what it said. */
function updateSummary(update: unknown): Plain {
  const raw = (update ?? {}) as Plain;
  return { updateId: raw.update_id, updateType: Object.keys(raw).find((key) => key !== 'update_id') };
}

function isContextLike(value: object): boolean {
  return 'update' in value && 'api' in value && 'me' in value;
}

function isApiLike(value: object): boolean {
  return 'raw' in value && 'config' in value && 'token' in value;
}

function isRawUpdate(value: Plain): boolean {
  return typeof value.update_id === 'number';
}

function isTelegramMessage(value: Plain): boolean {
  return typeof value.message_id === 'number' && typeof value.chat === 'object' && value.chat !== null && 'date' in value;
}

const TEXT_PATTERNS: readonly [RegExp, string][] = [
  // A bot token (123456789:AA…), also inside https://api.telegram.org/bot<token>/method.
  [/\d{5,}:[A-Za-z0-9_-]{20,}/g, '[token]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, '[email]'],
  // +7 999 123-45-67, +79991234567
  [/\+\d[\d\s().-]{6,}\d/g, '[phone]'],
  // 8 (999) 123-45-67, 999 123 45 67
  [/(?<![\w.])(?:\d{1,3}[\s-]?)?\(?\d{3}\)?[\s-]\d{3}[\s-]\d{2}[\s-]?\d{2}(?![\w.])/g, '[phone]'],
  // A bare run of 11-15 digits inside a text (JSON numbers follow ':' ',' or '[', decimals '.').
  [/(?<![\w.:,[\-+])\d{11,15}(?![\w.])/g, '[phone]'],
];

/** Secrets shorter than this are not scrubbed by value: they would match ordinary words. */
const MIN_SECRET_LENGTH = 8;

/** The line-level scrubber for these configured secret values (tokens, keys, webhook secrets). */
export function lineScrubber(secrets: readonly (string | undefined)[] = []): (line: string) => string {
  const values = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH))]
    .sort((a, b) => b.length - a.length)
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const exact = values.length ? new RegExp(values.join('|'), 'g') : undefined;
  return (line) => {
    let out = exact ? line.replace(exact, REDACTED) : line;
    for (const [pattern, replacement] of TEXT_PATTERNS) out = out.replace(pattern, replacement);
    return out;
  };
}

import fc from 'fast-check';
import { paymentSignature } from '../../../api/payment-webhook-routes';

export const API_TOKEN = 'faults-api-token-0123456789abcdef';
export const PAYMENT_SECRET = 'faults-payment-secret-0123456789';
export const BODY_LIMIT = 1_048_576;

/** A request as the suite sends it: `body` already serialised, headers as given. */
export interface FuzzedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const segment = fc.oneof(
  fc.integer({ min: -5, max: 1_000_000 }).map(String),
  fc.constantFrom('0', '1', '9007199254740993', '1e3', '0x10', '..', '%00', '%2e%2e', 'null', '-1', 'NaN', ' '),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 10 }).map(encodeURIComponent),
);

/** Every api route, with its path parameters fuzzed, and a few paths that are none. */
const path = fc.oneof(
  fc.constantFrom('/health', '/metrics', '/analytics', '/analytics/export/leads.csv', '/analytics/export/campaign-deliveries.csv', '/analytics/export/ab-results.csv', '/campaigns', '/dashboard', '/dashboard/app.js', '/dashboard/style.css', '/payments/webhook', '/telegram/webhook', '/', '/nope'),
  segment.map((id) => `/analytics/export/leads/${id}/messages.csv`),
  segment.map((id) => `/campaigns/${id}`),
  segment.map((id) => `/campaigns/${id}/deliveries.csv`),
  fc.tuple(segment, fc.constantFrom('pick-winner', 'pause', 'resume', 'cancel', 'withdraw', 'launch', 'x')).map(([id, command]) => `/campaigns/${id}/${command}`),
  segment.map((click) => `/c/${click}`),
);

const query = fc.dictionary(fc.constantFrom('from', 'to', 'source', 'segment', 'limit', 'offset', 'status', 'format', 'x'), fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('2026-13-45', '-1', '99999999999', 'null')), { maxKeys: 3 });

const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({ name: fc.string(), content: fc.anything({ maxDepth: 2 }), audience: fc.anything({ maxDepth: 2 }), scheduledAt: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] }),
  fc.record({ order_id: fc.oneof(fc.integer(), fc.string()), status: fc.constantFrom('paid', 'failed', 'x'), amount: fc.oneof(fc.double(), fc.string()), currency: fc.string({ maxLength: 6 }) }, { requiredKeys: [] }),
).map((value) => JSON.stringify(value) ?? 'null');

const body = fc.oneof(
  jsonBody,
  fc.string({ maxLength: 200 }),
  fc.constantFrom('{', '{"a":', '[]', 'null', '\u0000', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}'),
  // Near the body limit and beyond it.
  fc.constantFrom(BODY_LIMIT - 100, BODY_LIMIT + 1, 2 * BODY_LIMIT).map((size) => `{"a":"${'x'.repeat(size)}"}`),
);

const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=koi8-r', '', '*/*');
const authorization = fc.constantFrom('none', 'right', 'wrong', 'garbage');

export const fuzzedRequest: fc.Arbitrary<FuzzedRequest> = fc
  .record({
    method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
    path,
    query,
    body: fc.option(body, { freq: 3 }),
    contentType,
    authorization,
    signed: fc.boolean(),
    telegramSecret: fc.boolean(),
  })
  .map((r) => {
    const headers: Record<string, string> = {};
    if (r.contentType) headers['content-type'] = r.contentType;
    if (r.authorization === 'right') headers.authorization = `Bearer ${API_TOKEN}`;
    if (r.authorization === 'wrong') headers.authorization = 'Bearer wrong-token-wrong-token-wrong';
    if (r.authorization === 'garbage') headers.authorization = 'Basic \u00ff\u00fe';
    const hasBody = r.body !== null && r.method !== 'GET' && r.method !== 'HEAD';
    if (r.signed && hasBody) headers['x-payment-signature'] = paymentSignature(PAYMENT_SECRET, r.body as string);
    if (r.telegramSecret) headers['x-telegram-bot-api-secret-token'] = 'faults-webhook-secret-0123456789';
    const search = new URLSearchParams(r.query).toString();
    return { method: r.method, path: search ? `${r.path}?${search}` : r.path, headers, ...(hasBody && { body: r.body as string }) };
  });

export function sampleRequests(count: number, seed: number): FuzzedRequest[] {
  return fc.sample(fuzzedRequest, { numRuns: count, seed });
}

import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApi } from '../../api/app';
import { createMetrics } from '../../api/metrics';
import { createDb, type Db } from '../../db/knex';
import { parseCsv } from '../../db/materials-import';
import { csvField } from '../../domain/csv';
import { ownDatabase } from '../support/own-database';
import { DAY, HOUR, dayOf, seedCampaignDeliveries, seedJourney } from '../support/analytics-seed';

const TOKEN = 'analytics-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };
let db: Db;
let app: FastifyInstance;
let ids: Awaited<ReturnType<typeof seedJourney>>;
const now = Date.now();

function api(database: Db, token: string | undefined): FastifyInstance {
  return buildApi({
    logger: pino({ level: 'silent' }),
    health: { postgres: async () => {}, temporal: async () => {} },
    metrics: createMetrics(),
    analytics: { db: database, token, timeZone: 'UTC', now: () => new Date(now) },
  });
}

type Ids = Awaited<ReturnType<typeof seedJourney>>;

/**
 * Rows in the real `handoffs` and `orders` tables (their migrations' columns and checks), counted
 * by hand in the tests below. In the last 30 days:
 *   handoffs: A taken after 60 s (since closed as paid), B after 180 s, D after 600 s, F waiting,
 *             C closed by timeout without a manager; E's, 40 days ago, taken after 10 s;
 *   orders:   paid 1000 RUB (A, link), 250 XTR (A, Stars), 500.50 RUB (D, instalment, created
 *             35 days ago), 30 USD (F); B's 700 RUB sent, not paid; C's 400 RUB paid then refunded;
 *             E's 200 USD paid 45 days ago (updated today: only `paid_at` places a payment).
 */
async function seedHandoffsAndOrders(database: Db, at: (ago: number) => Date, leads: Ids): Promise<void> {
  let n = 0;
  const handoff = (leadId: number, ago: number, takenAfterSeconds: number | null, closed?: 'paid' | 'timeout') =>
    database('handoffs').insert({
      workflow_id: `handoff-analytics-${(n += 1)}`,
      lead_id: leadId,
      trigger: 'contact_form',
      priority: 60,
      status: closed ? 'closed' : takenAfterSeconds === null ? 'waiting' : 'taken',
      outcome: closed ?? null,
      created_at: at(ago),
      taken_at: takenAfterSeconds === null ? null : new Date(at(ago).getTime() + takenAfterSeconds * 1000),
      closed_at: closed ? at(ago - HOUR) : null,
    });
  await handoff(leads.A, 2 * DAY, 60, 'paid');
  await handoff(leads.B, 2 * DAY, 180);
  await handoff(leads.D, 3 * DAY, 600);
  await handoff(leads.F, DAY, null);
  await handoff(leads.C, DAY, null, 'timeout');
  await handoff(leads.E, 40 * DAY, 10);

  const [product] = await database('products')
    .insert({ code: 'analytics-course', name: 'Course', description: 'A course', price: 1000, currency: 'RUB', budget_level: 1, urgency_level: 1 })
    .returning('id');
  const order = (
    leadId: number,
    amount: number,
    currency: string,
    status: 'sent' | 'paid' | 'refunded',
    times: { created: number; paid?: number; updated?: number },
    kind: { type?: string; method?: string } = {},
  ) =>
    database('orders').insert({
      lead_id: leadId,
      product_id: product.id,
      type: kind.type ?? 'full',
      method: kind.method ?? 'link',
      amount,
      currency,
      status,
      paid_via: times.paid === undefined ? null : kind.method === 'stars' ? 'stars' : 'webhook',
      created_at: at(times.created),
      sent_at: at(times.created - 60_000),
      paid_at: times.paid === undefined ? null : at(times.paid),
      closed_at: status === 'refunded' ? at(HOUR) : null,
      updated_at: at(times.updated ?? times.paid ?? times.created),
    });
  await order(leads.A, 1000, 'RUB', 'paid', { created: DAY + HOUR, paid: DAY });
  await order(leads.A, 250, 'XTR', 'paid', { created: DAY + HOUR, paid: DAY }, { method: 'stars' });
  await order(leads.D, 500.5, 'RUB', 'paid', { created: 35 * DAY, paid: 3 * DAY }, { type: 'instalment' });
  await order(leads.F, 30, 'USD', 'paid', { created: 2 * DAY + HOUR, paid: 2 * DAY });
  await order(leads.B, 700, 'RUB', 'sent', { created: 2 * DAY });
  await order(leads.C, 400, 'RUB', 'refunded', { created: 2 * DAY + HOUR, paid: 2 * DAY, updated: HOUR });
  await order(leads.E, 200, 'USD', 'paid', { created: 45 * DAY + HOUR, paid: 45 * DAY, updated: HOUR });
}

beforeAll(async () => {
  ({ db } = await ownDatabase('analytics_api'));
  // The campaigns migration made the real campaign_deliveries table; it has no click, conversion or
  // unsubscribe columns yet (they come with click tracking). This file's own database tests analytics
  // without the table, then with one that has those columns.
  await db.raw('drop table if exists campaign_deliveries cascade'); // campaign_clicks refers to it
  ids = await seedJourney(db, now);
  await seedHandoffsAndOrders(db, (ago) => new Date(now - ago), ids);
  app = api(db, TOKEN);
});
afterAll(async () => {
  await app?.close();
  await db?.destroy();
});

const get = async (url: string) => app.inject({ method: 'GET', url, headers: auth });

describe('GET /analytics', () => {
  it('computes every figure of the last 30 days as counted by hand from the seeded journey', async () => {
    const response = await get('/analytics?days=30');
    expect(response.statusCode).toBe(200);
    const a = response.json();

    expect(a.users).toEqual({ total: 6, new: 5, active7d: 3, bySegment: { cold: 1, warm: 2, hot: 2, none: 1 } });
    expect(a.leads).toEqual({
      requests: { total: 3, new: 2 },
      byStatus: { bot: 3, with_manager: 1, customer: 1, opted_out: 1 },
      blocked: 1,
      // 60, 180 and 600 s taken (A's handoff is closed since), F waiting, C closed untaken.
      timeToTake: { available: true, handoffs: 5, taken: 3, waiting: 1, medianSeconds: 180, averageSeconds: 280 },
    });
    expect(a.funnel.steps).toEqual([
      { step: 'started', count: 5, rate: 1 },
      { step: 'bonus', count: 3, rate: 0.6 },
      { step: 'survey', count: 3, rate: 0.6 },
      { step: 'consultation', count: 2, rate: 0.4 },
      { step: 'payment', count: 3, rate: 0.6 }, // A (twice), D, F; C was refunded, B has not paid
    ]);
    expect(a.funnel.unavailable).toEqual({});
    expect(a.conversionBySegment).toEqual([
      { segment: 'cold', started: 1, consultations: 1, consultationRate: 1, payments: 1, paymentRate: 1 },
      { segment: 'warm', started: 2, consultations: 0, consultationRate: 0, payments: 1, paymentRate: 0.5 },
      { segment: 'hot', started: 1, consultations: 1, consultationRate: 1, payments: 1, paymentRate: 1 },
      { segment: 'none', started: 1, consultations: 0, consultationRate: 0, payments: 0, paymentRate: 0 },
    ]);
    expect(a.perDay).toHaveLength(30);
    expect(a.perDay.at(-1).day).toBe(dayOf(now, 0));
    expect(a.perDay[0].day).toBe(dayOf(now, 29 * DAY));
    const nonZero = a.perDay.filter((d: { users: number; requests: number }) => d.users || d.requests);
    expect(nonZero).toEqual([
      { day: dayOf(now, 5 * DAY), users: 1, requests: 0 },
      { day: dayOf(now, 3 * DAY), users: 1, requests: 0 },
      { day: dayOf(now, 2 * DAY), users: 2, requests: 1 },
      { day: dayOf(now, DAY), users: 1, requests: 1 },
    ]);
    expect(a.llm).toEqual({
      calls: 3,
      fallbacks: 2,
      fallbackRate: 0.6667,
      byOutcome: { no_key: 1, ok: 1, timeout: 1 },
      turns: 2,
      escalations: 1,
      escalationRate: 0.5,
    });
    expect(a.sales).toEqual({
      available: true,
      paidOrders: 4,
      byCurrency: [
        { currency: 'RUB', revenue: 1500.5, orders: 2, averageOrder: 750.25 },
        { currency: 'XTR', revenue: 250, orders: 1, averageOrder: 250 },
        { currency: 'USD', revenue: 30, orders: 1, averageOrder: 30 },
      ],
      // C's order, refunded an hour ago: a refund of the period, not a sale.
      refunds: [{ currency: 'RUB', orders: 1, amount: 400 }],
    });
    expect(a.broadcasts).toEqual({ available: false, reason: 'no "campaign_deliveries" table yet: it comes with broadcast campaigns' });
    expect(a.abTests).toEqual(a.broadcasts);
    expect(a.period).toMatchObject({ days: 30, timeZone: 'UTC', from: `${dayOf(now, 29 * DAY)}T00:00:00.000Z` });
  });

  it('an empty period (today only) gives zeros, and no rate where there is nothing to divide by', async () => {
    const a = (await get('/analytics?days=1')).json();
    expect(a.users).toEqual({ total: 6, new: 0, active7d: 3, bySegment: { cold: 1, warm: 2, hot: 2, none: 1 } });
    expect(a.leads.requests).toEqual({ total: 3, new: 0 });
    expect(a.funnel.steps.map((s: { count: number; rate: number }) => [s.count, s.rate])).toEqual([
      [0, null],
      [0, null],
      [0, null],
      [0, null],
      [0, null],
    ]);
    expect(a.conversionBySegment.map((s: Record<string, unknown>) => [s.started, s.consultationRate, s.payments, s.paymentRate])).toEqual([
      [0, null, 0, null],
      [0, null, 0, null],
      [0, null, 0, null],
      [0, null, 0, null],
    ]);
    expect(a.perDay).toEqual([{ day: dayOf(now, 0), users: 0, requests: 0 }]);
    expect(a.llm).toEqual({ calls: 0, fallbacks: 0, fallbackRate: null, byOutcome: {}, turns: 0, escalations: 0, escalationRate: null });
    expect(a.leads.timeToTake).toEqual({ available: true, handoffs: 0, taken: 0, waiting: 0, medianSeconds: null, averageSeconds: null });
    // E's order was updated today but paid 45 days ago, C's refunded today: neither is a sale of today.
    expect(a.sales).toMatchObject({ available: true, paidOrders: 0, byCurrency: [] });
    const summary = (await get('/analytics?days=1&view=summary')).body;
    expect(summary).toContain('медиана —, среднее — (взято 0 из 0, ждут 0)');
    expect(summary).toContain('оплата: 0 (—)');
    expect(summary).toContain('💰 Продажи\nоплат за период нет');
  });

  it("an instalment's second payment counts as money of the day it came, never for a refunded order", async () => {
    const dOrder = await db('orders').where({ lead_id: ids.D, type: 'instalment' }).first('id');
    const cOrder = await db('orders').where({ lead_id: ids.C, status: 'refunded' }).first('id');
    const midnight = Math.floor(now / DAY) * DAY; // the api's clock and zone (UTC): today, before "now", whatever the hour
    const instalment = (orderId: number) => ({ order_id: orderId, number: 2, amount: 500.5, currency: 'RUB', status: 'paid', paid_at: new Date(midnight + (now - midnight) / 2) });
    await db('order_instalments').insert([instalment(dOrder.id), instalment(cOrder.id)]);
    try {
      expect((await get('/analytics?days=1')).json().sales).toMatchObject({ available: true, paidOrders: 1, byCurrency: [{ currency: 'RUB', revenue: 500.5, orders: 1, averageOrder: 500.5 }] });
      // A refunded instalment order gave back every part that was paid.
      expect((await get('/analytics?days=30')).json().sales.refunds).toEqual([{ currency: 'RUB', orders: 1, amount: 900.5 }]);
      expect((await get('/analytics?days=30')).json().sales.byCurrency[0]).toEqual({ currency: 'RUB', revenue: 2001, orders: 3, averageOrder: 667 });
    } finally {
      await db('order_instalments').whereIn('order_id', [dOrder.id, cOrder.id]).delete();
    }
  });

  it('defaults to 30 days; 180 reaches the user who started 40 days ago', async () => {
    expect((await get('/analytics')).json().period.days).toBe(30);
    const a = (await get('/analytics?days=180')).json();
    expect(a.users.new).toBe(6);
    expect(a.funnel.steps[1]).toEqual({ step: 'bonus', count: 4, rate: 0.6667 });
    expect(a.llm).toMatchObject({ calls: 4, turns: 3, escalations: 2 });
    expect(a.perDay).toHaveLength(180);
    // E's handoff (10 s) and E's payment (200 USD, 45 days ago) join those of the last 30 days.
    expect(a.leads.timeToTake).toEqual({ available: true, handoffs: 6, taken: 4, waiting: 1, medianSeconds: 120, averageSeconds: 213 });
    expect(a.sales.byCurrency).toEqual([
      { currency: 'RUB', revenue: 1500.5, orders: 2, averageOrder: 750.25 },
      { currency: 'XTR', revenue: 250, orders: 1, averageOrder: 250 },
      { currency: 'USD', revenue: 230, orders: 2, averageOrder: 115 },
    ]);
    expect(a.funnel.steps.at(-1)).toEqual({ step: 'payment', count: 4, rate: 0.6667 });
  });

  it('the summary view is plain text for a phone', async () => {
    const response = await get('/analytics?days=30&view=summary');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.body).toContain('всего 6, новых 5, активных за 7 дн. 3');
    expect(response.body).toContain('консультация: 2 (40%)');
    expect(response.body).toContain('оплата: 3 (60%)');
    expect(response.body).toContain('вызовов 3, запасных ответов 2 (66,7%), передано менеджеру 1 из 2 ходов');
    expect(response.body).toContain('время до ответа менеджера: медиана 3 мин, среднее 5 мин (взято 3 из 5, ждут 1)');
    expect(response.body).toContain('1 500,5 RUB: 2 опл., средний чек 750,25 RUB\n250 XTR: 1 опл., средний чек 250 XTR\n30 USD: 1 опл., средний чек 30 USD');
    expect(response.body).toContain('📣 Рассылки\nнет данных (no "campaign_deliveries" table yet: it comes with broadcast campaigns)');
  });

  it.each([
    ['0', 'days must be a whole number from 1 to 180, got "0"'],
    ['181', 'days must be a whole number from 1 to 180, got "181"'],
    ['abc', 'days must be a whole number from 1 to 180, got "abc"'],
    ['1.5', 'days must be a whole number from 1 to 180, got "1.5"'],
    ['-3', 'days must be a whole number from 1 to 180, got "-3"'],
  ])('days=%s is refused with 422 and the reason', async (days, reason) => {
    const response = await get(`/analytics?days=${days}`);
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({ error: reason });
  });

  it('an unknown view is a 422 too', async () => {
    const response = await get('/analytics?view=xml');
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({ error: 'view must be json or summary' });
  });

  it('no token, a wrong token or another scheme is a 401; without API_TOKEN configured, a 503', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKEN}` }, { authorization: 'Bearer ' }]) {
      const response = await app.inject({ method: 'GET', url: '/analytics', headers });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ error: 'a valid bearer token is required' });
    }
    // The .xlsx exports are guarded like the CSV ones (a few tries only: failed tries are rate-limited).
    for (const url of ['/analytics/export/leads.csv', '/analytics/export/leads.xlsx', `/analytics/export/leads/${ids.A}/messages.xlsx`, '/analytics/export/ab-results.xlsx']) {
      const refused = await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer wrong' } });
      expect(refused.statusCode).toBe(401);
      expect(refused.headers['content-type']).toMatch(/^application\/json/);
    }
    const disabled = api(db, undefined);
    const response = await disabled.inject({ method: 'GET', url: '/analytics', headers: auth });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ error: 'analytics are disabled: API_TOKEN is not set' });
    await disabled.close();
  });

  it('a query that fails is a 503 with the reason logged, never a stack trace', async () => {
    const logged: string[] = [];
    const broken = createDb('postgres://postgres@127.0.0.1:5432/no_such_database_for_analytics');
    const failing = buildApi({
      logger: pino({ level: 'error' }, { write: (line: string) => void logged.push(line) }),
      health: { postgres: async () => {}, temporal: async () => {} },
      metrics: createMetrics(),
      analytics: { db: broken, token: TOKEN, timeZone: 'UTC', now: () => new Date(now) },
    });
    for (const url of ['/analytics?days=7', '/analytics/export/leads.csv', '/analytics/export/leads.xlsx']) {
      const response = await failing.inject({ method: 'GET', url, headers: auth });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ error: 'analytics are unavailable right now: the database did not answer; try again shortly' });
      expect(response.body).not.toMatch(/at .*\.ts|no_such_database/);
    }
    expect(logged.join('')).toContain('database \\"no_such_database_for_analytics\\" does not exist');
    await failing.close();
    await broken.destroy();
  });
});

describe('CSV exports', () => {
  it('leads of the period, quoted for spreadsheets', async () => {
    await db('leads').where({ id: ids.C }).update({ first_name: 'Ann, "the" best', last_name: '=HYPERLINK("x")', phone: '+79001234567' });
    await db('leads').where({ id: ids.A }).update({ last_name: 'Иванова' });
    const response = await get('/analytics/export/leads.csv?days=30');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="leads-30d.csv"');
    // UTF-8 with a byte order mark, so Excel shows Cyrillic instead of mojibake.
    expect([...response.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = response.body.split('\r\n');
    expect(lines[0]).toBe('\uFEFFid,telegram_user_id,first_name,last_name,username,phone,email,language_code,source,segment,score,stage,mode,blocked,opted_out,created_at,last_inbound_at');
    expect(lines).toHaveLength(1 + 5 + 1); // header, five users of the period, the empty string after the last CRLF
    const c = lines.find((line) => line.startsWith(`${ids.C},`));
    expect(c).toContain(`,"Ann, ""the"" best","'=HYPERLINK(""x"")",,+79001234567,,,,,,opening,bot,true,false,`);
    expect(lines.some((line) => line.startsWith(`${ids.E},`))).toBe(false);
    expect(lines.find((line) => line.startsWith(`${ids.A},`))).toContain(',Иванова,');
  });

  it("one lead's messages, line breaks and quotes kept inside one field", async () => {
    const message = (text: string | null, direction: string, ago: number) =>
      db('messages').insert({ lead_id: ids.A, chat_id: 1, direction, text, status: direction === 'in' ? 'received' : 'sent', created_at: new Date(now - ago) });
    await message('Hello, world', 'in', 3 * HOUR);
    await message('He said "hi"\nbye', 'out', 2 * HOUR);
    await message(null, 'in', HOUR);
    const response = await get(`/analytics/export/leads/${ids.A}/messages.csv`);
    expect(response.statusCode).toBe(200);
    const rows = response.body.split('\r\n').slice(1, -1).map((line) => line.split(',').slice(2).join(','));
    expect(rows).toEqual(['in,received,"Hello, world",', 'out,sent,"He said ""hi""\nbye",', 'in,received,,']);
    expect((await get('/analytics/export/leads/999999999/messages.csv')).statusCode).toBe(404);
    expect((await get('/analytics/export/leads/abc/messages.csv')).json()).toEqual({ error: 'lead id must be a number' });
  });

  it('leads and messages as .xlsx: the same rows as the CSV, typed cells, Cyrillic intact, formulas stay text', async () => {
    await db('leads').where({ id: ids.C }).update({ first_name: 'Ann, "the" best', last_name: '=HYPERLINK("x")', phone: '+79001234567' });
    await db('leads').where({ id: ids.A }).update({ last_name: 'Иванова', username: '@ivanova' });
    const response = await get('/analytics/export/leads.xlsx?days=30');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(response.headers['content-disposition']).toBe('attachment; filename="leads-30d.xlsx"');
    const sheet = await sheetOf(response.rawPayload);
    await expectSameTable(sheet, (await get('/analytics/export/leads.csv?days=30')).body);
    expect(sheet.rows).toHaveLength(1 + 5);

    const a = sheet.rows.find((row) => row[0] === ids.A) ?? [];
    const column = (name: string) => sheet.rows[0].indexOf(name);
    expect(a[column('last_name')]).toBe('Иванова');
    expect(typeof a[column('telegram_user_id')]).toBe('number'); // a bigint Postgres sends as text
    expect(a[column('created_at')]).toBeInstanceOf(Date);
    expect(typeof a[column('blocked')]).toBe('boolean');
    // Text a spreadsheet would run is a plain string cell: no formula, nothing added to it.
    const c = sheet.rows.findIndex((row) => row[0] === ids.C);
    for (const [name, text] of [['last_name', '=HYPERLINK("x")'], ['phone', '+79001234567'], ['username', '@ivanova']] as const) {
      const row = name === 'username' ? sheet.rows.findIndex((r) => r[0] === ids.A) : c;
      const cell = sheet.cell(row, column(name));
      expect(cell.value).toBe(text);
      expect(cell.type).toBe(ExcelJS.ValueType.String);
      expect(cell.formula).toBeUndefined();
    }

    const messages = await get(`/analytics/export/leads/${ids.A}/messages.xlsx`);
    expect(messages.statusCode).toBe(200);
    expect(messages.headers['content-disposition']).toBe(`attachment; filename="lead-${ids.A}-messages.xlsx"`);
    await expectSameTable(await sheetOf(messages.rawPayload), (await get(`/analytics/export/leads/${ids.A}/messages.csv`)).body);
    expect((await get('/analytics/export/leads/999999999/messages.xlsx')).statusCode).toBe(404);
  });

  it('campaign deliveries and A/B results answer 404 with the reason while there are no campaigns', async () => {
    for (const url of ['/analytics/export/campaign-deliveries.csv', '/analytics/export/ab-results.csv', '/analytics/export/campaign-deliveries.xlsx', '/analytics/export/ab-results.xlsx']) {
      const response = await get(url);
      expect(response.statusCode).toBe(404);
      expect(response.json().error).toMatch(/campaign_deliveries table comes with broadcast campaigns/);
    }
  });
});

describe('once campaign deliveries exist', () => {
  beforeAll(() => createCampaignDeliveries(db, now, ids));
  afterAll(() => db.raw('drop table if exists campaign_deliveries cascade'));

  it('broadcasts and A/B results are computed; the other sections are unchanged', async () => {
    const a = (await get('/analytics?days=30')).json();
    expect(a.broadcasts).toEqual({
      available: true,
      campaigns: 2,
      deliveries: 8,
      byStatus: { delivered: 1, failed: 1, sent: 6 },
      uniqueReach: 5,
      errorRate: 0.125,
    });
    expect(a.abTests).toEqual({
      available: true,
      tests: [
        {
          campaignId: 1,
          leader: 'b',
          variants: [
            { variant: 'a', delivered: 2, clicks: 2, ctr: 1, conversions: 1, cr: 0.5, unsubscribes: 0 },
            { variant: 'b', delivered: 3, clicks: 2, ctr: 0.6667, conversions: 2, cr: 0.6667, unsubscribes: 1 },
          ],
        },
      ],
    });
    expect(a.sales.paidOrders).toBe(4);
    expect(a.leads.timeToTake.handoffs).toBe(5);
    const summary = (await get('/analytics?days=30&view=summary')).body;
    expect(summary).toContain('кампаний 2, отправок 8, охват 5, ошибок 12,5%');
    expect(summary).toContain('A/B #1: лидер b');
  });

  it('an empty period with the table: zeros, no rates, no leader', async () => {
    const a = (await get('/analytics?days=1')).json();
    expect(a.broadcasts).toEqual({ available: true, campaigns: 0, deliveries: 0, byStatus: {}, uniqueReach: 0, errorRate: null });
    expect(a.abTests).toEqual({ available: true, tests: [] });
  });

  it('campaign deliveries and A/B results export as CSV', async () => {
    const deliveries = await get('/analytics/export/campaign-deliveries.csv?days=30');
    expect(deliveries.statusCode).toBe(200);
    const lines = deliveries.body.split('\r\n');
    expect(lines[0]).toBe('\uFEFFid,campaign_id,lead_id,variant,status,created_at,clicked_at,converted_at,unsubscribed_at,error');
    expect(lines).toHaveLength(1 + 8 + 1);
    const ab = await get('/analytics/export/ab-results.csv?days=30');
    expect(ab.body).toBe(
      '\uFEFFcampaign_id,variant,delivered,clicks,ctr,conversions,cr,unsubscribes,leader\r\n' +
        '1,a,2,2,1,1,0.5,0,false\r\n' +
        '1,b,3,2,0.6667,2,0.6667,1,true\r\n',
    );
  });

  it('campaign deliveries and A/B results export as .xlsx with the same rows, numbers and dates typed', async () => {
    const deliveries = await sheetOf((await get('/analytics/export/campaign-deliveries.xlsx?days=30')).rawPayload);
    await expectSameTable(deliveries, (await get('/analytics/export/campaign-deliveries.csv?days=30')).body);
    expect(deliveries.rows).toHaveLength(1 + 8);
    expect(typeof deliveries.rows[1][1]).toBe('number'); // campaign_id, a bigint read through jsonb
    expect(deliveries.rows[1][5]).toBeInstanceOf(Date); // created_at, ISO text in jsonb
    const ab = await sheetOf((await get('/analytics/export/ab-results.xlsx?days=30')).rawPayload);
    expect(ab.rows).toEqual([
      ['campaign_id', 'variant', 'delivered', 'clicks', 'ctr', 'conversions', 'cr', 'unsubscribes', 'leader'],
      [1, 'a', 2, 2, 1, 1, 0.5, 0, false],
      [1, 'b', 3, 2, 0.6667, 2, 0.6667, 1, true],
    ]);
  });
});

type CellValue = ExcelJS.CellValue;

/** The first sheet of an .xlsx opened with exceljs: its rows as values (header first), and its cells. */
async function sheetOf(buffer: Uint8Array): Promise<{ rows: CellValue[][]; cell: (row: number, column: number) => ExcelJS.Cell }> {
  const workbook = new ExcelJS.Workbook();
  // exceljs types its input as an ArrayBuffer; the bytes are copied out of Node's pooled buffer.
  await workbook.xlsx.load(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer);
  const sheet = workbook.worksheets[0];
  const width = sheet.getRow(1).cellCount;
  const rows: CellValue[][] = [];
  for (let r = 1; r <= sheet.rowCount; r += 1) rows.push(Array.from({ length: width }, (_, c) => sheet.getRow(r).getCell(c + 1).value ?? null));
  return { rows, cell: (row, column) => sheet.getRow(row + 1).getCell(column + 1) };
}

/** Cell by cell, the sheet says what the CSV says (a date to the millisecond; jsonb's text has microseconds). */
async function expectSameTable(sheet: { rows: CellValue[][] }, csv: string): Promise<void> {
  const csvRows = parseCsv(csv.replace(/^\uFEFF/, '')).map((record) => record.fields);
  expect(sheet.rows.length).toBe(csvRows.length);
  sheet.rows.forEach((row, r) =>
    row.forEach((value, c) => {
      const text = csvRows[r][c];
      if (value instanceof Date) expect(Math.abs(Date.parse(text) - value.getTime())).toBeLessThan(1);
      else expect([r, c, csvField(value as string | number | boolean | null).replace(/^"|"$/g, '').replace(/""/g, '"')]).toEqual([r, c, text]);
    }),
  );
}

/**
 * Campaign deliveries do not exist yet: a minimal table with the columns analytics reads, seeded
 * so that in the last 30 days campaign 1 is an A/B test (a → A click + conversion, B click, C
 * failed; b → D and F click + conversion, E unsubscribed), campaign 2 has no variants (A sent,
 * B delivered), and campaign 3 was forty days ago.
 */
async function createCampaignDeliveries(database: Db, at: number, leads: Ids): Promise<void> {
  await database.schema.createTable('campaign_deliveries', (t) => {
    t.bigIncrements('id');
    t.bigInteger('campaign_id').notNullable();
    t.bigInteger('lead_id').notNullable();
    t.string('variant');
    t.string('status').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('clicked_at', { useTz: true });
    t.timestamp('converted_at', { useTz: true });
    t.timestamp('unsubscribed_at', { useTz: true });
  });
  await seedCampaignDeliveries(database, at, leads, { old: true });
}

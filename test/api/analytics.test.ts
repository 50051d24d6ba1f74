import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApi } from '../../api/app';
import { createMetrics } from '../../api/metrics';
import { createDb, type Db } from '../../db/knex';
import { ownDatabase } from '../support/own-database';
import { DAY, HOUR, dayOf, dropAwaitedTables, seedAwaitedTables, seedJourney } from '../support/analytics-seed';

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
    analytics: { db: database, token, timeZone: 'UTC' },
  });
}

beforeAll(async () => {
  ({ db } = await ownDatabase('analytics_api'));
  ids = await seedJourney(db, now);
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
      timeToTake: { available: false, reason: 'no "handoffs" table yet: it comes with the manager handoff' },
    });
    expect(a.funnel.steps).toEqual([
      { step: 'started', count: 5, rate: 1 },
      { step: 'bonus', count: 3, rate: 0.6 },
      { step: 'survey', count: 3, rate: 0.6 },
      { step: 'consultation', count: 2, rate: 0.4 },
      { step: 'payment', count: null, rate: null },
    ]);
    expect(a.funnel.unavailable).toEqual({ payment: 'no "orders" table yet: it comes with payments' });
    expect(a.conversionBySegment).toEqual([
      { segment: 'cold', started: 1, consultations: 1, consultationRate: 1, payments: null, paymentRate: null },
      { segment: 'warm', started: 2, consultations: 0, consultationRate: 0, payments: null, paymentRate: null },
      { segment: 'hot', started: 1, consultations: 1, consultationRate: 1, payments: null, paymentRate: null },
      { segment: 'none', started: 1, consultations: 0, consultationRate: 0, payments: null, paymentRate: null },
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
    expect(a.sales).toEqual({ available: false, reason: 'no "orders" table yet: it comes with payments' });
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
      [null, null],
    ]);
    expect(a.conversionBySegment.every((s: { started: number; consultationRate: null }) => s.started === 0 && s.consultationRate === null)).toBe(true);
    expect(a.perDay).toEqual([{ day: dayOf(now, 0), users: 0, requests: 0 }]);
    expect(a.llm).toEqual({ calls: 0, fallbacks: 0, fallbackRate: null, byOutcome: {}, turns: 0, escalations: 0, escalationRate: null });
  });

  it('defaults to 30 days; 180 reaches the user who started 40 days ago', async () => {
    expect((await get('/analytics')).json().period.days).toBe(30);
    const a = (await get('/analytics?days=180')).json();
    expect(a.users.new).toBe(6);
    expect(a.funnel.steps[1]).toEqual({ step: 'bonus', count: 4, rate: 0.6667 });
    expect(a.llm).toMatchObject({ calls: 4, turns: 3, escalations: 2 });
    expect(a.perDay).toHaveLength(180);
  });

  it('the summary view is plain text for a phone', async () => {
    const response = await get('/analytics?days=30&view=summary');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.body).toContain('всего 6, новых 5, активных за 7 дн. 3');
    expect(response.body).toContain('консультация: 2 (40%)');
    expect(response.body).toContain('оплата: нет данных');
    expect(response.body).toContain('вызовов 3, запасных ответов 2 (66,7%), передано менеджеру 1 из 2 ходов');
    expect(response.body).toContain('нет данных (no "orders" table yet: it comes with payments)');
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
    const refused = await app.inject({ method: 'GET', url: '/analytics/export/leads.csv', headers: { authorization: 'Bearer wrong' } });
    expect(refused.statusCode).toBe(401);
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
      analytics: { db: broken, token: TOKEN, timeZone: 'UTC' },
    });
    for (const url of ['/analytics?days=7', '/analytics/export/leads.csv']) {
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
    const response = await get('/analytics/export/leads.csv?days=30');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="leads-30d.csv"');
    const lines = response.body.split('\r\n');
    expect(lines[0]).toBe('id,telegram_user_id,first_name,last_name,username,phone,email,language_code,source,segment,score,stage,mode,blocked,opted_out,created_at,last_inbound_at');
    expect(lines).toHaveLength(1 + 5 + 1); // header, five users of the period, the empty string after the last CRLF
    const c = lines.find((line) => line.startsWith(`${ids.C},`));
    expect(c).toContain(`,"Ann, ""the"" best","'=HYPERLINK(""x"")",,+79001234567,,,,,,opening,bot,true,false,`);
    expect(lines.some((line) => line.startsWith(`${ids.E},`))).toBe(false);
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

  it('campaign deliveries and A/B results export only their header while no campaign has sent', async () => {
    // The campaign_deliveries table comes with the campaigns migration; no campaign has run here.
    const deliveries = await get('/analytics/export/campaign-deliveries.csv');
    expect(deliveries.statusCode).toBe(200);
    expect(deliveries.body).toBe('id,campaign_id,lead_id,variant,status,created_at,clicked_at,converted_at,unsubscribed_at,error\r\n');
    const ab = await get('/analytics/export/ab-results.csv');
    expect(ab.statusCode).toBe(200);
    expect(ab.body).toBe('campaign_id,variant,delivered,clicks,ctr,conversions,cr,unsubscribes,leader\r\n');
  });
});

describe('once handoffs, orders and campaign deliveries exist', () => {
  beforeAll(() => seedAwaitedTables(db, now, ids));
  afterAll(() => dropAwaitedTables(db));

  it('time to take, sales, the payment step, broadcasts and A/B results are computed', async () => {
    const a = (await get('/analytics?days=30')).json();
    expect(a.leads.timeToTake).toEqual({ available: true, handoffs: 4, taken: 3, waiting: 1, medianSeconds: 180, averageSeconds: 280 });
    expect(a.sales).toEqual({
      available: true,
      paidOrders: 3,
      byCurrency: [
        { currency: 'RUB', revenue: 1500.5, orders: 2, averageOrder: 750.25 },
        { currency: 'USD', revenue: 30, orders: 1, averageOrder: 30 },
      ],
    });
    expect(a.funnel.steps.at(-1)).toEqual({ step: 'payment', count: 3, rate: 0.6 });
    expect(a.funnel.unavailable).toEqual({});
    expect(a.conversionBySegment.map((s: { segment: string; payments: number; paymentRate: number }) => [s.segment, s.payments, s.paymentRate])).toEqual([
      ['cold', 1, 1],
      ['warm', 1, 0.5],
      ['hot', 1, 1],
      ['none', 0, 0],
    ]);
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
    const summary = (await get('/analytics?days=30&view=summary')).body;
    expect(summary).toContain('медиана 3 мин, среднее 5 мин (взято 3 из 4, ждут 1)');
    expect(summary).toContain('1 500,5 RUB: 2 опл., средний чек 750,25 RUB');
    expect(summary).toContain('A/B #1: лидер b');
  });

  it('an empty period with the tables: zeros, no medians, no rates, no leader', async () => {
    const a = (await get('/analytics?days=1')).json();
    expect(a.leads.timeToTake).toEqual({ available: true, handoffs: 0, taken: 0, waiting: 0, medianSeconds: null, averageSeconds: null });
    expect(a.sales).toEqual({ available: true, paidOrders: 0, byCurrency: [] });
    expect(a.broadcasts).toEqual({ available: true, campaigns: 0, deliveries: 0, byStatus: {}, uniqueReach: 0, errorRate: null });
    expect(a.abTests).toEqual({ available: true, tests: [] });
  });

  it('campaign deliveries and A/B results export as CSV', async () => {
    const deliveries = await get('/analytics/export/campaign-deliveries.csv?days=30');
    expect(deliveries.statusCode).toBe(200);
    const lines = deliveries.body.split('\r\n');
    expect(lines[0]).toBe('id,campaign_id,lead_id,variant,status,created_at,clicked_at,converted_at,unsubscribed_at,error');
    expect(lines).toHaveLength(1 + 8 + 1);
    const ab = await get('/analytics/export/ab-results.csv?days=30');
    expect(ab.body).toBe(
      'campaign_id,variant,delivered,clicks,ctr,conversions,cr,unsubscribes,leader\r\n' +
        '1,a,2,2,1,1,0.5,0,false\r\n' +
        '1,b,3,2,0.6667,2,0.6667,1,true\r\n',
    );
  });
});

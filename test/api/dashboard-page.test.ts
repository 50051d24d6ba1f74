import ExcelJS from 'exceljs';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildApi } from '../../api/app';
import { createMetrics } from '../../api/metrics';
import type { Db } from '../../db/knex';
import { DAY, HOUR, dayOf, seedCampaignDeliveries, seedJourney } from '../support/analytics-seed';
import { ownDatabase } from '../support/own-database';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it when missing). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', 'artifacts');
const TOKEN = 'web-dashboard-token';

let db: Db;
let app: FastifyInstance;
let browser: Browser;
let page: Page;
let base: string;
let ids: Awaited<ReturnType<typeof seedJourney>>;
const problems: string[] = [];
const now = Date.now();

const at = (ago: number) => new Date(now - ago);

/**
 * Rows in the real `handoffs` and `orders` tables, in the last 30 days: handoffs of A, B and D
 * taken after 60, 180 and 600 s, F's waiting; orders paid 1000 RUB (A), 500.50 RUB (D), 30 USD (F),
 * B's 700 RUB sent and unpaid; E's 200 USD paid 45 days ago (in the 90-day period only).
 */
async function seedHandoffsAndOrders(): Promise<void> {
  const handoff = (leadId: number, ago: number, takenAfterSeconds: number | null) =>
    db('handoffs').insert({
      workflow_id: `handoff-web-${leadId}`,
      lead_id: leadId,
      trigger: 'manager_requested',
      priority: 70,
      status: takenAfterSeconds === null ? 'waiting' : 'taken',
      created_at: at(ago),
      taken_at: takenAfterSeconds === null ? null : at(ago - takenAfterSeconds * 1000),
    });
  await handoff(ids.A, 2 * DAY, 60);
  await handoff(ids.B, 2 * DAY, 180);
  await handoff(ids.D, 3 * DAY, 600);
  await handoff(ids.F, DAY, null);
  const [product] = await db('products')
    .insert({ code: 'web-course', name: 'Course', description: 'A course', price: 1000, currency: 'RUB', budget_level: 1, urgency_level: 1 })
    .returning('id');
  const order = (leadId: number, amount: number, currency: string, paidAgo: number | null) =>
    db('orders').insert({
      lead_id: leadId,
      product_id: product.id,
      type: 'full',
      method: 'link',
      amount,
      currency,
      status: paidAgo === null ? 'sent' : 'paid',
      paid_via: paidAgo === null ? null : 'webhook',
      created_at: at((paidAgo ?? DAY) + HOUR),
      paid_at: paidAgo === null ? null : at(paidAgo),
    });
  await order(ids.A, 1000, 'RUB', DAY);
  await order(ids.D, 500.5, 'RUB', 3 * DAY);
  await order(ids.F, 30, 'USD', 2 * DAY);
  await order(ids.B, 700, 'RUB', null);
  await order(ids.E, 200, 'USD', 45 * DAY);
}

/** Campaign deliveries do not exist yet: a minimal table with the columns analytics reads. */
async function createCampaignDeliveries(): Promise<void> {
  await db.schema.createTable('campaign_deliveries', (t) => {
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
  await seedCampaignDeliveries(db, now, ids);
}

beforeAll(async () => {
  ({ db } = await ownDatabase('analytics_web'));
  // The campaigns migration made the real campaign_deliveries table; it has no click, conversion or
  // unsubscribe columns yet (they come with click tracking). This file's own database tests analytics
  // without the table, then with one that has those columns.
  await db.raw('drop table if exists campaign_deliveries cascade'); // campaign_clicks refers to it
  ids = await seedJourney(db, now);
  await seedHandoffsAndOrders();
  app = buildApi({
    logger: pino({ level: 'silent' }),
    health: { postgres: async () => {}, temporal: async () => {} },
    metrics: createMetrics(),
    analytics: { db, token: TOKEN, timeZone: 'UTC', now: () => new Date(now) },
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1100, height: 1600 } });
  // A script error or a blocked resource (the page must need nothing from outside) fails the test.
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of (401|404)/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await db?.destroy();
});

const metric = (name: string) => page.locator(`[data-metric="${name}"]`).textContent();
const bars = (chart: string) =>
  page.locator(`[data-chart="${chart}"] rect[data-key]`).evaluateAll((rects) => rects.map((r) => [r.getAttribute('data-key'), r.getAttribute('data-value')]));

/** The figures as the database has them, counted here with plain SQL, independently of the api's queries. */
async function fromDatabase(days: number) {
  const since = `${dayOf(now, (days - 1) * DAY)}T00:00:00Z`;
  const count = async (sql: string, bindings: string[] = []) => Number((await db.raw(sql, bindings)).rows[0].n);
  const cohort = `select id from leads where created_at >= ?`;
  const reached = (type: string) => count(`select count(distinct lead_id) as n from events where type = ? and lead_id in (${cohort})`, [type, since]);
  return {
    total: await count('select count(*) as n from leads'),
    new: await count('select count(*) as n from leads where created_at >= ?', [since]),
    started: await count(`select count(*) as n from (${cohort}) c`, [since]),
    bonus: await reached('bonus_taken'),
    survey: await reached('survey_completed'),
    consultation: await count(
      `select count(*) as n from (${cohort}) c where exists (select 1 from bookings b where b.lead_id = c.id)
         or exists (select 1 from events e where e.lead_id = c.id and e.type = 'consultation_booked')`,
      [since],
    ),
    payment: await count(`select count(distinct lead_id) as n from orders where status = 'paid' and lead_id in (${cohort})`, [since]),
  };
}

describe('the web dashboard', () => {
  it('refuses a wrong token and keeps the form', async () => {
    await page.goto(`${base}/dashboard`);
    await page.fill('#token', 'not-the-token');
    await page.click('#login button[type=submit]');
    await page.locator('#login-error').waitFor({ state: 'visible' });
    expect(await page.textContent('#login-error')).toBe('Неверный токен: доступ запрещён.');
    expect(await page.isVisible('#report')).toBe(false);
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage.getItem('analyticsToken'))).toBeNull();
  });

  it('with the token, draws the seeded figures as the database has them; the period buttons redraw', async () => {
    await page.fill('#token', TOKEN);
    await page.click('#login button[type=submit]');
    await page.locator('[data-chart="funnel"]').waitFor();
    expect(await page.isVisible('#login')).toBe(false);
    const db30 = await fromDatabase(30);
    expect(await metric('users.total')).toBe(String(db30.total));
    expect(await metric('users.new')).toBe(String(db30.new));
    expect(await bars('funnel')).toEqual([
      ['started', String(db30.started)],
      ['bonus', String(db30.bonus)],
      ['survey', String(db30.survey)],
      ['consultation', String(db30.consultation)],
      ['payment', String(db30.payment)],
    ]);
    // Hand-counted from the seed as well, so a wrong seed cannot pass unnoticed.
    expect([db30.total, db30.new, db30.started, db30.bonus, db30.survey, db30.consultation, db30.payment]).toEqual([6, 5, 5, 3, 3, 2, 3]);
    expect(await metric('funnel.consultation.rate')).toBe('40%');
    expect(await page.locator('[data-chart="funnel"] text[data-caption]').allTextContents()).toEqual([
      '5 (100%)',
      '3 (60%)',
      '3 (60%)',
      '2 (40%)',
      '3 (60%)',
    ]);

    const days = await page.locator('[data-chart="per-day"] rect[data-users]').evaluateAll((rects) =>
      rects.map((r) => [r.getAttribute('data-day'), Number(r.getAttribute('data-users'))] as const),
    );
    expect(days).toHaveLength(30);
    expect(days.at(-1)?.[0]).toBe(dayOf(now, 0));
    expect(days.reduce((sum, [, users]) => sum + users, 0)).toBe(db30.new);
    expect(days.find(([day]) => day === dayOf(now, 2 * DAY))?.[1]).toBe(2);

    expect(await page.locator('[data-chart="segments"] text[data-caption]').allTextContents()).toEqual([
      '100% (1 из 1)',
      '0% (0 из 2)',
      '100% (1 из 1)',
      '0% (0 из 1)',
    ]);
    expect(await page.locator('[data-table="sales"] td').allTextContents()).toEqual(['RUB', '1 500,5', '2', '750,25', 'USD', '30', '1', '30']);
    expect(await page.locator('[data-table="time-to-take"] td').allTextContents()).toEqual(['4', '3', '1', '3 мин', '5 мин']);
    const noCampaigns = 'Нет данных: no "campaign_deliveries" table yet: it comes with broadcast campaigns';
    expect(await page.textContent('#broadcasts [data-unavailable]')).toBe(noCampaigns);
    expect(await page.textContent('#ab-tests [data-unavailable]')).toBe(noCampaigns);
    expect(await page.locator('[data-table="llm"] td').allTextContents()).toEqual(['3', '2', '66,7%', '2', '1 (50%)']);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    await page.click('#periods [data-days="90"]');
    await page.locator('#period[data-days="90"]').waitFor();
    const db90 = await fromDatabase(90);
    expect(await metric('users.new')).toBe(String(db90.new));
    expect(db90.new).toBe(6);
    expect(await page.locator('[data-chart="per-day"] rect[data-users]').count()).toBe(90);
    // E started 40 days ago and paid 200 USD 45 days ago: both inside 90 days.
    expect(db90.payment).toBe(4);
    expect(await bars('funnel')).toContainEqual(['payment', '4']);
    expect(await page.locator('[data-table="sales"] td').allTextContents()).toEqual(['RUB', '1 500,5', '2', '750,25', 'USD', '230', '2', '115']);
    expect(problems).toEqual([]);
  });

  it('downloads CSV exports with the token; an export without its table says why', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-export="/analytics/export/leads.csv"]')]);
    expect(download.suggestedFilename()).toBe('leads.csv');
    const body = await readFile(await download.path(), 'utf8');
    // A byte order mark first, so Excel reads the Cyrillic as UTF-8.
    expect(body.startsWith('\uFEFF')).toBe(true);
    const lines = body.slice(1).split('\r\n');
    expect(lines[0]).toMatch(/^id,telegram_user_id,first_name,/);
    expect(lines).toHaveLength(1 + 6 + 1); // 90 days are selected: all six users, and the end after the last CRLF
    // Beside it, the same export as an Excel workbook: the same header and rows.
    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('[data-export="/analytics/export/leads.xlsx"]')]);
    expect(xlsx.suggestedFilename()).toBe('leads.xlsx');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(new Uint8Array(await readFile(await xlsx.path())).buffer);
    const sheet = workbook.worksheets[0];
    expect((sheet.getRow(1).values as unknown[]).slice(1).join(',')).toBe(lines[0]);
    expect(sheet.rowCount).toBe(1 + 6);
    await page.click('[data-export="/analytics/export/campaign-deliveries.csv"]');
    await page.locator('#export-error').waitFor({ state: 'visible' });
    expect(await page.textContent('#export-error')).toMatch(/^no campaign deliveries yet/);
  });

  it('shows broadcasts and A/B results once the campaign deliveries table exists', async () => {
    await createCampaignDeliveries();
    try {
      await page.click('#periods [data-days="30"]');
      await page.locator('[data-table="broadcasts"]').waitFor();
      expect(await page.locator('[data-table="broadcasts"] td').allTextContents()).toEqual(['2', '8', 'delivered: 1, failed: 1, sent: 6', '5', '12,5%']);
      expect(await page.locator('[data-table="ab"] td').allTextContents()).toEqual([
        '#1', 'a', '2', '2', '100%', '1', '50%', '0',
        '#1', 'b 🏆', '3', '2', '66,7%', '2', '66,7%', '1',
      ]);
      expect(await page.locator('[data-table="sales"] td').allTextContents()).toEqual(['RUB', '1 500,5', '2', '750,25', 'USD', '30', '1', '30']);
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-all-sections.png'), fullPage: true });
    } finally {
      await db.raw('drop table if exists campaign_deliveries cascade'); // campaign_clicks refers to it
    }
  });

  it('keeps the token for the tab only, and a token revoked meanwhile sends the user back to the form', async () => {
    await page.reload();
    await page.locator('[data-chart="funnel"]').waitFor();
    await page.evaluate(() => (globalThis as unknown as { sessionStorage: { setItem(key: string, value: string): void } }).sessionStorage.setItem('analyticsToken', 'revoked'));
    await page.click('#periods [data-days="7"]');
    await page.locator('#login-error').waitFor({ state: 'visible' });
    expect(await page.isVisible('#report')).toBe(false);
  });
});

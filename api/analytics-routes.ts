import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Knex } from 'knex';
import { z } from 'zod';
import { computeAnalytics } from '../db/analytics';
import { bearerGuard } from './bearer-auth';
import { campaignDeliveriesTable, leadExists, leadMessagesTable, leadsTable } from '../db/analytics-exports';
import { abTestMetrics, existingTables } from '../db/analytics-optional';
import { DEFAULT_DAYS, MAX_DAYS, MIN_DAYS, periodOf } from '../db/analytics-period';
import { formatSummary } from '../domain/analytics-summary';
import { csvLines, EXCEL_BOM, type CsvValue } from '../domain/csv';
import { XLSX_CONTENT_TYPE, xlsxStream, type TableRow } from '../db/xlsx-export';

export interface AnalyticsDeps {
  db: Knex;
  /** API_TOKEN; without it every analytics request is refused. */
  token: string | undefined;
  /** DASHBOARD_TOKEN: reads the same figures (everything here is a read). */
  readToken?: string;
  timeZone: string;
  /** The clock the periods end at (tests pass the one they seeded with, so a midnight between never shifts a figure). */
  now?: () => Date;
}

const daysSchema = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined || raw === '') return DEFAULT_DAYS;
    const days = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(days) || days < MIN_DAYS || days > MAX_DAYS) {
      ctx.addIssue({ code: 'custom', message: `days must be a whole number from ${MIN_DAYS} to ${MAX_DAYS}, got "${raw}"` });
      return z.NEVER;
    }
    return days;
  });

const reportQuery = z.object({
  days: daysSchema,
  view: z.enum(['json', 'summary'], { error: 'view must be json or summary' }).default('json'),
});
const periodQuery = z.object({ days: daysSchema });
const leadParams = z.object({ leadId: z.coerce.number({ error: 'lead id must be a number' }).int().positive('lead id must be a positive number') });

/** A request the client got wrong: 422 with the reason. */
class InvalidQueryError extends Error {
  readonly statusCode = 422;
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new InvalidQueryError(parsed.error.issues.map((i) => i.message).join('; '));
  return parsed.data;
}

/**
 * `/analytics` (JSON or a readable summary) and exports under `/analytics/export/`, each as CSV and
 * as .xlsx (the same columns and rows, typed cells), for a bearer token equal to API_TOKEN or DASHBOARD_TOKEN. A query that fails is a 503 whose reason goes to the log only.
 */
export async function analyticsRoutes(app: FastifyInstance, deps: AnalyticsDeps): Promise<void> {
  const now = deps.now ?? (() => new Date());
  bearerGuard(app, { full: deps.token, read: deps.readToken }, { what: 'analytics', disabledReason: 'analytics are disabled: API_TOKEN is not set' });

  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    if (error instanceof InvalidQueryError) return reply.code(422).send({ error: error.message });
    if (error.statusCode && error.statusCode < 500) return reply.code(error.statusCode).send({ error: error.message });
    request.log.error({ err: error, url: request.url }, 'analytics query failed');
    return reply.code(503).send({ error: 'analytics are unavailable right now: the database did not answer; try again shortly' });
  });

  app.get('/analytics', async (request, reply) => {
    const { days, view } = parse(reportQuery, request.query);
    const report = await computeAnalytics(deps.db, { days, until: now(), timeZone: deps.timeZone });
    if (view === 'summary') return reply.type('text/plain; charset=utf-8').send(formatSummary(report));
    return report;
  });

  // Each export is offered twice: `.csv` (UTF-8 with BOM) and `.xlsx`, from the same table.
  for (const format of EXPORT_FORMATS) {
    app.get(`/analytics/export/leads.${format}`, async (request, reply) => {
      const { days } = parse(periodQuery, request.query);
      const period = await periodOf(deps.db, days, now(), deps.timeZone);
      return sendTable(reply, `leads-${days}d`, format, leadsTable(deps.db, period));
    });

    app.get(`/analytics/export/leads/:leadId/messages.${format}`, async (request, reply) => {
      const { leadId } = parse(leadParams, request.params);
      if (!(await leadExists(deps.db, leadId))) return reply.code(404).send({ error: `no lead with id ${leadId}` });
      return sendTable(reply, `lead-${leadId}-messages`, format, leadMessagesTable(deps.db, leadId));
    });

    app.get(`/analytics/export/campaign-deliveries.${format}`, async (request, reply) => {
      const { days } = parse(periodQuery, request.query);
      if (!(await existingTables(deps.db, ['campaign_deliveries'])).size) return noCampaigns(reply);
      const period = await periodOf(deps.db, days, now(), deps.timeZone);
      return sendTable(reply, `campaign-deliveries-${days}d`, format, campaignDeliveriesTable(deps.db, period));
    });

    app.get(`/analytics/export/ab-results.${format}`, async (request, reply) => {
      const { days } = parse(periodQuery, request.query);
      const tables = await existingTables(deps.db, ['campaign_deliveries']);
      if (!tables.size) return noCampaigns(reply);
      const results = await abTestMetrics(deps.db, await periodOf(deps.db, days, now(), deps.timeZone), tables);
      const rows: CsvValue[][] = [['campaign_id', 'variant', 'delivered', 'clicks', 'ctr', 'conversions', 'cr', 'unsubscribes', 'leader']];
      for (const test of results.available ? results.tests : []) {
        for (const v of test.variants) rows.push([test.campaignId, v.variant, v.delivered, v.clicks, v.ctr, v.conversions, v.cr, v.unsubscribes, v.variant === test.leader]);
      }
      return sendTable(reply, `ab-results-${days}d`, format, rows);
    });
  }
}

const EXPORT_FORMATS = ['csv', 'xlsx'] as const;
type ExportFormat = (typeof EXPORT_FORMATS)[number];

function noCampaigns(reply: FastifyReply) {
  return reply.code(404).send({ error: 'no campaign deliveries yet: the campaign_deliveries table comes with broadcast campaigns' });
}

/**
 * Reads the header and the first row before answering, so a database that fails on the first
 * page is a 503 rather than a 200 with a cut-off file.
 */
async function sendTable(reply: FastifyReply, basename: string, format: ExportFormat, table: AsyncIterable<TableRow> | TableRow[]) {
  const iterator = (Symbol.asyncIterator in table ? table : (async function* () { yield* table; })())[Symbol.asyncIterator]();
  const head: TableRow[] = [];
  for (let i = 0; i < 2; i += 1) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
  }
  async function* all() {
    yield* head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  reply.header('content-disposition', `attachment; filename="${basename}.${format}"`);
  if (format === 'xlsx') return reply.type(XLSX_CONTENT_TYPE).send(xlsxStream(basename, all()));
  return reply.type('text/csv; charset=utf-8').send(Readable.from((async function* () {
    yield EXCEL_BOM;
    yield* csvLines(all());
  })()));
}

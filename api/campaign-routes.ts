import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { z } from 'zod';
import { Readable } from 'node:stream';
import { abReport, campaignDeliveryTable } from '../db/campaign-report';
import { XLSX_CONTENT_TYPE, xlsxStream } from '../db/xlsx-export';
import { abResultOf, deliveryCounts, findCampaign } from '../db/campaigns';
import { VARIANT_KEYS, abTestSchema, campaignAudienceSchema, campaignButtonSchema, campaignContentSchema, type CampaignAudience, type CampaignContent } from '../domain/broadcasts/campaign';
import { bearerGuard } from './bearer-auth';
import { launchCampaign } from './campaign-launch';
import type { CampaignWorkflowsPort } from './campaign-workflows';
import { csvLines, EXCEL_BOM } from '../domain/csv';

export interface CampaignRoutesDeps {
  db: Knex;
  /** API_TOKEN; without it every campaign request is refused. */
  token: string | undefined;
  /** DASHBOARD_TOKEN: reads reports and exports, never launches, pauses, cancels or picks a winner. */
  readToken?: string;
  workflows: CampaignWorkflowsPort;
  logger: Logger;
  /** The clock a schedule must be after (tests pass the time-skipping server's). */
  now?: () => number;
}

/**
 * The campaign as JSON: `content: { items, buttons? }` (or, as before, `text` and URL `buttons`),
 * the audience filters, an optional `ab_test`, and `scheduled_at`.
 */
const campaignBody = z
  .object({
    name: z.string().trim().min(1, 'name is required').max(200, 'name is at most 200 characters'),
    content: campaignContentSchema.optional(),
    text: z.string().trim().min(1, 'text is required').max(4096, "text is at most 4096 characters (Telegram's limit)").optional(),
    buttons: z.array(z.array(campaignButtonSchema).min(1).max(8, 'at most 8 buttons a row')).max(10, 'at most 10 rows of buttons').optional(),
    segments: z.array(z.enum(['cold', 'warm', 'hot'], { error: 'segments are cold, warm or hot' })).optional(),
    sources: z.array(z.string().trim().min(1).max(64)).optional(),
    audience: campaignAudienceSchema.optional(),
    ab_test: abTestSchema.optional(),
    scheduled_at: z.iso.datetime({ offset: true, error: 'scheduled_at must be an ISO time with its offset, e.g. 2026-12-24T10:00:00+03:00' }).optional(),
  })
  .refine((b) => b.content || b.text || b.ab_test, { message: 'content (or text) is required', path: ['content'] });

function contentOf(body: z.infer<typeof campaignBody>): CampaignContent {
  if (body.content) return body.content;
  if (body.text) return { items: [{ kind: 'text', text: body.text }], ...(body.buttons ? { buttons: body.buttons } : {}) };
  return body.ab_test!.variants[0].content; // an A/B test's first variant stands for the campaign
}

function audienceOf(body: z.infer<typeof campaignBody>): CampaignAudience {
  const audience: CampaignAudience = { ...body.audience };
  if (body.segments?.length) audience.segments = body.segments;
  if (body.sources?.length) audience.sources = body.sources;
  return audience;
}

const idParams = z.object({ id: z.coerce.number({ error: 'campaign id must be a number' }).int().positive('campaign id must be a positive number') });
const commandParams = idParams.extend({ command: z.enum(['pause', 'resume', 'cancel', 'deliver-now'], { error: 'the command is pause, resume, cancel or deliver-now' }) });
const winnerBody = z.object({ variant: z.enum(VARIANT_KEYS, { error: 'variant is A, B or C' }) });

const reasons = (error: z.ZodError) => error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');

/**
 * `POST /campaigns` creates a broadcast and starts its workflow; `GET /campaigns/:id` reports its
 * deliveries by status; `POST /campaigns/:id/{pause,resume,cancel}`. For a bearer token equal to API_TOKEN;
 * DASHBOARD_TOKEN reads only.
 */
export async function campaignRoutes(app: FastifyInstance, deps: CampaignRoutesDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  bearerGuard(app, { full: deps.token, read: deps.readToken }, { what: 'campaign', disabledReason: 'campaigns are disabled: API_TOKEN is not set' });

  app.post('/campaigns', async (request, reply) => {
    const parsed = campaignBody.safeParse(request.body);
    if (!parsed.success) return reply.code(422).send({ error: reasons(parsed.error) });
    const body = parsed.data;
    const scheduledAt = body.scheduled_at ? new Date(body.scheduled_at) : null;
    if (scheduledAt && scheduledAt.getTime() <= now()) return reply.code(422).send({ error: 'scheduled_at must be in the future (leave it out to send now)' });
    const launch = await launchCampaign(deps, { name: body.name, createdBy: null, content: contentOf(body), audience: audienceOf(body), abTest: body.ab_test ?? null, scheduledAt });
    if (!launch.launched) return reply.code(503).send({ error: `the campaign could not be started: ${launch.reason}` });
    const campaign = launch.campaign;
    return reply.code(201).send({ id: campaign.id, status: campaign.status, scheduled_at: campaign.scheduled_at });
  });

  app.get('/campaigns/:id', async (request, reply) => {
    const parsed = idParams.safeParse(request.params);
    if (!parsed.success) return reply.code(422).send({ error: reasons(parsed.error) });
    const campaign = await findCampaign(deps.db, parsed.data.id);
    if (!campaign) return reply.code(404).send({ error: `no campaign with id ${parsed.data.id}` });
    return {
      id: campaign.id,
      name: campaign.name,
      status: campaign.status,
      scheduled_at: campaign.scheduled_at,
      audience: campaign.audience,
      deliveries: await deliveryCounts(deps.db, campaign.id),
      ...(campaign.ab_test ? { ab_test: await abReport(deps.db, campaign) } : {}),
    };
  });

  app.post('/campaigns/:id/pick-winner', async (request, reply) => {
    const params = idParams.safeParse(request.params);
    if (!params.success) return reply.code(422).send({ error: reasons(params.error) });
    const body = winnerBody.safeParse(request.body);
    if (!body.success) return reply.code(422).send({ error: reasons(body.error) });
    const campaign = await findCampaign(deps.db, params.data.id);
    if (!campaign) return reply.code(404).send({ error: `no campaign with id ${params.data.id}` });
    if (!campaign.ab_test?.variants.some((v) => v.key === body.data.variant)) return reply.code(422).send({ error: `campaign ${campaign.id} has no variant ${body.data.variant}` });
    const decided = await abResultOf(deps.db, campaign.id);
    if (decided?.winner) return reply.code(409).send({ error: `campaign ${campaign.id} already has its winner: ${decided.winner}` });
    if (!(await deps.workflows.pickWinner(campaign.id, body.data.variant))) return reply.code(409).send({ error: `campaign ${campaign.id} has already ended` });
    return reply.code(202).send({ id: campaign.id, winner: body.data.variant });
  });

  // One campaign's recipients as CSV (UTF-8 with BOM) or .xlsx (typed cells), the same columns.
  for (const format of ['csv', 'xlsx'] as const) {
    app.get(`/campaigns/:id/deliveries.${format}`, async (request, reply) => {
      const parsed = idParams.safeParse(request.params);
      if (!parsed.success) return reply.code(422).send({ error: reasons(parsed.error) });
      if (!(await findCampaign(deps.db, parsed.data.id))) return reply.code(404).send({ error: `no campaign with id ${parsed.data.id}` });
      reply.header('content-disposition', `attachment; filename="campaign-${parsed.data.id}-deliveries.${format}"`);
      const rows = campaignDeliveryTable(deps.db, parsed.data.id);
      if (format === 'xlsx') return reply.type(XLSX_CONTENT_TYPE).send(xlsxStream(`campaign-${parsed.data.id}`, rows));
      return reply.type('text/csv; charset=utf-8').send(Readable.from((async function* () {
        yield EXCEL_BOM;
        yield* csvLines(rows);
      })()));
    });
  }

  app.post('/campaigns/:id/:command', async (request, reply) => {
    const parsed = commandParams.safeParse(request.params);
    if (!parsed.success) return reply.code(422).send({ error: reasons(parsed.error) });
    const { id, command } = parsed.data;
    if (!(await findCampaign(deps.db, id))) return reply.code(404).send({ error: `no campaign with id ${id}` });
    if (!(await deps.workflows.command(id, command))) return reply.code(409).send({ error: `campaign ${id} has already ended` });
    return reply.code(202).send({ id, command });
  });
}

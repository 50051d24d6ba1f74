import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApi } from '../../api/app';
import { CampaignWorkflows } from '../../api/campaign-workflows';
import { createMetrics } from '../../api/metrics';
import { createCampaign } from '../../db/campaigns';
import { inPilot } from '../../domain/broadcasts/ab-test';
import { campaignMessages } from '../../domain/broadcasts/campaign-message';
import { campaignProgressQuery, campaignWorkflowId, type CampaignProgress } from '../../workflows/broadcast-campaign/contract';
import { seedLeads, uniqueSource } from '../support/campaigns';
import { useLeadHarness } from '../support/lead-harness';

const TOKEN = 'campaigns-test-token-0123456789';
const SECRET = 'click-signing-secret-for-tests';
const auth = { authorization: `Bearer ${TOKEN}` };
const h = useLeadHarness({ serverPerTest: true });
let app: FastifyInstance;

beforeEach(() => {
  const logger = pino({ level: 'silent' });
  app = buildApi({
    logger,
    health: { postgres: async () => {}, temporal: async () => {} },
    metrics: createMetrics(),
    campaigns: { db: h.db, token: TOKEN, logger, workflows: new CampaignWorkflows(h.env.client, h.taskQueue, { queue: h.taskQueue, batchSize: 50 }) },
    clicks: { db: h.db, secret: SECRET },
  });
});
afterEach(() => app.close());

const variant = (text: string) => ({ items: [{ kind: 'text', text }], buttons: [[{ text: 'Программа', url: 'https://school.example.com/program' }]] });

describe('A/B campaigns through the api', () => {
  it('creates a test from JSON, lets the editor pick the winner, reports it and exports every recipient as CSV', async () => {
    const source = uniqueSource();
    const leads = await seedLeads(h.db, source, 30);
    const worker = await h.worker({ clickTracking: { publicBaseUrl: 'https://bot.example.com', secret: SECRET } });
    const created = await app.inject({
      method: 'POST',
      url: '/campaigns',
      headers: auth,
      payload: {
        name: 'Тест заголовков',
        audience: { sources: [source] },
        ab_test: { variants: [{ key: 'A', weight: 1, content: variant('Первый') }, { key: 'B', weight: 1, content: variant('Второй') }], pilotShare: 50, metric: 'click_rate', windowHours: 24 },
      },
    });
    expect(created.statusCode).toBe(201);
    const { id } = created.json();
    const handle = h.env.client.workflow.getHandle(campaignWorkflowId(id));

    const outcome = (await worker.runUntil(async () => {
      for (let i = 0; (await handle.query(campaignProgressQuery)).phase !== 'observing'; i++) {
        if (i > 300) throw new Error('the pilot was never sent');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const wrong = await app.inject({ method: 'POST', url: `/campaigns/${id}/pick-winner`, headers: auth, payload: { variant: 'C' } });
      expect(wrong.statusCode).toBe(422);
      expect(wrong.json().error).toBe(`campaign ${id} has no variant C`);
      const picked = await app.inject({ method: 'POST', url: `/campaigns/${id}/pick-winner`, headers: auth, payload: { variant: 'B' } });
      expect(picked.statusCode).toBe(202);
      return handle.result();
    })) as CampaignProgress;
    expect(outcome).toMatchObject({ phase: 'completed', ab: { winner: 'B' }, counts: { sent: 30 } });
    const late = await app.inject({ method: 'POST', url: `/campaigns/${id}/pick-winner`, headers: auth, payload: { variant: 'A' } });
    expect(late.statusCode).toBe(409);
    expect(late.json().error).toBe(`campaign ${id} already has its winner: B`);

    // The tracked link in a lead's message counts the click and forwards to the program.
    const [message] = h.fake.callsTo('sendMessage', leads[0].telegramUserId);
    const link = String((message.params.reply_markup as { inline_keyboard: { url: string }[][] }).inline_keyboard[0][0].url);
    expect(link).toMatch(/^https:\/\/bot\.example\.com\/c\//);
    const opened = await app.inject({ method: 'GET', url: link.replace('https://bot.example.com', '') });
    expect(opened.statusCode).toBe(302);
    expect(opened.headers.location).toBe('https://school.example.com/program');

    const report = await app.inject({ method: 'GET', url: `/campaigns/${id}`, headers: auth });
    expect(report.json()).toMatchObject({ status: 'completed', deliveries: { sent: 30 }, ab_test: { metric: 'click_rate', pilot_share: 50, result: { winner: 'B', reason: 'выбран редактором' } } });
    expect(report.json().ab_test.pilot.reduce((sum: number, v: { delivered: number }) => sum + v.delivered, 0)).toBe(leads.filter((l) => inPilot(id, l.leadId, 50)).length);

    const csv = await app.inject({ method: 'GET', url: `/campaigns/${id}/deliveries.csv`, headers: auth });
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe('\uFEFFid,lead_id,telegram_user_id,username,variant,pilot,status,reason,sent_at,clicked_at,replied_at,converted_at,paid_at,unsubscribed_at');
    expect(lines).toHaveLength(31);
    const clickedLine = lines.find((line) => line.split(',')[1] === String(leads[0].leadId)) as string;
    expect(clickedLine.split(',')[9]).not.toBe('');
    expect(lines.slice(1).every((line) => /,(A|B),(true|false),sent,/.test(line))).toBe(true);
    expect((await app.inject({ method: 'GET', url: `/campaigns/${id}/deliveries.csv` })).statusCode).toBe(401);

    // The same recipients as .xlsx: the same header and rows, ids as numbers, times as dates.
    const xlsx = await app.inject({ method: 'GET', url: `/campaigns/${id}/deliveries.xlsx`, headers: auth });
    expect(xlsx.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(xlsx.headers['content-disposition']).toBe(`attachment; filename="campaign-${id}-deliveries.xlsx"`);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(new Uint8Array(xlsx.rawPayload).buffer);
    const sheet = workbook.worksheets[0];
    expect(sheet.rowCount).toBe(31);
    expect((sheet.getRow(1).values as unknown[]).slice(1).join(',')).toBe(lines[0].slice(1));
    const clicked = sheet.getRows(2, 30)?.find((row) => row.getCell(2).value === leads[0].leadId);
    expect(clicked?.getCell(10).value).toBeInstanceOf(Date);
    expect(typeof clicked?.getCell(1).value).toBe('number');
    expect((await app.inject({ method: 'GET', url: `/campaigns/${id}/deliveries.xlsx` })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: `/campaigns/${id}/deliveries.xlsx`, headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
  });
});

describe('tracked links', () => {
  async function delivery() {
    const [lead] = await seedLeads(h.db, uniqueSource(), 1);
    const campaign = await createCampaign(h.db, {
      name: 'Ссылки',
      createdBy: null,
      content: { items: [{ kind: 'text', text: 'Смотрите' }], buttons: [[{ text: 'Сайт', url: 'https://school.example.com/' }, { text: 'Записаться', action: 'command:consult' }]] },
      audience: {},
      scheduledAt: null,
    });
    const [row] = await h.db('campaign_deliveries').insert({ campaign_id: campaign.id, lead_id: lead.leadId, status: 'sent', sent_at: h.db.fn.now() }).returning('id');
    const deliveryId = Number(row.id);
    const [message] = campaignMessages(campaign.content, { deliveryId, publicBaseUrl: 'https://bot.example.com', secret: SECRET });
    const path = (message.buttons as { url?: string }[][])[0][0].url?.replace('https://bot.example.com', '') as string;
    return { deliveryId, path };
  }
  const clicks = async (deliveryId: number) => Number((await h.db('campaign_clicks').where({ delivery_id: deliveryId }).sum<{ total: string | null }[]>('clicks as total'))[0].total ?? 0);

  it('counts every click, marks the first, and forwards to the campaign\'s URL', async () => {
    const { deliveryId, path } = await delivery();
    for (let i = 0; i < 2; i++) {
      const response = await app.inject({ method: 'GET', url: path });
      expect(response.statusCode).toBe(302);
      expect(response.headers.location).toBe('https://school.example.com/');
    }
    expect(await clicks(deliveryId)).toBe(2);
    expect((await h.db('campaign_deliveries').where({ id: deliveryId }).first()).clicked_at).toBeInstanceOf(Date);
  });

  it('a forged, altered or malformed link is a 404 that forwards nowhere and counts nothing', async () => {
    const { deliveryId, path } = await delivery();
    const [, , click] = path.split('/');
    const [id, , signature] = click.split('.');
    for (const url of [`/c/${id}.0.AAAAAAAAAA`, `/c/${id}.1.${signature}`, `/c/${(deliveryId + 1).toString(36)}.0.${signature}`, '/c/%3Cscript%3E']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(404);
      expect(response.headers.location).toBeUndefined();
    }
    // Fastify refuses an absurdly long id before it reaches the route.
    expect((await app.inject({ method: 'GET', url: `/c/${'z'.repeat(500)}` })).statusCode).toBe(414);
    expect(await clicks(deliveryId)).toBe(0);
  });
});

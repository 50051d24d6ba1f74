import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApi } from '../../api/app';
import { CampaignWorkflows } from '../../api/campaign-workflows';
import { createMetrics } from '../../api/metrics';
import { campaignWorkflowId } from '../../workflows/broadcast-campaign/contract';
import { seedLeads, uniqueSource } from '../support/campaigns';
import { useLeadHarness } from '../support/lead-harness';

const TOKEN = 'campaigns-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const h = useLeadHarness({ serverPerTest: true });
let app: FastifyInstance;

// The test worker registers every activity on its one queue, send batches included.
beforeEach(() => {
  app = buildApi({
    logger: pino({ level: 'silent' }),
    health: { postgres: async () => {}, temporal: async () => {} },
    metrics: createMetrics(),
    campaigns: { db: h.db, token: TOKEN, logger: pino({ level: 'silent' }), workflows: new CampaignWorkflows(h.env.client, h.taskQueue, { queue: h.taskQueue, batchSize: 50 }) },
  });
});
afterEach(() => app.close());

const post = (url: string, payload?: unknown, headers: Record<string, string> = auth) => app.inject({ method: 'POST', url, payload: payload as object, headers });
const get = (url: string) => app.inject({ method: 'GET', url, headers: auth });

describe('campaigns api', () => {
  it('refuses a request without the bearer token', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token' }] as Record<string, string>[]) {
      const response = await post('/campaigns', { name: 'x', text: 'y' }, headers);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ error: 'a valid bearer token is required' });
    }
    expect((await app.inject({ method: 'GET', url: '/campaigns/1' })).statusCode).toBe(401);
  });

  it('answers 422 with the reasons for a body it cannot send, and creates nothing', async () => {
    const before = Number((await h.db('campaigns').count('* as n'))[0].n);
    const tooLong = await post('/campaigns', { name: '', text: 'x'.repeat(4097), buttons: [[{ text: 'Go', url: 'ftp://example.com' }]], segments: ['lukewarm'] });
    expect(tooLong.statusCode).toBe(422);
    const { error } = tooLong.json();
    expect(error).toContain('name: name is required');
    expect(error).toContain("text: text is at most 4096 characters (Telegram's limit)");
    expect(error).toContain('buttons.0.0.url: a button url must be an http(s) address');
    expect(error).toContain('segments.0: segments are cold, warm or hot');

    const past = await post('/campaigns', { name: 'Поток', text: 'Привет', scheduled_at: '2020-01-01T10:00:00+03:00' });
    expect(past.statusCode).toBe(422);
    expect(past.json().error).toBe('scheduled_at must be in the future (leave it out to send now)');
    const notIso = await post('/campaigns', { name: 'Поток', text: 'Привет', scheduled_at: 'tomorrow at ten' });
    expect(notIso.json().error).toMatch(/^scheduled_at: scheduled_at must be an ISO time with its offset/);
    expect((await get('/campaigns/abc')).statusCode).toBe(422);
    expect((await get('/campaigns/999999999')).statusCode).toBe(404);
    expect(Number((await h.db('campaigns').count('* as n'))[0].n)).toBe(before);
  });

  it('creates a campaign that sends now, and reports its deliveries', async () => {
    const source = uniqueSource();
    const leads = await seedLeads(h.db, source, 3);
    const [inDialog] = await seedLeads(h.db, source, 1, { mode: 'with_manager' });
    const worker = await h.worker({ leadWorkflows: h.env.client.workflow });
    const created = await worker.runUntil(async () => {
      const response = await post('/campaigns', { name: 'Вебинар', text: 'Завтра вебинар в 19:00', buttons: [[{ text: 'Записаться', url: 'https://school.example.com/webinar' }]], sources: [source] });
      expect(response.statusCode).toBe(201);
      await h.env.client.workflow.getHandle(campaignWorkflowId(response.json().id)).result();
      return response.json();
    });
    expect(created).toMatchObject({ status: 'scheduled', scheduled_at: null });
    for (const lead of leads) expect(h.fake.callsTo('sendMessage', lead.telegramUserId).map((c) => c.params.text)).toEqual(['Завтра вебинар в 19:00']);
    expect(h.fake.callsTo('sendMessage', inDialog.telegramUserId)).toHaveLength(0);
    const report = await get(`/campaigns/${created.id}`);
    expect(report.json()).toMatchObject({ id: created.id, name: 'Вебинар', status: 'completed', audience: { sources: [source] }, deliveries: { sent: 3, skipped: 1, queued: 0 } });
  });

  it('a scheduled campaign cancelled through the api sends nothing; a command for an ended one is 409', async () => {
    const source = uniqueSource();
    const [lead] = await seedLeads(h.db, source, 1);
    const worker = await h.worker();
    const scheduledAt = new Date((await h.env.currentTimeMs()) + 3 * 3_600_000).toISOString();
    const id = await worker.runUntil(async () => {
      const response = await post('/campaigns', { name: 'Позже', text: 'Позже', sources: [source], scheduled_at: scheduledAt });
      expect(response.statusCode).toBe(201);
      const campaignId: number = response.json().id;
      expect((await post(`/campaigns/${campaignId}/cancel`)).statusCode).toBe(202);
      await h.env.client.workflow.getHandle(campaignWorkflowId(campaignId)).result();
      return campaignId;
    });
    expect(h.fake.callsTo('sendMessage', lead.telegramUserId)).toHaveLength(0);
    expect((await get(`/campaigns/${id}`)).json()).toMatchObject({ status: 'cancelled' });
    expect((await post(`/campaigns/${id}/pause`)).statusCode).toBe(409);
    expect((await post(`/campaigns/${id}/explode`)).statusCode).toBe(422);
  });
});

import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiDeps } from '../../api/app';
import { CampaignWorkflows } from '../../api/campaign-workflows';
import type { HealthChecks } from '../../api/health-routes';
import { createMetrics } from '../../api/metrics';
import { PAYMENT_WEBHOOK_PATH, paymentSignature } from '../../api/payment-webhook-routes';
import { PaymentWorkflows } from '../../bot/payments/payment-workflows';
import { createCampaign } from '../../db/campaigns';
import { campaignMessages } from '../../domain/broadcasts/campaign-message';
import { createLogger } from '../../logging';
import { seedLeads, uniqueSource } from '../support/campaigns';
import { useLeadHarness } from '../support/lead-harness';
import { PaymentTestKit } from '../support/payments';

/** The api as an attacker meets it: forged webhooks, guessed tokens, click floods, a read-only token that tries to write. */
const API_TOKEN = 'api-token-for-the-http-edge-tests';
const DASHBOARD_TOKEN = 'dashboard-token-that-only-reads';
const METRICS_TOKEN = 'metrics-token-for-prometheus-1';
const PAYMENT_SECRET = 'payment-provider-secret-16+';
const CLICK_SECRET = 'click-signing-secret-for-tests';

const h = useLeadHarness();
let payments: PaymentTestKit;
let app: FastifyInstance;
let logged: string[];

const passing: HealthChecks = { postgres: async () => {}, temporal: async () => {} };

function api(overrides: Partial<ApiDeps> = {}): FastifyInstance {
  logged = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _encoding, done) {
        logged.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    }),
  });
  const workflows = new CampaignWorkflows(h.env.client, h.taskQueue, { queue: h.taskQueue, batchSize: 50 });
  app = buildApi({
    logger,
    health: passing,
    metrics: createMetrics(),
    analytics: { db: h.db, token: API_TOKEN, readToken: DASHBOARD_TOKEN, timeZone: 'Europe/Moscow' },
    campaigns: { db: h.db, token: API_TOKEN, readToken: DASHBOARD_TOKEN, logger, workflows },
    clicks: { db: h.db, secret: CLICK_SECRET },
    payments: { secret: PAYMENT_SECRET, db: h.db, logger, workflows: new PaymentWorkflows(h.env.client, 'http-edge-notices') },
    metricsToken: METRICS_TOKEN,
    ...overrides,
  });
  return app;
}

beforeAll(() => {
  payments = new PaymentTestKit(h);
});
afterEach(async () => {
  await app?.close();
});
afterAll(async () => {
  await payments.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const webhookRows = async () => Number((await h.db('payment_webhooks').count<{ n: string }[]>('* as n'))[0].n);

describe('the payment webhook', () => {
  it('stores nothing of a forged post, however many come', async () => {
    const server = api();
    const before = await webhookRows();
    const body = JSON.stringify({ order_id: 1, status: 'paid', amount: 290, currency: 'USD', junk: 'x'.repeat(4000) });
    for (let i = 0; i < 20; i++) {
      const response = await server.inject({
        method: 'POST',
        url: PAYMENT_WEBHOOK_PATH,
        payload: body,
        headers: { 'content-type': 'application/json', ...(i % 2 === 0 && { 'x-payment-signature': paymentSignature('guessed-secret', body) }) },
      });
      expect(response.statusCode).toBe(401);
    }
    expect(await webhookRows()).toBe(before);
  });

  it('answers 400 with the reason to a signed body holding a NUL character, as text or as \\u0000', async () => {
    const server = api();
    const lead = await payments.lead();
    const { orderId } = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'link' });
    for (const body of [
      `{"order_id":${orderId},"status":"failed","amount":290,"currency":"USD","reason":"card\u0000declined"}`,
      `{"order_id":${orderId},"status":"failed","amount":290,"currency":"USD","reason":"card\\u0000declined"}`,
    ]) {
      const response = await server.inject({
        method: 'POST',
        url: PAYMENT_WEBHOOK_PATH,
        payload: body,
        headers: { 'content-type': 'application/json', 'x-payment-signature': paymentSignature(PAYMENT_SECRET, body) },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatch(/NUL character/);
    }
    expect(await payments.orderRow(orderId)).toMatchObject({ status: 'created' });
  });
});

describe('/health and /metrics', () => {
  it('/health tells the public only the status; the reason goes to the log', async () => {
    const down: HealthChecks = { postgres: async () => Promise.reject(new Error('connect ECONNREFUSED 10.20.30.40:5432 for user "sales_owner"')), temporal: async () => {} };
    const response = await api({ health: down }).inject({ method: 'GET', url: '/health' });

    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'unavailable' });
    expect(logged.join('\n')).toContain('connect ECONNREFUSED 10.20.30.40:5432');
    await app.close();

    const up = await api().inject({ method: 'GET', url: '/health' });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toEqual({ status: 'ok' });
  });

  it('/metrics answers only to METRICS_TOKEN when one is set', async () => {
    const server = api();
    expect((await server.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await server.inject({ method: 'GET', url: '/metrics', headers: bearer(DASHBOARD_TOKEN) })).statusCode).toBe(401);
    const allowed = await server.inject({ method: 'GET', url: '/metrics', headers: bearer(METRICS_TOKEN) });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.body).toContain('# TYPE http_request_duration_seconds histogram');
  });
});

describe('guessed bearer tokens', () => {
  it('are refused with 401, then with 429 and retry-after; the right token still works', async () => {
    const server = api({ badTokenLimit: { max: 5, timeWindowMs: 60_000 } });
    for (let i = 0; i < 5; i++) {
      const response = await server.inject({ method: 'GET', url: '/analytics', headers: bearer(`guess-number-${i}-xxxxxxxx`) });
      expect(response.statusCode).toBe(401);
    }
    for (const url of ['/analytics', '/campaigns/1', '/metrics']) {
      const limited = await server.inject({ method: 'GET', url, headers: bearer('yet-another-guess-xxxxxx') });
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect((await server.inject({ method: 'GET', url: '/analytics', headers: bearer(API_TOKEN) })).statusCode).toBe(200);
  });

  async function guess(server: FastifyInstance, from: { remoteAddress: string; forwardedFor?: string }) {
    const headers = { ...bearer('a-guess-from-somewhere-xxxx'), ...(from.forwardedFor ? { 'x-forwarded-for': from.forwardedFor } : {}) };
    return (await server.inject({ method: 'GET', url: '/analytics', headers, remoteAddress: from.remoteAddress })).statusCode;
  }

  it('without TRUST_PROXY a client cannot dodge the limit by naming another address in X-Forwarded-For', async () => {
    const server = api({ badTokenLimit: { max: 2, timeWindowMs: 60_000 } });
    expect(await guess(server, { remoteAddress: '203.0.113.7', forwardedFor: '198.51.100.1' })).toBe(401);
    expect(await guess(server, { remoteAddress: '203.0.113.7', forwardedFor: '198.51.100.2' })).toBe(401);
    expect(await guess(server, { remoteAddress: '203.0.113.7', forwardedFor: '198.51.100.3' })).toBe(429);
  });

  it('behind a trusted proxy each client has its own limit, and a client the proxy does not vouch for has the proxy\'s', async () => {
    const server = api({ badTokenLimit: { max: 2, timeWindowMs: 60_000 }, trustProxy: ['10.0.0.0/8'] });
    const viaProxy = (client: string) => ({ remoteAddress: '10.1.2.3', forwardedFor: client });
    expect(await guess(server, viaProxy('198.51.100.1'))).toBe(401);
    expect(await guess(server, viaProxy('198.51.100.1'))).toBe(401);
    expect(await guess(server, viaProxy('198.51.100.1'))).toBe(429);
    // Another client behind the same proxy is not punished for the first one's guesses.
    expect(await guess(server, viaProxy('198.51.100.2'))).toBe(401);
    // A connection from outside the trusted range is its own client, whatever X-Forwarded-For it sends.
    expect(await guess(server, { remoteAddress: '203.0.113.9', forwardedFor: '198.51.100.2' })).toBe(401);
    expect(await guess(server, { remoteAddress: '203.0.113.9', forwardedFor: '198.51.100.5' })).toBe(401);
    expect(await guess(server, { remoteAddress: '203.0.113.9', forwardedFor: '198.51.100.6' })).toBe(429);
  });

  it('TRUST_PROXY as a number of hops takes the client from X-Forwarded-For', async () => {
    const server = api({ badTokenLimit: { max: 1, timeWindowMs: 60_000 }, trustProxy: 1 });
    expect(await guess(server, { remoteAddress: '10.1.2.3', forwardedFor: '198.51.100.1' })).toBe(401);
    expect(await guess(server, { remoteAddress: '10.1.2.3', forwardedFor: '198.51.100.1' })).toBe(429);
    expect(await guess(server, { remoteAddress: '10.1.2.3', forwardedFor: '198.51.100.2' })).toBe(401);
  });
});

describe('tracked links', () => {
  async function sentDelivery() {
    const [lead] = await seedLeads(h.db, uniqueSource(), 1);
    const campaign = await createCampaign(h.db, {
      name: 'Ссылки',
      createdBy: null,
      content: { items: [{ kind: 'text', text: 'Смотрите' }], buttons: [[{ text: 'Сайт', url: 'https://school.example.com/' }, { text: 'Цены', url: 'https://school.example.com/prices' }]] },
      audience: {},
      scheduledAt: null,
    });
    const [row] = await h.db('campaign_deliveries').insert({ campaign_id: campaign.id, lead_id: lead.leadId, status: 'sent', sent_at: h.db.fn.now() }).returning('id');
    const deliveryId = Number(row.id);
    const [message] = campaignMessages(campaign.content, { deliveryId, publicBaseUrl: 'https://bot.example.com', secret: CLICK_SECRET });
    const paths = (message.buttons as { url?: string }[][])[0].map((button) => (button.url as string).replace('https://bot.example.com', ''));
    return { deliveryId, campaignId: campaign.id, paths };
  }

  it('a flood of clicks keeps one row per delivery and button, with the first click and the total', async () => {
    const server = api();
    const { deliveryId, campaignId, paths } = await sentDelivery();
    for (let i = 0; i < 150; i++) expect((await server.inject({ method: 'GET', url: paths[0] })).statusCode).toBe(302);
    expect((await server.inject({ method: 'GET', url: paths[1] })).statusCode).toBe(302);

    const rows = await h.db('campaign_clicks').where({ delivery_id: deliveryId }).orderBy('button');
    expect(rows.map((r: { button: number; clicks: number }) => [r.button, r.clicks])).toEqual([[0, 150], [1, 1]]);
    expect(rows[0].first_clicked_at).toBeInstanceOf(Date);
    const report = await server.inject({ method: 'GET', url: `/campaigns/${campaignId}`, headers: bearer(DASHBOARD_TOKEN) });
    expect(report.statusCode).toBe(200);
    expect((await h.db('campaign_deliveries').where({ id: deliveryId }).first()).clicked_at).toBeInstanceOf(Date);
  });
});

describe('the dashboard token', () => {
  it('reads figures and reports but cannot launch, pause or cancel a campaign', async () => {
    const server = api();
    const campaigns = Number((await h.db('campaigns').count('* as n'))[0].n);
    expect((await server.inject({ method: 'GET', url: '/analytics', headers: bearer(DASHBOARD_TOKEN) })).statusCode).toBe(200);
    expect((await server.inject({ method: 'GET', url: '/analytics/export/leads.csv', headers: bearer(DASHBOARD_TOKEN) })).statusCode).toBe(200);
    // The .xlsx siblings are reads too.
    const xlsx = await server.inject({ method: 'GET', url: '/analytics/export/leads.xlsx', headers: bearer(DASHBOARD_TOKEN) });
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');

    const launch = await server.inject({ method: 'POST', url: '/campaigns', payload: { name: 'Спам', text: 'Купите' }, headers: bearer(DASHBOARD_TOKEN) });
    expect(launch.statusCode).toBe(403);
    expect(launch.json()).toEqual({ error: 'this token can only read' });
    for (const action of ['pause', 'resume', 'cancel']) {
      expect((await server.inject({ method: 'POST', url: `/campaigns/1/${action}`, headers: bearer(DASHBOARD_TOKEN) })).statusCode).toBe(403);
    }
    expect(Number((await h.db('campaigns').count('* as n'))[0].n)).toBe(campaigns);
  });
});

import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApi } from '../../api/app';
import type { HealthChecks } from '../../api/health-routes';
import { createMetrics } from '../../api/metrics';
import { TELEGRAM_WEBHOOK_PATH } from '../../api/telegram-webhook-routes';
import { createBot } from '../../bot/bot';
import { eventually } from '../support/eventually';
import { UpdateNotDeliveredError } from '../../bot/leads/lead-conversations';
import type { InboundEvent } from '../../domain/inbound-event';
import { FakeTelegramServer } from '../fakes/telegram-server';
import { uniqueUserId } from '../support/db';
import { textUpdate, type TestUser } from '../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
const SECRET = 'sekret';
const SECRET_HEADER = 'x-telegram-bot-api-secret-token';
const logger = pino({ level: 'silent' });

const passing: HealthChecks = { postgres: async () => {}, temporal: async () => {} };

let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

function api(health: HealthChecks = passing, webhook?: Parameters<typeof buildApi>[0]['webhook']) {
  app = buildApi({ logger, health, metrics: createMetrics(), webhook });
  return app;
}

describe('buildApi', () => {
  describe('/health', () => {
    it('answers 200 when Postgres and Temporal both answer', async () => {
      const response = await api().inject({ method: 'GET', url: '/health' });

      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'ok' });
    });

    it('answers 503 with the status only (what is down and why goes to the log)', async () => {
      const health: HealthChecks = { ...passing, postgres: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432\nstack...')) };

      const response = await api(health).inject({ method: 'GET', url: '/health' });

      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ status: 'unavailable' });
    });

    it('answers 503 at its deadline when a check never answers, instead of hanging', async () => {
      // The deadline is 3 s in production; a short one here, and no wall-clock bound to miss on a busy machine:
      // without a deadline this request would never be answered.
      const health: HealthChecks = { ...passing, temporal: () => new Promise<void>(() => {}), timeoutMs: 50 };

      const response = await api(health).inject({ method: 'GET', url: '/health' });

      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ status: 'unavailable' });
    });
  });

  describe('/metrics', () => {
    it('serves Prometheus text with the request duration histogram of requests already served', async () => {
      const server = api();
      await server.inject({ method: 'GET', url: '/health' });

      const response = await server.inject({ method: 'GET', url: '/metrics' });

      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      expect(response.body).toContain('# TYPE http_request_duration_seconds histogram');
      expect(response.body).toContain('http_request_duration_seconds_count{method="GET",route="/health",status="200"} 1');
    });
  });

  describe('Telegram webhook', () => {
    let fake: FakeTelegramServer;

    beforeAll(async () => {
      fake = await FakeTelegramServer.start({ token: TOKEN });
    });

    afterAll(async () => {
      await fake?.stop();
    });

    async function webhookApi(deliver: (event: InboundEvent) => Promise<void>) {
      const bot = createBot({ token: TOKEN, apiRoot: fake.apiRoot, conversations: { deliver }, logger });
      await bot.init();
      return api(passing, { bot, secretToken: SECRET });
    }

    const lead = (): TestUser => ({ id: uniqueUserId(), first_name: 'Anna' });
    const post = (server: FastifyInstance, body: unknown, headers: Record<string, string> = {}) =>
      server.inject({ method: 'POST', url: TELEGRAM_WEBHOOK_PATH, payload: body as object, headers });

    it('refuses an update without the secret token header with 401 and delivers nothing', async () => {
      const delivered: InboundEvent[] = [];
      const server = await webhookApi(async (event) => {
        delivered.push(event);
      });

      const response = await post(server, textUpdate(lead(), 'forged'));

      expect(response.statusCode).toBe(401);
      expect(delivered).toEqual([]);
    });

    it('refuses an update with a wrong secret token with 401 and delivers nothing', async () => {
      const delivered: InboundEvent[] = [];
      const server = await webhookApi(async (event) => {
        delivered.push(event);
      });

      const response = await post(server, textUpdate(lead(), 'forged'), { [SECRET_HEADER]: 'sekreT' });

      expect(response.statusCode).toBe(401);
      expect(delivered).toEqual([]);
    });

    it('delivers an update with the right secret token and answers 200', async () => {
      const delivered: InboundEvent[] = [];
      const server = await webhookApi(async (event) => {
        delivered.push(event);
      });
      const user = lead();
      const update = textUpdate(user, 'Hello, I want to enrol');

      const response = await post(server, update, { [SECRET_HEADER]: SECRET });

      expect(response.statusCode).toBe(200);
      expect(delivered).toEqual([
        expect.objectContaining({ kind: 'text', updateId: update.update_id, chatId: user.id, text: 'Hello, I want to enrol', from: expect.objectContaining({ id: user.id }) }),
      ]);
    });

    it('answers an error when an update takes too long, and its later failure never goes unhandled (it ended the api: fault suite)', async () => {
      const unhandled: unknown[] = [];
      const record = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', record);
      let failedLate = false;
      const bot = createBot({
        token: TOKEN,
        apiRoot: fake.apiRoot,
        conversations: {
          deliver: async (event) => {
            await new Promise((resolve) => setTimeout(resolve, 300));
            failedLate = true;
            throw new UpdateNotDeliveredError(event.updateId, `lead-${event.from.id}`, new Error('temporal unavailable'));
          },
        },
        logger,
      });
      await bot.init();
      const server = api(passing, { bot, secretToken: SECRET, timeoutMs: 100 });

      const response = await post(server, textUpdate(lead(), 'Hello?'), { [SECRET_HEADER]: SECRET });

      expect(response.statusCode).toBe(500);
      await eventually('the update failed after its answer', () => Promise.resolve(failedLate));
      await new Promise((resolve) => setImmediate(resolve));
      process.off('unhandledRejection', record);
      expect(unhandled).toEqual([]);
    });

    it('answers 500 when Temporal did not take the update, so Telegram delivers it again', async () => {
      const server = await webhookApi(async (event) => {
        throw new UpdateNotDeliveredError(event.updateId, `lead-${event.from.id}`, new Error('temporal unavailable'));
      });

      const response = await post(server, textUpdate(lead(), 'Hello?'), { [SECRET_HEADER]: SECRET });

      expect(response.statusCode).toBe(500);
      // The central error handler never leaks the cause to the caller.
      expect(response.json()).toEqual({ error: 'internal error' });
    });
  });
});

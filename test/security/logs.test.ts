import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { Api } from 'grammy';
import type { Update } from 'grammy/types';
import { buildApi } from '../../api/app';
import { createMetrics } from '../../api/metrics';
import { TELEGRAM_WEBHOOK_PATH } from '../../api/telegram-webhook-routes';
import { createBot } from '../../bot/bot';
import { createLogger } from '../../logging';
import { FakeTelegramServer } from '../fakes/telegram-server';
import { uniqueUserId } from '../support/db';

/**
 * A handler fails while a lead shares their phone. grammY's BotError carries the context (the
 * api with the token, the whole update with the phone) and the failed call's error names the URL
 * with the token: the log line must keep the error's message and stack and lose all of those.
 */
const TOKEN = '123456:TEST-token-for-the-fake-server';
const TOKEN_SECRET_PART = TOKEN.split(':')[1];
const SECRET = 'webhook-secret-for-tests';
const PHONE = '+79991234567';
const EMAIL = 'anna.lead@example.com';

let fake: FakeTelegramServer;
let unreachableRoot: string;

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  // A port nobody listens on: a Telegram call there fails the way a network failure does.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  unreachableRoot = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await fake?.stop();
});

function capturedLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

function contactMessage(userId: number) {
  return {
    message_id: 7,
    date: Math.floor(Date.now() / 1000),
    chat: { id: userId, type: 'private' as const, first_name: 'Anna' },
    from: { id: userId, is_bot: false, first_name: 'Anna' },
    contact: { phone_number: PHONE, first_name: 'Anna', user_id: userId },
    caption: `write to ${EMAIL}`,
  };
}

/** The handler forwards the lead's contact to the managers through Telegram, which cannot be reached. */
const failingDelivery = () => async () => {
  await new Api(TOKEN, { apiRoot: unreachableRoot }).sendMessage(-100123, `New contact: ${PHONE}, ${EMAIL}`);
};

function expectCleanErrorLine(lines: string[]) {
  const all = lines.join('\n');
  expect(all).not.toContain(TOKEN_SECRET_PART);
  expect(all).not.toContain(PHONE.slice(1));
  expect(all).not.toContain(EMAIL);
  const failure = lines.map((line) => JSON.parse(line)).find((entry) => entry.level >= 50);
  expect(failure).toBeDefined();
  expect(JSON.stringify(failure.err)).toContain("Network request for 'sendMessage' failed!");
  expect(failure.err.stack).toMatch(/\n\s+at /);
}

describe('logs of a failed update', () => {
  it('webhook mode: the log holds the error and its stack, neither the token nor the phone', async () => {
    const { lines, logger } = capturedLogger();
    const bot = createBot({ token: TOKEN, apiRoot: fake.apiRoot, conversations: { deliver: failingDelivery() }, logger });
    await bot.init();
    const app = buildApi({ logger, health: { postgres: async () => {}, temporal: async () => {} }, metrics: createMetrics(), webhook: { bot, secretToken: SECRET } });
    try {
      const userId = uniqueUserId();
      const response = await app.inject({
        method: 'POST',
        url: TELEGRAM_WEBHOOK_PATH,
        headers: { 'x-telegram-bot-api-secret-token': SECRET },
        payload: { update_id: 900_001, message: contactMessage(userId) },
      });

      expect(response.statusCode).toBe(500);
      expect(response.body).not.toContain(PHONE);
      expectCleanErrorLine(lines);
    } finally {
      await app.close();
    }
  });

  it('polling mode: the log holds the error and its stack, neither the token nor the phone', async () => {
    const { lines, logger } = capturedLogger();
    const bot = createBot({ token: TOKEN, apiRoot: fake.apiRoot, conversations: { deliver: failingDelivery() }, logger });
    await bot.init();
    const polling = bot.start({ drop_pending_updates: false });
    try {
      fake.pushUpdate({ message: contactMessage(uniqueUserId()) } as unknown as Omit<Update, 'update_id'>);
      await fake.waitFor(() => lines.some((line) => line.includes('update handling failed')), 30_000);
      expectCleanErrorLine(lines);
    } finally {
      await bot.stop();
      await polling;
    }
  });
});

describe('what any log line may carry', () => {
  it('redacts tokens, secrets, phones and e-mails at any depth, and never prints an api client or a raw update', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination, secrets: ['configured-api-token-value', 'short'] });
    const deep = { a: { b: { c: { d: { headers: { authorization: 'Bearer abcdefghijkl' }, lead: { phone_number: '89991234567', contactEmail: 'x@y.io' } } } } } };

    logger.child({ apiToken: 'configured-api-token-value' }).warn(
      { deep, api: new Api(TOKEN), update: { update_id: 5, message: contactMessage(42) }, note: `call 8 (999) 123-45-67 or ${EMAIL}, key configured-api-token-value` },
      `failed at https://api.telegram.org/bot${TOKEN}/getMe`,
    );

    const line = lines.join('');
    for (const leaked of [TOKEN_SECRET_PART, 'configured-api-token-value', 'abcdefghijkl', '89991234567', '999) 123-45-67', 'x@y.io', EMAIL, PHONE.slice(1)]) {
      expect(line).not.toContain(leaked);
    }
    const entry = JSON.parse(line);
    expect(entry.api).toBe('[telegram client]');
    expect(entry.update).toEqual({ updateId: 5, updateType: 'message' });
    expect(entry.deep.a.b.c.d.headers.authorization).toBe('[redacted]');
    expect(entry.msg).toBe('failed at https://api.telegram.org/bot[token]/getMe');
  });
});

import pino from 'pino';
import { createBot } from '../../bot/bot';
import { startLongPolling, type LongPolling } from '../../bot/long-polling';
import { createDb, type Db } from '../../db/knex';
import type { InboundEvent } from '../../domain/inbound-event';
import { FakeTelegramServer } from '../fakes/telegram-server';
import { uniqueUserId } from '../support/db';
import { TEST_DATABASE_URL } from '../support/paths';
import { PostgresProxy } from '../support/postgres-proxy';

/** Found by the fault suite's Postgres outage (scenario 4): updates polled meanwhile were confirmed unhandled. */
const TOKEN = '123456:TEST-token-for-the-fake-server';
const silent = pino({ level: 'silent' });
let fake: FakeTelegramServer;
let proxy: PostgresProxy;
let db: Db;
let polling: LongPolling | undefined;

beforeAll(async () => {
  [fake, proxy] = await Promise.all([FakeTelegramServer.start({ token: TOKEN }), PostgresProxy.start(TEST_DATABASE_URL)]);
  db = createDb(proxy.urlFor(TEST_DATABASE_URL));
});
afterAll(async () => {
  await polling?.stop();
  await Promise.all([fake?.stop(), db?.destroy()]);
  await proxy?.stop();
});

it("a lead's message polled while Postgres is unreachable is kept, and reaches the conversation once Postgres is back", async () => {
  const delivered: InboundEvent[] = [];
  const bot = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    logger: silent,
    conversations: { deliver: async (event) => void delivered.push(event) },
    staff: { db, owners: [], logger: silent },
    antiSpam: { db, owners: [], logger: silent, timeZone: 'Europe/Moscow' },
  });
  await bot.init();
  polling = startLongPolling(bot, { allowedUpdates: ['message', 'callback_query'], logger: silent, timeoutSeconds: 1 });

  proxy.cut();
  const lead = { id: uniqueUserId(), first_name: 'Лид' };
  fake.pushText(lead, 'сколько стоит курс?');
  await proxy.untilRefused(2); // the anti-spam tried Postgres, and tried again
  expect(delivered).toEqual([]);
  proxy.restore();
  await fake.waitFor(() => delivered.length === 1, 30_000);
  expect(delivered[0]).toMatchObject({ kind: 'text', text: 'сколько стоит курс?' });
});

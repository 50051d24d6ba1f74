import type { Update } from 'grammy/types';
import pino from 'pino';
import { createBot } from '../../bot/bot';
import type { Db } from '../../db/knex';
import type { InboundEvent } from '../../domain/inbound-event';
import { FakeTelegramServer } from '../fakes/telegram-server';
import { testDb, uniqueUserId } from '../support/db';
import { textUpdate } from '../support/updates';

/** Updates the fault suite's fuzzing found crashing the bot's first features (anti-spam above all). */
const TOKEN = '123456:TEST-token-for-the-fake-server';
const silent = pino({ level: 'silent' });
let fake: FakeTelegramServer;
let db: Db;
let delivered: InboundEvent[];

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  db = testDb();
});
afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});
beforeEach(() => {
  delivered = [];
});

async function handle(update: unknown): Promise<void> {
  const bot = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    logger: silent,
    conversations: { deliver: async (event) => void delivered.push(event) },
    staff: { db, owners: [], logger: silent },
    antiSpam: { db, owners: [], logger: silent, timeZone: 'Europe/Moscow' },
  });
  await bot.init();
  await bot.handleUpdate(update as Update);
}

const lead = () => ({ id: uniqueUserId(), first_name: 'Лид' });

describe('malformed updates (a forged webhook post, a broken proxy)', () => {
  it('are refused before any feature: no sender, a text that is not a string, a chat without an id, no known kind', async () => {
    const who = lead();
    const base = textUpdate(who, 'привет');
    const { from: _from, ...withoutSender } = base.message;
    await expect(handle({ ...base, message: withoutSender })).resolves.toBeUndefined();
    await expect(handle({ ...base, message: { ...base.message, text: 42 } })).resolves.toBeUndefined();
    await expect(handle({ ...base, message: { ...base.message, chat: { type: 'private' } } })).resolves.toBeUndefined();
    await expect(handle({ update_id: base.update_id, fuzz_kind: { from: who } })).resolves.toBeUndefined();
    await expect(handle({ update_id: base.update_id, callback_query: { id: 'x', data: 'b:bonus' } })).resolves.toBeUndefined();
    expect(delivered).toEqual([]);
    expect(await db('spam_guard').where({ telegram_user_id: who.id }).first()).toBeUndefined();
  });

  it('a text with NUL and a lone surrogate reaches the lead as text Postgres can store', async () => {
    const who = lead();
    await handle(textUpdate(who, 'при\u0000вет \uD800!'));
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ kind: 'text', text: 'привет \uFFFD!' });
    // The anti-spam window keeps the text's fingerprint in jsonb: stored, not refused by Postgres.
    const row = await db('spam_guard').where({ telegram_user_id: who.id }).first();
    expect(JSON.stringify(row.recent)).toContain('привет');
  });
});

import type { Update } from 'grammy/types';
import pino from 'pino';
import { createBot } from '../../bot/bot';
import type { Db } from '../../db/knex';
import type { InboundEvent } from '../../domain/inbound-event';
import { FakeTelegramServer } from '../fakes/telegram-server';
import { testDb, uniqueUserId } from '../support/db';
import { textUpdate } from '../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
let fake: FakeTelegramServer;
let db: Db;
const delivered: InboundEvent[] = [];

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  db = testDb();
});
afterAll(async () => {
  await fake.stop();
  await db.destroy();
});

async function handle(update: unknown): Promise<void> {
  const logger = pino({ level: 'silent' });
  const bot = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    logger,
    conversations: { deliver: async (event) => void delivered.push(event) },
    whoami: { db, logger },
  });
  await bot.init();
  await bot.handleUpdate(update as Update);
}

const whoamiEvents = (userId: number) => db('events').where({ type: 'whoami' }).whereRaw("payload->>'userId' = ?", [String(userId)]);

describe('/whoami', () => {
  it('tells a person in a private chat their user id and the chat id, records it, and starts no conversation', async () => {
    const user = { id: uniqueUserId(), first_name: 'Olga', language_code: 'en' };
    await handle(textUpdate(user, '/whoami'));

    const [answer] = fake.callsTo('sendMessage', user.id);
    expect(String(answer.params.text)).toContain(`Your user id: ${user.id}`);
    expect(String(answer.params.text)).toContain(`This chat's id: ${user.id}`);
    expect(String(answer.params.text)).toContain('ADMIN_TELEGRAM_IDS');
    expect(delivered.filter((e) => e.from.id === user.id)).toEqual([]);
    const rows = await whoamiEvents(user.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ lead_id: null, payload: { userId: user.id, chatId: user.id, chatType: 'private' } });
    expect(await db('leads').where({ telegram_user_id: user.id }).first()).toBeUndefined();
  });

  it("answers in a group with the group's id (what MANAGERS_CHAT_ID takes), in Russian by default", async () => {
    const user = { id: uniqueUserId(), first_name: 'Анна' };
    const groupId = -1_000_000_000_000 - uniqueUserId();
    const update = textUpdate(user, '/whoami@test_bot');
    const message = { ...update.message, chat: { id: groupId, type: 'supergroup', title: 'Managers' } };
    await handle({ update_id: update.update_id, message });

    const [answer] = fake.callsTo('sendMessage', groupId);
    expect(String(answer.params.text)).toContain(`Ваш user id: ${user.id}`);
    expect(String(answer.params.text)).toContain(`Id этого чата: ${groupId}`);
    expect(String(answer.params.text)).toContain('MANAGERS_CHAT_ID');
    expect(await whoamiEvents(user.id)).toHaveLength(1);
  });
});

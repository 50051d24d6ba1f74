import type { Update } from 'grammy/types';
import pino from 'pino';
import { createLeadProfileActivities } from '../../../activities/lead-profile';
import { createBot } from '../../../bot/bot';
import type { Db } from '../../../db/knex';
import { upsertLead } from '../../../db/leads';
import { setStaffRole } from '../../../db/staff';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { testDb, uniqueUserId } from '../../support/db';
import { textUpdate } from '../../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
const silent = pino({ level: 'silent' });
let fake: FakeTelegramServer;
let db: Db;
const owner = uniqueUserId();
const manager = uniqueUserId();

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  db = testDb();
  await setStaffRole(db, manager, 'manager', owner);
});
afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});

/** `/lead <id>` from a manager, through the bot and the fake Telegram; the card's text. */
async function cardOf(telegramUserId: number): Promise<string> {
  const bot = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    logger: silent,
    conversations: { deliver: async () => undefined },
    leadCard: { db, owners: [owner], logger: silent, timeZone: 'Europe/Moscow' },
  });
  await bot.init();
  const before = fake.callsTo('sendMessage', manager).length;
  await bot.handleUpdate(textUpdate({ id: manager, first_name: 'Staff' }, `/lead ${telegramUserId}`) as unknown as Update);
  return fake
    .callsTo('sendMessage', manager)
    .slice(before)
    .map((c) => String(c.params.text))
    .join('\n');
}

async function newLead(survey?: 'cold' | 'warm' | 'hot'): Promise<{ id: number; telegramUserId: number }> {
  const telegramUserId = uniqueUserId();
  const lead = await upsertLead(db, { id: telegramUserId, firstName: 'Вера', languageCode: 'ru' }, telegramUserId);
  if (survey) await db('leads').where({ id: lead.id }).update({ segment: survey, segment_source: 'survey', score: 3 });
  return { id: lead.id, telegramUserId };
}

describe('/lead shows what the bot learned', () => {
  it('readiness, the inferred segment and the facts with when they were learned', async () => {
    const lead = await newLead();
    await createLeadProfileActivities({ db, logger: silent }).saveLeadProfile({
      leadId: lead.id,
      turnKey: `card-${lead.id}`,
      facts: { budget: 'до 30 000 ₽', goal: 'разобраться в крипте', experience: 'нет' },
      readiness: 45,
    });
    const card = await cardOf(lead.telegramUserId);
    expect(card).toContain('Сегмент: warm');
    expect(card).toMatch(/🧠 Что бот узнал:\nГотовность к покупке: 45\/100\nСегмент \(предположен ботом, опрос не пройден\): warm\nЦель: разобраться в крипте \(\d\d\.\d\d\.\d\d, \d\d:\d\d\)\nОпыт: нет .*\nБюджет: до 30 000 ₽ /);
  });

  it("a surveyed lead keeps the survey's segment; a lead the model taught nothing has no such section", async () => {
    const surveyed = await newLead('cold');
    await createLeadProfileActivities({ db, logger: silent }).saveLeadProfile({ leadId: surveyed.id, turnKey: `card-${surveyed.id}`, facts: {}, readiness: 95 });
    const card = await cardOf(surveyed.telegramUserId);
    expect(card).toContain('Сегмент: cold');
    expect(card).toContain('Готовность к покупке: 95/100');
    expect(card).not.toContain('предположен');

    expect(await cardOf((await newLead()).telegramUserId)).not.toContain('🧠');
  });
});

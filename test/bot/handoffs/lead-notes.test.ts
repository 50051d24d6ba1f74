import type { Update } from 'grammy/types';
import pino from 'pino';
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
const manager = { id: uniqueUserId(), first_name: 'Олег', username: 'oleg_sales' };
const editor = { id: uniqueUserId(), first_name: 'Ира' };

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  db = testDb();
  await setStaffRole(db, manager.id, 'manager', owner);
  await setStaffRole(db, editor.id, 'editor', owner);
});
afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});

/** Sends `text` from `from` in their private chat; returns what the bot answered them, and the last answer's buttons. */
async function ask(from: { id: number; first_name: string; username?: string }, text: string, updateId?: number) {
  const bot = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    logger: silent,
    conversations: { deliver: async () => undefined },
    staff: { db, owners: [owner], logger: silent },
    leadCard: { db, owners: [owner], logger: silent, timeZone: 'Europe/Moscow' },
  });
  await bot.init();
  const before = fake.callsTo('sendMessage', from.id).length;
  await bot.handleUpdate(textUpdate(from, text, updateId) as unknown as Update);
  const calls = fake.callsTo('sendMessage', from.id).slice(before);
  return { text: calls.map((c) => String(c.params.text)).join('\n'), markup: calls.at(-1)?.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] } | undefined };
}

async function newLead() {
  const id = uniqueUserId();
  return upsertLead(db, { id, firstName: 'Анна', username: `anna_${id}`, languageCode: 'ru' }, id, {});
}

describe('/note: lead notes on the card', () => {
  it('a manager notes a lead by number or @username; the card shows the notes with author and time, newest first; a redelivered /note adds nothing', async () => {
    const lead = await newLead();
    expect((await ask(manager, `/note #${lead.id} Просил перезвонить после 18:00`)).text).toBe(`📝 Заметка добавлена к лиду #${lead.id}. Она видна в карточке (/lead).`);
    const updateId = uniqueUserId();
    await ask(editor, `/note @${lead.username} Интересуется рассрочкой`, updateId);
    await ask(editor, `/note @${lead.username} Интересуется рассрочкой`, updateId);
    expect(await db('lead_notes').where({ lead_id: lead.id }).count({ n: '*' }).first()).toEqual({ n: 2 });

    const card = await ask(manager, `/lead ${lead.telegram_user_id}`);
    expect(card.text).toMatch(/📝 Заметки менеджеров:\n\d\d\.\d\d\.\d\d, \d\d:\d\d Ира: Интересуется рассрочкой\n\d\d\.\d\d\.\d\d, \d\d:\d\d @oleg_sales: Просил перезвонить после 18:00/);
    // The card's buttons: Take dialog, Write, Open dialog (bot/handoffs/lead-desk.ts).
    expect(card.markup?.inline_keyboard.flat().map((b) => b.callback_data)).toEqual([`ld:${lead.id}.take`, `ld:${lead.id}.write`, `ld:${lead.id}.open`]);
  });

  it('usage and unknown leads are explained; a lead or anyone without a role is refused and recorded, nothing is written', async () => {
    const lead = await newLead();
    expect((await ask(manager, '/note')).text).toContain('Как оставить заметку');
    expect((await ask(manager, `/note #${lead.id}`)).text).toContain('Как оставить заметку');
    expect((await ask(manager, '/note #999999999 текст')).text).toBe('Лид #999999999 не найден.');
    const stranger = { id: Number(lead.telegram_user_id), first_name: 'Анна' };
    expect((await ask(stranger, `/note #${lead.id} я сам себе менеджер`)).text).toContain('⛔');
    expect(await db('lead_notes').where({ lead_id: lead.id }).first()).toBeUndefined();
    const audit = await db('staff_audit').where({ actor_telegram_id: stranger.id, command: 'note' }).first('allowed', 'reason');
    expect(audit).toEqual({ allowed: false, reason: 'not staff' });
  });
});

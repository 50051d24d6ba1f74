import type { Update } from 'grammy/types';
import pino from 'pino';
import { createBot } from '../../../bot/bot';
import type { Db } from '../../../db/knex';
import { setStaffRole } from '../../../db/staff';
import { templateOverride } from '../../../db/templates';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { testDb, uniqueUserId } from '../../support/db';
import { textUpdate } from '../../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
let fake: FakeTelegramServer;
let db: Db;
const owner = uniqueUserId();

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  db = testDb();
});
afterAll(async () => {
  // Published texts are global: leave the defaults for the other test files.
  await db?.('message_templates').delete();
  await Promise.all([fake?.stop(), db?.destroy()]);
});

/** A fresh bot each time: the pending draft must survive a restart, so nothing may live in memory. */
async function freshBot() {
  const bot = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    logger: pino({ level: 'silent' }),
    conversations: { deliver: async () => undefined },
    staff: { db, owners: [owner], logger: pino({ level: 'silent' }) },
    templates: {
      db,
      owners: [owner],
      logger: pino({ level: 'silent' }),
      followUpDefaults: (language) => (language === 'ru' ? { h24: 'Исходный текст', h72: 'Другой' } : { h24: 'Default', h72: 'Other' }),
    },
  });
  await bot.init();
  return bot;
}

const say = async (from: number, text: string) => (await freshBot()).handleUpdate(textUpdate({ id: from, first_name: 'Ольга' }, text) as unknown as Update);
const press = async (from: number, data: string) => {
  const updateId = fake.pushCallback({ id: from, first_name: 'Ольга' }, data, { message_id: 1 });
  const update = { update_id: updateId, callback_query: { id: `cq-${updateId}`, from: { id: from, is_bot: false, first_name: 'Ольга' }, chat_instance: '1', data, message: { message_id: 1, date: 1, chat: { id: from, type: 'private' } } } };
  await (await freshBot()).handleUpdate(update as unknown as Update);
};
const replies = (to: number) => fake.callsTo('sendMessage', to).map((c) => String(c.params.text));

describe('follow-up templates edited from Telegram', () => {
  it('an editor previews, a restart happens, then publishes: the override is stored and the change recorded', async () => {
    const editor = uniqueUserId();
    await setStaffRole(db, editor, 'editor', owner);
    await say(editor, '/template h24 {first_name}, как вам гайд? Вопросы — сюда.');
    expect(replies(editor).slice(-2)).toEqual(['👀 Предпросмотр «follow_up.h24» (ru). Так его увидит лид:', 'Ольга, как вам гайд? Вопросы — сюда.']);
    await press(editor, 'tpl:publish'); // handled by a new bot instance: the draft was in Postgres
    expect(replies(editor).at(-1)).toMatch(/опубликован/);
    expect(await templateOverride(db, 'follow_up.h24', 'ru')).toBe('{first_name}, как вам гайд? Вопросы — сюда.');
    const [audit] = await db('staff_audit').where({ actor_telegram_id: editor, command: 'template_published' });
    expect(audit.details).toMatchObject({ key: 'follow_up.h24', after: '{first_name}, как вам гайд? Вопросы — сюда.' });
  });

  it('cancel (button or /cancel) changes nothing', async () => {
    const editor = uniqueUserId();
    await setStaffRole(db, editor, 'editor', owner);
    await say(editor, '/template h72 en Something new');
    await press(editor, 'tpl:cancel');
    expect(replies(editor).at(-1)).toBe('Правка отменена, ничего не изменилось.');
    await say(editor, '/template h72 en Again');
    await say(editor, '/cancel');
    expect(replies(editor).at(-1)).toBe('Правка отменена, ничего не изменилось.');
    expect(await templateOverride(db, 'follow_up.h72', 'en')).toBeUndefined();
  });

  it('bad input is answered: unknown template, unknown placeholder, too long', async () => {
    const editor = uniqueUserId();
    await setStaffRole(db, editor, 'editor', owner);
    await say(editor, '/template h99 текст');
    expect(replies(editor).at(-1)).toMatch(/Нет шаблона «h99»/);
    await say(editor, '/template h24 Привет, {name}!');
    expect(replies(editor).at(-1)).toMatch(/Неизвестные подстановки: \{name\}/);
    await say(editor, `/template h24 ${'я'.repeat(4100)}`);
    expect(replies(editor).at(-1)).toMatch(/длиннее 4096/);
  });

  it('a manager or a lead cannot edit; the attempt is recorded', async () => {
    const manager = uniqueUserId();
    await setStaffRole(db, manager, 'manager', owner);
    for (const who of [manager, uniqueUserId()]) {
      await say(who, '/template h24 взлом');
      expect(replies(who).at(-1)).toBe('⛔ Менять тексты могут редакторы и выше. Попытка записана.');
      expect(await db('staff_audit').where({ actor_telegram_id: who, allowed: false }).first()).toBeDefined();
    }
  });

  it('an editor attaches a file: asked for it, a photo refused, the document previewed as the lead will see it, published with the change recorded; "none" removes it', async () => {
    const editor = uniqueUserId();
    await setStaffRole(db, editor, 'editor', owner);
    await say(editor, '/template_file h72');
    expect(replies(editor).at(-1)).toContain('Пришлите файл для «follow_up.h72» документом');
    const message = (extra: Record<string, unknown>) => {
      const update = textUpdate({ id: editor, first_name: 'Ольга' }, 'x');
      const { text: _text, ...rest } = update.message;
      return { update_id: update.update_id, message: { ...rest, ...extra } } as unknown as Update;
    };
    await (await freshBot()).handleUpdate(message({ photo: [{ file_id: 'ph-1', file_unique_id: 'u-ph-1', width: 1, height: 1 }] }));
    expect(replies(editor).at(-1)).toContain('Нужен файл-документ');
    await (await freshBot()).handleUpdate(message({ document: { file_id: 'doc-guide-7', file_unique_id: 'u-doc-7', file_name: 'guide.pdf' } }));
    const preview = fake.callsTo('sendDocument', editor).at(-1)!;
    expect(preview.params).toMatchObject({ document: 'doc-guide-7', caption: 'Другой' });
    await press(editor, 'tpl:publish');
    expect(await db('message_templates').where({ key: 'follow_up.h72', language: 'ru' }).first('text', 'document')).toEqual({ text: 'Другой', document: 'tg:doc-guide-7' });
    const [audit] = await db('staff_audit').where({ actor_telegram_id: editor, command: 'template_published' });
    expect(audit.details).toMatchObject({ documentBefore: null, documentAfter: 'tg:doc-guide-7' });

    // Editing the text keeps the file; "none" takes it away.
    await say(editor, '/template h72 Новый текст к файлу');
    await press(editor, 'tpl:publish');
    expect(await db('message_templates').where({ key: 'follow_up.h72', language: 'ru' }).first('text', 'document')).toEqual({ text: 'Новый текст к файлу', document: 'tg:doc-guide-7' });
    await say(editor, '/template_file h72 ru none');
    await press(editor, 'tpl:publish');
    expect((await db('message_templates').where({ key: 'follow_up.h72', language: 'ru' }).first('document')).document).toBeNull();
  });

  it('a manager cannot attach files to templates; refused and recorded', async () => {
    const manager = uniqueUserId();
    await setStaffRole(db, manager, 'manager', owner);
    await say(manager, '/template_file h24');
    expect(replies(manager).at(-1)).toContain('⛔');
    expect(await db('staff_audit').where({ actor_telegram_id: manager, command: 'template_file', allowed: false })).toHaveLength(1);
  });
});

import type { Db } from '../../../db/knex';
import { importKnowledge } from '../../../db/knowledge-import';
import { xlsxWorkbook } from '../../support/xlsx';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { testDb, uniqueUserId } from '../../support/db';
import { STAFF_BOT_TOKEN, staffBot } from '../../support/staff-bot';

let fake: FakeTelegramServer;
let db: Db;
const owner = uniqueUserId();
let panel: ReturnType<typeof staffBot>;
// Entries are global (leads' searches read them): this file's keys carry its own prefix and go in afterAll.
const run = `kbt${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: STAFF_BOT_TOKEN });
  db = testDb();
  panel = staffBot(fake, db, owner);
});
afterAll(async () => {
  await db?.('knowledge_entries').whereRaw('starts_with(key, ?)', [run]).delete();
  await Promise.all([fake?.stop(), db?.destroy()]);
});

const entryByKey = (key: string) => db('knowledge_entries').where({ key }).first();
const audit = (actor: number) => db('staff_audit').where({ actor_telegram_id: actor }).orderBy('id').select('command', 'allowed', 'details');

const FORM = (key: string, answer = 'Да, после курса выдаём именной сертификат.') =>
  [`Ключ: ${key}`, 'Вопрос: Выдаёте ли вы сертификат?', 'Варианты: сертификат; диплом после курса', `Ответ: ${answer}`, 'Это важно для работодателей.', 'Теги: сертификат', 'Ссылки: https://school.example.com/certificate'].join('\n');

describe('the knowledge base in /admin', () => {
  it('an editor lists, adds, changes and deletes an entry; every change is recorded with before and after', async () => {
    const editor = await panel.staffMember('editor');
    await panel.press(editor, 'kb:list:ru');
    expect(panel.lastText(editor)).toMatch(/^📖 База знаний \(ru\): записей \d+/);
    const refunds = await db('knowledge_entries').where({ language: 'ru', key: 'refunds' }).first('id');
    expect(panel.buttons(editor)).toEqual(
      expect.arrayContaining([
        { text: '➕ Новая запись (ru)', callback_data: 'kb:new:ru' },
        { text: '📥 Импорт из CSV/Excel', callback_data: 'kb:import' },
        expect.objectContaining({ callback_data: `kb:open:${refunds.id}` }),
      ]),
    );

    // Add: a message without an answer is refused with the reason; the dialog waits for a good one.
    await panel.press(editor, 'kb:new:ru');
    expect(panel.lastText(editor)).toMatch(/^Новая запись \(ru\)/);
    await panel.say(editor, 'Вопрос: Выдаёте ли вы сертификат?');
    expect(panel.lastText(editor)).toBe('Нет ответа: добавьте строку «Ответ: …».\nИсправьте и пришлите снова или /cancel.');
    const key = `${run}-certificate`;
    await panel.say(editor, FORM(key));
    expect(panel.lastText(editor)).toMatch(/^✅ Запись #\d+ добавлена\./);
    const added = await entryByKey(key);
    expect(added).toMatchObject({
      language: 'ru',
      question: 'Выдаёте ли вы сертификат?',
      variants: ['сертификат', 'диплом после курса'],
      answer: 'Да, после курса выдаём именной сертификат.\nЭто важно для работодателей.',
      tags: ['сертификат'],
      links: ['https://school.example.com/certificate'],
      active: true,
      source: 'panel',
      updated_by: editor,
    });

    // Open and edit: the entry comes back in the form, changed and sent whole.
    await panel.press(editor, `kb:open:${added.id}`);
    expect(panel.lastText(editor)).toContain(`Ключ: ${key}\nЯзык: ru\nВопрос: Выдаёте ли вы сертификат?`);
    expect(panel.buttons(editor).map((b) => b.callback_data)).toEqual([`kb:edit:${added.id}`, `kb:del:${added.id}`, 'kb:list:ru']);
    await panel.press(editor, `kb:edit:${added.id}`);
    await panel.say(editor, FORM(key, 'Да, электронный сертификат в личном кабинете.'));
    expect(panel.lastText(editor)).toMatch(new RegExp(`^✅ Запись #${added.id} сохранена\\.`));
    expect((await entryByKey(key)).answer).toBe('Да, электронный сертификат в личном кабинете.\nЭто важно для работодателей.');
    // The dialog is over: a later text is not taken for an entry.
    expect(await db('staff_dialogs').where({ telegram_user_id: editor }).first()).toBeUndefined();

    // Delete: asked first, then gone.
    await panel.press(editor, `kb:del:${added.id}`);
    expect(panel.buttons(editor).map((b) => b.callback_data)).toEqual([`kb:delok:${added.id}`, `kb:open:${added.id}`]);
    await panel.press(editor, `kb:delok:${added.id}`);
    expect(panel.lastText(editor)).toBe(`🗑 Запись #${added.id} «Выдаёте ли вы сертификат?» удалена.`);
    expect(await entryByKey(key)).toBeUndefined();

    const changes = (await audit(editor)).filter((a) => ['knowledge_added', 'knowledge_changed', 'knowledge_deleted'].includes(a.command));
    expect(changes.map((a) => a.command)).toEqual(['knowledge_added', 'knowledge_changed', 'knowledge_deleted']);
    expect(changes[1].details.before.answer).toBe('Да, после курса выдаём именной сертификат.\nЭто важно для работодателей.');
    expect(changes[1].details.after.answer).toBe('Да, электронный сертификат в личном кабинете.\nЭто важно для работодателей.');
  });

  it('a long list is paged: every entry can be reached', async () => {
    const editor = await panel.staffMember('editor');
    const rows = Array.from({ length: 31 }, (_, i) => ({ key: `${run}-p${String(i).padStart(2, '0')}`, language: 'en' as const, question: `Q${i}?`, variants: [], answer: `A${i}.`, tags: [], links: [], active: i !== 3 }));
    await importKnowledge(db, rows, { source: 'csv' });
    const total = Number((await db('knowledge_entries').where({ language: 'en' }).count('* as n'))[0].n);
    await panel.press(editor, 'kb:list:en');
    expect(panel.lastText(editor)).toMatch(new RegExp(`^📖 База знаний \\(en\\): записей ${total}, показаны 1–30 по ключу\\.`));
    expect(panel.buttons(editor).filter((b) => b.callback_data.startsWith('kb:open:'))).toHaveLength(30);
    expect(panel.buttons(editor).at(-1)).toEqual({ text: 'Дальше ▶️', callback_data: 'kb:list:en:1' });
    await panel.press(editor, 'kb:list:en:1');
    expect(panel.lastText(editor)).toMatch(new RegExp(`показаны 31–${total} по ключу`));
    expect(panel.buttons(editor).at(-1)).toEqual({ text: '◀️ Назад', callback_data: 'kb:list:en:0' });
    const listed = new Set<string>();
    for (const page of [0, 1]) {
      await panel.press(editor, `kb:list:en:${page}`);
      for (const b of panel.buttons(editor)) if (b.callback_data.startsWith('kb:open:')) listed.add(b.callback_data);
    }
    expect(listed.size).toBe(total);
  });

  it('a key another entry has is refused, and the draft can be sent again', async () => {
    const editor = await panel.staffMember('editor');
    await panel.press(editor, 'kb:new:ru');
    await panel.say(editor, FORM('refunds'));
    expect(panel.lastText(editor)).toBe('Ключ «refunds» (ru) уже занят другой записью. Поменяйте строку «Ключ:» и пришлите снова или /cancel.');
    await panel.say(editor, FORM(`${run}-second`));
    expect(panel.lastText(editor)).toMatch(/^✅ Запись #\d+ добавлена\./);
  });

  it('a lead who is not staff cannot list, add, edit or delete: refused and recorded, nothing changes', async () => {
    const refunds = await db('knowledge_entries').where({ language: 'ru', key: 'refunds' }).first();
    const lead = uniqueUserId();
    for (const data of ['kb:list:ru', 'kb:new:ru', `kb:edit:${refunds.id}`, `kb:del:${refunds.id}`, `kb:delok:${refunds.id}`, 'kb:import']) {
      await panel.press(lead, data);
      expect(panel.lastText(lead)).toBe('⛔ Это доступно редакторам и выше. Попытка записана.');
    }
    expect(await db('staff_dialogs').where({ telegram_user_id: lead }).first()).toBeUndefined();
    expect(await db('knowledge_entries').where({ id: refunds.id }).first()).toEqual(refunds);
    expect((await audit(lead)).map((a) => [a.command, a.allowed])).toEqual([
      ['knowledge_list', false],
      ['knowledge_new', false],
      ['knowledge_edit', false],
      ['knowledge_delete_ask', false],
      ['knowledge_delete', false],
      ['knowledge_import_start', false],
    ]);
    // A lead's text that looks like an entry is no edit either: it goes to their conversation.
    await panel.say(lead, FORM(`${run}-lead`));
    expect(await entryByKey(`${run}-lead`)).toBeUndefined();
  });

  it('a manager is below editor: refused too', async () => {
    const manager = await panel.staffMember('manager');
    await panel.press(manager, 'kb:new:ru');
    expect(panel.lastText(manager)).toBe('⛔ Это доступно редакторам и выше. Попытка записана.');
  });

  it('an editor whose role is taken away mid-dialog cannot save', async () => {
    const editor = await panel.staffMember('editor');
    await panel.press(editor, 'kb:new:ru');
    await db('staff').where({ telegram_user_id: editor }).delete();
    await panel.say(editor, FORM(`${run}-revoked`));
    expect(panel.lastText(editor)).toBe('⛔ Это доступно редакторам и выше. Попытка записана.');
    expect(await entryByKey(`${run}-revoked`)).toBeUndefined();
  });

  it('an editor imports a CSV sheet from Telegram: a dry run first, then Apply', async () => {
    const editor = await panel.staffMember('editor');
    await panel.press(editor, 'kb:import');
    const csv = ['key;language;question;variants;answer;tags;links;active', `${run}-hours;ru;Когда эфиры?;время эфиров;По вторникам в 19:00.;эфиры;;да`, `${run}-bad;ru;;;;;;`].join('\r\n');
    await panel.send(editor, { document: fake.addUserFile('knowledge.csv', csv) });
    expect(panel.lastText(editor)).toMatch(/^🔎 Проверка «knowledge\.csv»: база ещё не изменена\./);
    expect(panel.lastText(editor)).toContain(`Добавлено (1): ru:${run}-hours`);
    expect(panel.lastText(editor)).toContain(`• строка 3, ${run}-bad: question is required; answer is required`);
    expect(await entryByKey(`${run}-hours`)).toBeUndefined();
    await panel.press(editor, 'kb:apply');
    expect(panel.lastText(editor)).toMatch(/^📥 Импорт «knowledge\.csv» выполнен:/);
    expect(await entryByKey(`${run}-hours`)).toMatchObject({ question: 'Когда эфиры?', variants: ['время эфиров'], answer: 'По вторникам в 19:00.', source: 'csv' });
  });

  it('an editor imports an Excel (.xlsx) sheet the same way; a broken workbook changes nothing', async () => {
    const editor = await panel.staffMember('editor');
    await panel.press(editor, 'kb:import');
    expect(panel.lastText(editor)).toMatch(/^Пришлите таблицу базы знаний документом \.csv или \.xlsx/);
    await panel.send(editor, { document: fake.addUserFile('база.xlsx', Buffer.from('испорченный файл')) });
    expect(panel.lastText(editor)).toContain('not an Excel workbook (.xlsx)');
    const sheet = await xlsxWorkbook([
      ['key', 'language', 'question', 'variants', 'answer', 'tags', 'links', 'active'],
      [`${run}-xlsx`, 'ru', 'Есть ли запись эфиров?', 'запись', 'Да, в личном кабинете.', null, null, 'да'],
      [],
      [`${run}-xlsx-bad`, 'ru', null, null, null, null, null, null],
    ]);
    await panel.send(editor, { document: fake.addUserFile('база.xlsx', sheet) });
    expect(panel.lastText(editor)).toMatch(/^🔎 Проверка «база\.xlsx»: база ещё не изменена\./);
    expect(panel.lastText(editor)).toContain(`• строка 4, ${run}-xlsx-bad: question is required; answer is required`);
    expect(await entryByKey(`${run}-xlsx`)).toBeUndefined();
    await panel.press(editor, 'kb:apply');
    expect(await entryByKey(`${run}-xlsx`)).toMatchObject({ question: 'Есть ли запись эфиров?', variants: ['запись'], answer: 'Да, в личном кабинете.' });
  });
});

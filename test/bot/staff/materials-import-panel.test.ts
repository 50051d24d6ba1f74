import type { Db } from '../../../db/knex';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { testDb, uniqueUserId } from '../../support/db';
import { STAFF_BOT_TOKEN, staffBot } from '../../support/staff-bot';
import { xlsxWorkbook } from '../../support/xlsx';

let fake: FakeTelegramServer;
let db: Db;
const owner = uniqueUserId();
let panel: ReturnType<typeof staffBot>;

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: STAFF_BOT_TOKEN });
  db = testDb();
  panel = staffBot(fake, db, owner);
});
// Materials are global: each test imports under its own key prefix (the caption), so nothing else is archived.
const run = Math.random().toString(36).slice(2, 8);

afterAll(async () => {
  // Ready materials would be offered to leads in later test files: none outlives this one.
  await db?.('materials').whereRaw('starts_with(key, ?)', [`tg${run}-`]).delete();
  await Promise.all([fake?.stop(), db?.destroy()]);
});
let nextScope = 0;
const newScope = () => `tg${run}-${++nextScope}/`;

const HEADER = 'key,title,summary,url,category,segments,stages,tags,priority,status,language';
/** Three good rows (one with a two-line summary, so file lines and rows part) and one bad row. */
function catalogue(scope: string, change: { riskSummary?: string; without?: string } = {}): string {
  return [
    HEADER,
    `${scope}risk,Правило 1%,"${change.riskSummary ?? 'Сколько рисковать в сделке'}",https://school.example.com/risk,article,cold;warm,goal,риск,80,,ru`,
    `${scope}case,Кейс Дмитрия,"Дмитрий торговал по сигналам.\nТеперь у него свой план.",,case,"warm,hot",proof,кейс,90,ready,ru`,
    `${scope}podcast,Подкаст,Выпуск 1,,podcast,,,,10,ready,ru`,
    `${scope}faq,FAQ: гарантии,"Нет, доход никто не гарантирует.",,faq,,objections,,50,draft,ru`,
  ]
    .filter((line) => !change.without || !line.startsWith(`${scope}${change.without},`))
    .join('\r\n');
}

async function sendFile(from: number, name: string, content: string | Buffer, caption?: string): Promise<void> {
  const document = fake.addUserFile(name, content);
  await panel.send(from, { document, ...(caption !== undefined && { caption }) });
}
const materials = (scope: string) => db('materials').whereRaw('starts_with(key, ?)', [scope]).orderBy('key').select('key', 'status', 'version', 'summary');
const dialogRow = (who: number) => db('staff_dialogs').where({ telegram_user_id: who }).first();

describe('materials importer from Telegram', () => {
  it('an editor sends the sheet from the materials section: the same delta sync, a report with row numbers, recorded; a second file updates and archives', async () => {
    const editor = await panel.staffMember('editor');
    const scope = newScope();
    await panel.press(editor, 'adm:materials');
    expect(panel.buttons(editor)[0]).toEqual({ text: '📥 Импорт из файла (Excel/CSV/JSON)', callback_data: 'mi:start' });
    await panel.press(editor, 'mi:start');
    expect(panel.lastText(editor)).toMatch(/^Пришлите файл каталога документом: \.xlsx \(Excel[^)]*\), \.csv или \.json/);
    await panel.say(editor, 'вот таблица');
    expect(panel.lastText(editor)).toBe('Нужен файл .xlsx, .csv или .json, отправленный документом. Пришлите его или /cancel.');

    await sendFile(editor, 'catalogue.csv', catalogue(scope), scope);
    // First the dry run: the report of what would change, Apply / Cancel, and the catalogue untouched.
    expect(panel.lastText(editor)).toMatch(new RegExp(`^🔎 Проверка «catalogue\\.csv» \\(префикс ${scope}\\): каталог ещё не изменён\\.[^\\n]*\\nДобавлено \\(3\\): ${scope}risk, ${scope}case, ${scope}faq\\n`));
    expect(panel.buttons(editor)).toEqual([
      { text: '✅ Применить', callback_data: 'mi:apply' },
      { text: '✖️ Отменить', callback_data: 'mi:cancel' },
    ]);
    expect(await materials(scope)).toEqual([]);
    expect(await db('material_imports').where({ source: 'telegram:catalogue.csv', scope }).first()).toBeUndefined();
    await panel.press(editor, 'mi:apply');
    expect(panel.lastText(editor)).toBe(
      [
        `📥 Импорт «catalogue.csv» (префикс ${scope}) выполнен:`,
        `Добавлено (3): ${scope}risk, ${scope}case, ${scope}faq`,
        'Обновлено, новая версия (0): —',
        'В архив (0): —',
        'Без изменений: 0',
        'Ошибки (1) — эти строки пропущены, их материалы не тронуты:',
        `• строка 4 (в файле строка 5), ${scope}podcast: unknown category "podcast"; expected article, case, review, faq, bonus, other`,
      ].join('\n'),
    );
    expect((await materials(scope)).map((m) => [m.key, m.status, m.version])).toEqual([
      [`${scope}case`, 'ready', 1],
      [`${scope}faq`, 'draft', 1],
      [`${scope}risk`, 'ready', 1],
    ]);
    expect(await dialogRow(editor)).toBeUndefined();
    const [audit] = await db('staff_audit').where({ actor_telegram_id: editor, command: 'materials_imported' });
    expect(audit.details).toMatchObject({ file: 'catalogue.csv', scope, added: [`${scope}risk`, `${scope}case`, `${scope}faq`], errors: 1 });

    await panel.press(editor, 'mi:start');
    await sendFile(editor, 'catalogue-v2.csv', catalogue(scope, { riskSummary: 'Риск не больше 1% депозита', without: 'faq' }), scope);
    await panel.press(editor, 'mi:apply');
    expect(panel.lastText(editor)).toContain(`Обновлено, новая версия (1): ${scope}risk\nВ архив (1): ${scope}faq\nБез изменений: 1`);
    expect((await materials(scope)).map((m) => [m.key, m.status, m.version])).toEqual([
      [`${scope}case`, 'ready', 1],
      [`${scope}faq`, 'archived', 1],
      [`${scope}risk`, 'ready', 2],
    ]);
  });

  it('an Excel workbook (.xlsx) works the same: the first sheet, a dry run with Excel row numbers, Apply; a broken one changes nothing', async () => {
    const editor = await panel.staffMember('editor');
    const scope = newScope();
    const sheet = [
      HEADER.split(','),
      [`${scope}risk`, 'Правило 1%', 'Сколько рисковать в сделке', 'https://school.example.com/risk', 'article', 'cold; warm', 'goal', 'риск', 80, null, 'ru'],
      [],
      [`${scope}podcast`, 'Подкаст', 'Выпуск 1', null, 'podcast', null, null, null, 10, 'ready', 'ru'],
      [`${scope}case`, 'Кейс Дмитрия', 'Дмитрий торговал по сигналам.\nТеперь у него свой план.', null, 'case', 'warm,hot', 'proof', 'кейс', 90, 'ready', 'ru'],
    ];
    await panel.press(editor, 'mi:start');
    await sendFile(editor, 'Каталог.xlsx', await xlsxWorkbook(sheet), scope);
    expect(panel.lastText(editor)).toMatch(new RegExp(`^🔎 Проверка «Каталог\\.xlsx» \\(префикс ${scope}\\): каталог ещё не изменён\\.[^\\n]*\\nДобавлено \\(2\\): ${scope}risk, ${scope}case\\n`));
    expect(panel.lastText(editor)).toContain(`• строка 4, ${scope}podcast: unknown category "podcast"`);
    expect(await materials(scope)).toEqual([]);
    await panel.press(editor, 'mi:apply');
    expect(panel.lastText(editor)).toMatch(/^📥 Импорт «Каталог\.xlsx» .* выполнен:\nДобавлено \(2\)/);
    expect((await materials(scope)).map((m) => [m.key, m.status, m.version])).toEqual([
      [`${scope}case`, 'ready', 1],
      [`${scope}risk`, 'ready', 1],
    ]);

    const imports = await db('material_imports').count<{ count: string }[]>({ count: '*' });
    await panel.press(editor, 'mi:start');
    await sendFile(editor, 'Каталог.xlsx', Buffer.from('это не книга Excel'), scope);
    expect(panel.lastText(editor)).toBe(
      '❌ Файл не импортирован, каталог не изменился.\nnot an Excel workbook (.xlsx): the file is damaged or of another type\nИсправьте файл и пришлите снова или /cancel.',
    );
    expect(panel.buttons(editor)).not.toContainEqual({ text: '✅ Применить', callback_data: 'mi:apply' });
    expect(await materials(scope)).toHaveLength(2);
    expect(await db('material_imports').count<{ count: string }[]>({ count: '*' })).toEqual(imports);
  });

  it('a JSON file works the same; elements are counted from 1', async () => {
    const editor = await panel.staffMember('editor');
    const scope = newScope();
    await panel.press(editor, 'mi:start');
    await sendFile(editor, 'materials.json', JSON.stringify([{ key: `${scope}a`, title: 'A', category: 'article' }, { key: `${scope}b`, title: 'B', priority: 1.5 }]), scope);
    await panel.press(editor, 'mi:apply');
    expect(panel.lastText(editor)).toContain(`Добавлено (1): ${scope}a`);
    expect(panel.lastText(editor)).toContain(`• строка 2, ${scope}b: bad priority "1.5": expected a whole number`);
  });

  it('a broken file gets a clear error and changes nothing; the dialog waits for a corrected file', async () => {
    const editor = await panel.staffMember('editor');
    const scope = newScope();
    await panel.press(editor, 'mi:start');
    await sendFile(editor, 'catalogue.csv', catalogue(scope), scope);
    await panel.press(editor, 'mi:apply');
    const before = await materials(scope);
    const imports = await db('material_imports').count<{ count: string }[]>({ count: '*' });

    await panel.press(editor, 'mi:start');
    await sendFile(editor, 'notes.txt', 'просто заметки', scope);
    expect(panel.lastText(editor)).toBe('«notes.txt» — не .xlsx, не .csv и не .json. Пришлите файл каталога или /cancel.');
    await sendFile(editor, 'catalogue.csv', `${HEADER}\r\n${scope}risk,"Правило 1%,без конца\r\n`, scope);
    expect(panel.lastText(editor)).toBe('❌ Файл не импортирован, каталог не изменился.\nСтрока 2: a quoted field is never closed\nИсправьте файл и пришлите снова или /cancel.');
    await sendFile(editor, 'catalogue.csv', `${HEADER}\r\n${scope}risk,,,,,,,,,,\r\n${scope}case,Кейс,,,video,,,,,,\r\n`, scope);
    expect(panel.lastText(editor)).toMatch(/^❌ Файл не импортирован, каталог не изменился\.\nНи одной годной строки \(отклонено 2\).*\n• строка 2, .*risk: title is required\n• строка 3, .*case: unknown category "video"/);
    await sendFile(editor, 'catalogue.csv', catalogue('elsewhere/'), scope);
    expect(panel.lastText(editor)).toMatch(new RegExp(`Ключ «elsewhere/risk» не начинается с префикса «${scope}» из подписи\\.`));
    await sendFile(editor, 'catalogue.json', '[{"key": ', scope);
    expect(panel.lastText(editor)).toMatch(/^❌ Файл не импортирован, каталог не изменился\.\nnot valid JSON/);

    expect(await materials(scope)).toEqual(before);
    expect(await db('material_imports').count<{ count: string }[]>({ count: '*' })).toEqual(imports);
    expect(await dialogRow(editor)).toMatchObject({ kind: 'flow', key: 'materials_import' });
    await sendFile(editor, 'catalogue.csv', catalogue(scope, { without: 'case' }), scope);
    await panel.press(editor, 'mi:apply');
    expect(panel.lastText(editor)).toContain(`В архив (1): ${scope}case`);
  });

  it('Cancel after the dry run changes nothing; Apply needs an editor at the press', async () => {
    const editor = await panel.staffMember('editor');
    const scope = newScope();
    await panel.press(editor, 'mi:start');
    await sendFile(editor, 'catalogue.csv', catalogue(scope), scope);
    await panel.press(editor, 'mi:cancel');
    expect(panel.lastText(editor)).toBe('Импорт отменён, каталог не изменился.');
    expect(await dialogRow(editor)).toBeUndefined();
    await panel.press(editor, 'mi:apply');
    expect(panel.lastText(editor)).toBe('Этой проверки больше нет: пришлите файл заново.');
    expect(await materials(scope)).toEqual([]);

    // The role is checked again at Apply: an editor lowered to manager after the preview cannot apply it.
    await panel.press(editor, 'mi:start');
    await sendFile(editor, 'catalogue.csv', catalogue(scope), scope);
    await db('staff').where({ telegram_user_id: editor }).update({ role: 'manager' });
    await panel.press(editor, 'mi:apply');
    expect(panel.lastText(editor)).toBe('⛔ Это доступно редакторам и выше. Попытка записана.');
    expect(await materials(scope)).toEqual([]);
    expect(await db('staff_audit').where({ actor_telegram_id: editor, command: 'materials_import_apply', allowed: false }).first()).toBeDefined();
  });

  it('cancelled: the next file is not imported; a manager cannot start an import', async () => {
    const editor = await panel.staffMember('editor');
    const scope = newScope();
    await panel.press(editor, 'mi:start');
    await panel.say(editor, '/cancel');
    expect(panel.lastText(editor)).toBe('Правка отменена, ничего не изменилось.');
    await sendFile(editor, 'catalogue.csv', catalogue(scope), scope);
    expect(await materials(scope)).toEqual([]);

    const manager = await panel.staffMember('manager');
    await panel.press(manager, 'mi:start');
    expect(panel.lastText(manager)).toBe('⛔ Это доступно редакторам и выше. Попытка записана.');
    expect(await dialogRow(manager)).toBeUndefined();
    await sendFile(manager, 'catalogue.csv', catalogue(scope), scope);
    expect(await materials(scope)).toEqual([]);
  });
});

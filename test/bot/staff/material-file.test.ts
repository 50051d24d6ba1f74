import type { Db } from '../../../db/knex';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { testDb, uniqueUserId } from '../../support/db';
import { STAFF_BOT_TOKEN, staffBot } from '../../support/staff-bot';

let fake: FakeTelegramServer;
let db: Db;
const owner = uniqueUserId();
let panel: ReturnType<typeof staffBot>;
const KEY = `mf-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: STAFF_BOT_TOKEN });
  db = testDb();
  panel = staffBot(fake, db, owner);
  // A draft: never offered to the leads of other test files.
  await db('materials').insert({ key: KEY, title: 'Чек-лист трейдера', summary: 's', category: 'article', segments: '[]', stages: '[]', tags: '[]', priority: 1, status: 'draft', language: 'ru', version: 1, checksum: 'x' });
});
afterAll(async () => {
  await db?.('materials').where({ key: KEY }).delete();
  await Promise.all([fake?.stop(), db?.destroy()]);
});

const fileOf = async () => (await db('materials').where({ key: KEY }).first('file_id')).file_id;

describe('/material_file: an editor attaches a file to a material', () => {
  it('asked for the file, a photo refused, the document kept and recorded; "none" removes it', async () => {
    const editor = await panel.staffMember('editor');
    await panel.say(editor, `/material_file ${KEY}`);
    expect(panel.lastText(editor)).toBe('Пришлите файл для «Чек-лист трейдера» документом: лиды получат его файлом вместе с подборкой. /cancel — отмена.');
    await panel.send(editor, { photo: [{ file_id: 'ph-1', file_unique_id: 'u-ph-1', width: 1, height: 1 }] });
    expect(panel.lastText(editor)).toContain('Нужен файл, отправленный документом');
    expect(await fileOf()).toBeNull();

    await panel.send(editor, { document: { file_id: 'doc-checklist-1', file_unique_id: 'u-doc-1', file_name: 'checklist.pdf' } });
    expect(panel.lastText(editor)).toBe('📎 Файл приложен к «Чек-лист трейдера»: в подборке лид получит его файлом.');
    expect(await fileOf()).toBe('doc-checklist-1');
    const [audit] = await db('staff_audit').where({ actor_telegram_id: editor, command: 'material_file_changed' });
    expect(audit.details).toMatchObject({ key: KEY, before: null, after: 'doc-checklist-1', name: 'checklist.pdf' });

    // The dialog is over: the next document is not taken for the material.
    await panel.send(editor, { document: { file_id: 'doc-other', file_unique_id: 'u-doc-2', file_name: 'other.pdf' } });
    expect(await fileOf()).toBe('doc-checklist-1');

    await panel.say(editor, `/material_file ${KEY} none`);
    expect(panel.lastText(editor)).toBe('Файл убран из «Чек-лист трейдера»: в подборке снова только ссылка.');
    expect(await fileOf()).toBeNull();
  });

  it('an unknown key and a missing one get their answer', async () => {
    const editor = await panel.staffMember('editor');
    await panel.say(editor, '/material_file');
    expect(panel.lastText(editor)).toMatch(/^Как приложить файл к материалу/);
    await panel.say(editor, '/material_file no-such-key');
    expect(panel.lastText(editor)).toBe('Материала с ключом «no-such-key» нет. Ключи — в таблице материалов (колонка key).');
  });

  it('a manager and a lead are refused and recorded; nothing changes', async () => {
    const manager = await panel.staffMember('manager');
    const lead = uniqueUserId();
    for (const who of [manager, lead]) {
      await panel.say(who, `/material_file ${KEY}`);
      await panel.send(who, { document: { file_id: 'doc-forged', file_unique_id: 'u-forged', file_name: 'x.pdf' } });
    }
    expect(panel.lastText(manager)).toContain('⛔');
    expect(await fileOf()).toBeNull();
    expect(await db('staff_audit').whereIn('actor_telegram_id', [manager, lead]).where({ command: 'material_file', allowed: false })).toHaveLength(2);
  });
});

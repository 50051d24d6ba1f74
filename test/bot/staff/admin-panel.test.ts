import type { Update } from 'grammy/types';
import pino from 'pino';
import { createScenarioActivities } from '../../../activities/scenario';
import { createBot } from '../../../bot/bot';
import type { Db } from '../../../db/knex';
import { upsertLead } from '../../../db/leads';
import { setStaffRole } from '../../../db/staff';
import { templateOverride } from '../../../db/templates';
import { contentDefault } from '../../../domain/content';
import type { Role } from '../../../domain/staff/roles';
import { defaultScenarioPath, loadScenarioFile } from '../../../scenarios/loader';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { testDb, uniqueUserId } from '../../support/db';
import { textUpdate } from '../../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
const silent = pino({ level: 'silent' });
let fake: FakeTelegramServer;
let db: Db;
const owner = uniqueUserId();
const delivered: unknown[] = [];

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  db = testDb();
});
afterEach(async () => {
  // Published texts are global: every test starts from the scenario's own, and so do other files.
  await db('message_templates').whereIn('key', ['welcome.text', 'bonus.caption', 'bonus.document']).delete();
});
afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});

/** A new bot for every update: a dialog must survive a restart, so nothing may live in memory. */
async function freshBot() {
  const bot = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    logger: silent,
    conversations: { deliver: async (event) => void delivered.push(event) },
    panel: {
      db,
      owners: [owner],
      logger: silent,
      timeZone: 'Europe/Moscow',
      followUpDefaults: (language) => (language === 'ru' ? { h24: 'Как вам гайд?' } : { h24: 'How was the guide?' }),
      scenario: (language) => loadScenarioFile(defaultScenarioPath(language)),
    },
  });
  await bot.init();
  return bot;
}

async function staffMember(role: Exclude<Role, 'owner'>): Promise<number> {
  const id = uniqueUserId();
  await setStaffRole(db, id, role, owner);
  return id;
}

const NAME = 'Ольга';
const say = async (from: number, text: string) => (await freshBot()).handleUpdate(textUpdate({ id: from, first_name: NAME }, text) as unknown as Update);
/** A button press that goes through the fake, so it knows the query and accepts one answer, like Telegram. */
async function press(from: number, data: string): Promise<void> {
  const bot = await freshBot();
  const updateId = fake.pushCallback({ id: from, first_name: NAME }, data, { message_id: 1 });
  const [update] = await bot.api.getUpdates({ offset: updateId, limit: 1, timeout: 0 });
  await bot.handleUpdate(update);
}
const sent = (to: number) => fake.callsTo('sendMessage', to);
const lastText = (to: number) => String(sent(to).at(-1)?.params.text);
/** The buttons of the last message with a keyboard sent to `to`. */
function buttons(to: number): { text: string; callback_data: string }[] {
  const markup = sent(to).filter((c) => c.params.reply_markup).at(-1)?.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] };
  return markup.inline_keyboard.flat();
}
const menuOf = async (who: number) => {
  await say(who, '/admin');
  return buttons(who).map((b) => b.callback_data);
};
const loadScenario = (language: 'ru' | 'en') => createScenarioActivities({ db }).loadScenario(language);
const greetingFor = async (language: 'ru' | 'en') => {
  const scenario = await createScenarioActivities({ db }).loadScenario(language);
  return contentDefault(scenario, 'welcome.text');
};

describe('/admin panel: what each role sees', () => {
  it('a manager sees lead search only; an editor adds content but no products or staff; an admin and an owner see everything', async () => {
    expect(await menuOf(await staffMember('manager'))).toEqual(['adm:lead']);
    expect(await menuOf(await staffMember('editor'))).toEqual(['adm:lead', 'adm:welcome', 'adm:bonus', 'adm:templates', 'adm:materials', 'kb:list:ru', 'bc:start']);
    const all = ['adm:lead', 'adm:welcome', 'adm:bonus', 'adm:templates', 'adm:materials', 'kb:list:ru', 'bc:start', 'adm:products', 'adm:staff'];
    expect(await menuOf(await staffMember('admin'))).toEqual(all);
    expect(await menuOf(owner)).toEqual(all);
  });

  it('a lead gets no panel: refused, recorded, not passed on', async () => {
    const lead = uniqueUserId();
    await say(lead, '/admin');
    expect(lastText(lead)).toBe('⛔ Панель доступна только команде школы. Попытка записана.');
    expect(sent(lead).at(-1)?.params.reply_markup).toBeUndefined();
    expect(await db('staff_audit').where({ actor_telegram_id: lead }).first()).toMatchObject({ command: 'admin', allowed: false, reason: 'not staff' });
    expect(delivered).toEqual([]);
  });

  it('every button re-checks the role: an editor pressing "products", a manager pressing "welcome", a demoted admin', async () => {
    const editor = await staffMember('editor');
    await press(editor, 'adm:products');
    expect(lastText(editor)).toBe('⛔ Это доступно администраторам и выше. Попытка записана.');
    const manager = await staffMember('manager');
    await press(manager, 'adm:welcome');
    expect(lastText(manager)).toBe('⛔ Это доступно редакторам и выше. Попытка записана.');
    await press(manager, 'adm:edit:welcome:ru');
    expect(lastText(manager)).toBe('⛔ Это доступно редакторам и выше. Попытка записана.');

    const admin = await staffMember('admin');
    await say(admin, '/admin'); // the menu shows staff…
    await setStaffRole(db, admin, 'editor', owner); // …then the role is lowered
    await press(admin, 'adm:staff');
    expect(lastText(admin)).toBe('⛔ Это доступно администраторам и выше. Попытка записана.');
    const refusals = await db('staff_audit').where({ allowed: false }).whereIn('actor_telegram_id', [editor, manager, admin]).orderBy('id');
    expect(refusals.map((r) => [r.command, r.reason])).toEqual([
      ['admin:products', 'role editor is below admin'],
      ['admin:welcome', 'role manager is below editor'],
      ['content_edit', 'role manager is below editor'],
      ['admin:staff', 'role editor is below admin'],
    ]);
  });

  it('admins see products and the team; editors see materials and follow-up templates', async () => {
    const admin = await staffMember('admin');
    await press(admin, 'adm:products');
    expect(lastText(admin)).toMatch(/^🛒 Продукты:\n• /);
    await press(admin, 'adm:staff');
    expect(lastText(admin)).toContain(`• ${owner} — owner (из настроек)`);
    expect(lastText(admin)).toContain(`• ${admin} — admin`);
    const editor = await staffMember('editor');
    await press(editor, 'adm:materials');
    expect(lastText(editor)).toMatch(/^📚 Материалы по статусам:\n(• [a-z]{2} [a-z]+: \d+\n)+/);
    expect(lastText(editor)).toMatch(/• ru ready: [1-9]/);
    await press(editor, 'adm:templates');
    expect(lastText(editor)).toContain('• h24 (ru): Как вам гайд?');
  });

  it('an editor archives and publishes a material from the panel; recorded; a manager cannot', async () => {
    const editor = await staffMember('editor');
    await press(editor, 'adm:materials');
    const archive = buttons(editor).find((b) => b.callback_data.endsWith(':archived') && b.text.startsWith('✅'));
    if (!archive) throw new Error('no ready material listed');
    const id = Number(archive.callback_data.split(':')[2]);
    const { key, title } = await db('materials').where({ id }).first();
    try {
      await press(editor, archive.callback_data);
      expect(lastText(editor)).toBe(`«${title}»: ready → archived.`);
      expect((await db('materials').where({ id }).first()).status).toBe('archived');
      await press(editor, 'adm:materials');
      expect(buttons(editor).find((b) => b.callback_data === `adm:mat:${id}:ready`)?.text).toMatch(/^🗄 .* — ✅ Опубликовать$/);

      const manager = await staffMember('manager');
      await press(manager, `adm:mat:${id}:ready`);
      expect(lastText(manager)).toBe('⛔ Это доступно редакторам и выше. Попытка записана.');
      expect((await db('materials').where({ id }).first()).status).toBe('archived');

      await press(editor, `adm:mat:${id}:ready`);
      expect(lastText(editor)).toBe(`«${title}»: archived → ready.`);
      const audit = await db('staff_audit').where({ actor_telegram_id: editor, command: 'material_status_changed' }).orderBy('id');
      expect(audit.map((a) => a.details)).toEqual([
        { key, before: 'ready', after: 'archived' },
        { key, before: 'archived', after: 'ready' },
      ]);
    } finally {
      await db('materials').where({ id }).update({ status: 'ready' }); // the catalogue is shared with other tests
    }
  });

  it('lead search from the panel: the prompt, then the card, across a restart', async () => {
    const manager = await staffMember('manager');
    const leadId = uniqueUserId();
    await upsertLead(db, { id: leadId, firstName: 'Пётр', username: `petr_${leadId}` }, leadId);
    await press(manager, 'adm:lead');
    expect(lastText(manager)).toBe('Пришлите @username, telegram id или телефон лида. /cancel — отмена.');
    await say(manager, `@petr_${leadId}`); // a new bot instance: the dialog was in Postgres
    expect(lastText(manager)).toMatch(/^👤 Пётр \(@petr_\d+\) · id \d+/);
    await say(manager, 'просто текст');
    expect(delivered).toHaveLength(1); // the dialog ended: the next text is an ordinary message
  });
});

describe('/admin panel: the welcome text and the bonus caption', () => {
  it('walked to publish across restarts: preview as the lead sees it, published, recorded with before and after, used by new conversations', async () => {
    const editor = await staffMember('editor');
    const shipped = await greetingFor('ru');
    await press(editor, 'adm:welcome');
    expect(lastText(editor)).toContain(`ru:\n${shipped}`);
    expect(buttons(editor).map((b) => b.callback_data)).toEqual(['adm:edit:welcome:ru', 'adm:edit:welcome:en']);

    await press(editor, 'adm:edit:welcome:ru');
    expect(lastText(editor)).toMatch(/^Пришлите новый текст «Приветствие» \(ru\)/);
    await say(editor, 'Привет, {first_name}! Это новая школа.');
    const texts = sent(editor).slice(-3).map((c) => String(c.params.text));
    expect(texts).toEqual(['👀 Предпросмотр «Приветствие» (ru). Так его увидит лид:', 'Привет, Ольга! Это новая школа.', 'Опубликовать?']);
    expect(await greetingFor('ru')).toBe(shipped); // nothing changes before publishing

    await press(editor, 'adm:publish');
    expect(lastText(editor)).toBe('✅ «Приветствие» (ru) опубликовано: новые разговоры начнутся с него.');
    expect(await greetingFor('ru')).toBe('Привет, {first_name}! Это новая школа.');
    expect(await greetingFor('en')).toBe(contentDefault(loadScenarioFile(defaultScenarioPath('en')), 'welcome.text')); // the other language untouched
    const [audit] = await db('staff_audit').where({ actor_telegram_id: editor, command: 'content_published' });
    expect(audit.details).toEqual({ key: 'welcome.text', language: 'ru', before: shipped, beforeWasEdited: false, after: 'Привет, {first_name}! Это новая школа.' });

    await press(editor, 'adm:welcome');
    expect(lastText(editor)).toContain('ru ✏️:\nПривет, {first_name}! Это новая школа.');
  });

  it('cancelled with the button or /cancel: nothing changes; a second publish press finds nothing', async () => {
    const editor = await staffMember('editor');
    await press(editor, 'adm:edit:welcome:en');
    await say(editor, 'Hello there');
    await press(editor, 'adm:cancel');
    expect(lastText(editor)).toBe('Правка отменена, ничего не изменилось.');
    await press(editor, 'adm:publish');
    expect(lastText(editor)).toBe('Нет неопубликованной правки.');

    await press(editor, 'adm:edit:welcome:en');
    await say(editor, '/cancel'); // before any text: the dialog ends
    expect(lastText(editor)).toBe('Правка отменена, ничего не изменилось.');
    await say(editor, 'Hello again');
    expect(await templateOverride(db, 'welcome.text', 'en')).toBeUndefined();
    expect(delivered.length).toBeGreaterThan(0); // that text was an ordinary message, not a draft
  });

  it('bad texts are explained and the dialog waits for a better one: empty placeholders, unknown ones, a stray brace, too long', async () => {
    const editor = await staffMember('editor');
    await press(editor, 'adm:edit:welcome:ru');
    await say(editor, 'Привет, {name}!');
    expect(lastText(editor)).toBe('Неизвестные подстановки: {name}. Доступно: {first_name}.\nПришлите исправленный текст или /cancel.');
    await say(editor, 'Привет, {first_name!');
    expect(lastText(editor)).toMatch(/^Непарная фигурная скобка/);
    await say(editor, 'я'.repeat(4097));
    expect(lastText(editor)).toMatch(/^Текст длиннее 4096 символов \(4097\)/);
    await say(editor, 'Теперь хорошо, {first_name}');
    await press(editor, 'adm:publish');
    expect(await templateOverride(db, 'welcome.text', 'ru')).toBe('Теперь хорошо, {first_name}');
  });

  it('the bonus caption: previewed on the bonus document itself; a caption Telegram refuses once filled in is not publishable', async () => {
    const editor = await staffMember('editor');
    await press(editor, 'adm:bonus');
    await press(editor, 'adm:edit:bonus:ru');
    await say(editor, 'я'.repeat(1025));
    expect(lastText(editor)).toMatch(/^Текст длиннее 1024 символов/);

    // 1,024 characters as written, longer once the name is filled in: Telegram refuses the preview.
    const tooLongFilled = `{first_name}${'я'.repeat(1012)}`;
    const longName = 'Александра-Мария';
    await (await freshBot()).handleUpdate(textUpdate({ id: editor, first_name: longName }, tooLongFilled) as unknown as Update);
    expect(lastText(editor)).toBe('Telegram не принял этот текст: Bad Request: message caption is too long. Пришлите другой или /cancel.');
    await press(editor, 'adm:publish');
    expect(lastText(editor)).toBe('Нет неопубликованной правки.');

    await say(editor, 'Ваш гайд, {first_name} 📌');
    const preview = fake.callsTo('sendDocument', editor).at(-1);
    expect(preview?.params.caption).toBe('Ваш гайд, Ольга 📌');
    expect(Object.values(preview?.files ?? {})[0]).toMatchObject({ filename: 'bonus.pdf' });
    await press(editor, 'adm:publish');
    const scenario = await loadScenario('ru');
    expect(contentDefault(scenario, 'bonus.caption')).toBe('Ваш гайд, {first_name} 📌');
  });

  it('the bonus file replaced by a document the editor sends: previewed with the caption, published as its Telegram file id', async () => {
    const editor = await staffMember('editor');
    await press(editor, 'adm:bonus');
    expect(buttons(editor).map((b) => b.callback_data)).toEqual(['adm:edit:bonus:ru', 'adm:edit:bonus:en', 'adm:file:bonus:ru', 'adm:file:bonus:en']);
    await press(editor, 'adm:file:bonus:ru');
    expect(lastText(editor)).toBe('Пришлите новый файл бонуса (ru) документом. /cancel — отмена.');
    await say(editor, 'вот файл');
    expect(lastText(editor)).toBe('Нужен файл, отправленный как документ. Пришлите его или /cancel.');

    const message = textUpdate({ id: editor, first_name: NAME }, 'x');
    const { text: _text, ...withoutText } = message.message;
    const documentUpdate = { update_id: message.update_id, message: { ...withoutText, document: { file_id: 'BQACAgIAAxkBAAI-new-guide', file_unique_id: 'AgAD-new', file_name: 'guide-2027.pdf' } } };
    await (await freshBot()).handleUpdate(documentUpdate as unknown as Update);
    const preview = fake.callsTo('sendDocument', editor).at(-1);
    expect(preview?.params.document).toBe('BQACAgIAAxkBAAI-new-guide');
    expect(String(preview?.params.caption)).toMatch(/^Ваш бонус/);
    expect(lastText(editor)).toBe('Опубликовать?');

    await press(editor, 'adm:publish');
    expect(lastText(editor)).toBe('✅ «Файл бонуса» (ru) опубликовано: новые разговоры начнутся с него.');
    expect(await templateOverride(db, 'bonus.document', 'ru')).toBe('tg:BQACAgIAAxkBAAI-new-guide');
    const bonus = (await loadScenario('ru')).steps.bonus.messages[0];
    expect(bonus).toMatchObject({ document: 'tg:BQACAgIAAxkBAAI-new-guide' });
    const [audit] = await db('staff_audit').where({ actor_telegram_id: editor, command: 'content_published' });
    expect(audit.details).toMatchObject({ key: 'bonus.document', before: expect.stringMatching(/bonus\.pdf$/), after: 'tg:BQACAgIAAxkBAAI-new-guide' });
  });

  it('an editor demoted in the middle of a dialog cannot finish it', async () => {
    const editor = await staffMember('editor');
    await press(editor, 'adm:edit:welcome:ru');
    await say(editor, 'Новый текст');
    await setStaffRole(db, editor, 'manager', owner);
    await press(editor, 'adm:publish');
    expect(lastText(editor)).toBe('⛔ Это доступно редакторам и выше. Попытка записана.');
    expect(await templateOverride(db, 'welcome.text', 'ru')).toBeUndefined();
  });
});

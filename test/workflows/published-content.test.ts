import type { Db } from '../../db/knex';
import { publishTemplate } from '../../db/templates';
import { testDb } from '../support/db';
import { buttonsOf, useLeadHarness } from '../support/lead-harness';
import { press, text } from '../support/updates';

const h = useLeadHarness();
/** Our own connection: the harness stand-in binds functions, and a Knex instance is one. */
let db: Db;
beforeAll(() => {
  db = testDb();
});
afterAll(() => db.destroy());

afterEach(async () => {
  // Published texts are global: the other tests expect the scenario's own.
  await db('message_templates').whereIn('key', ['welcome.text', 'bonus.caption', 'bonus.document']).delete();
});

describe('texts editors published from the /admin panel reach leads', () => {
  it('a new conversation greets with the published welcome text and sends the bonus with the published caption; buttons unchanged', async () => {
    await publishTemplate(db, { key: 'welcome.text', language: 'ru', text: 'Добрый день, {first_name}! Новое приветствие.', editor: 1 });
    await publishTemplate(db, { key: 'bonus.caption', language: 'ru', text: 'Новая подпись к гайду, {first_name}', editor: 1 });
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      const [greeting] = h.sent('sendMessage', lead);
      expect(greeting.params.text).toBe('Добрый день, Анна! Новое приветствие.');
      expect(buttonsOf(greeting).map((b) => b.text)).toEqual(['🎁 Получить бонус', '📝 Оставить заявку']);

      await h.conversations().deliver(press(lead, buttonsOf(greeting)[0].callback_data as string));
      await h.until('sendDocument', lead, 1);
      expect(h.sent('sendDocument', lead)[0].params.caption).toBe('Новая подпись к гайду, Анна');
    });
  });

  it('a bonus file an editor sent the bot goes out by its Telegram file id', async () => {
    await publishTemplate(db, { key: 'bonus.document', language: 'ru', text: 'tg:BQACAgIAAxkBAAI-new-guide', editor: 1 });
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      await h.conversations().deliver(press(lead, buttonsOf(h.sent('sendMessage', lead)[0])[0].callback_data as string));
      await h.until('sendDocument', lead, 1);
    });
    const [bonus] = h.sent('sendDocument', lead);
    expect(bonus.params.document).toBe('BQACAgIAAxkBAAI-new-guide');
    expect(bonus.files).toEqual({}); // nothing uploaded: Telegram already has the file
    expect(String(bonus.params.caption)).toMatch(/^Ваш бонус/);
  });

  it('an English lead keeps the English text when only the Russian one was changed', async () => {
    await publishTemplate(db, { key: 'welcome.text', language: 'ru', text: 'Только по-русски', editor: 1 });
    const lead = h.newLead({ language_code: 'en', first_name: 'Ann' });
    await (await h.worker()).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
    });
    expect(h.texts(lead)[0]).not.toBe('Только по-русски');
    expect(h.texts(lead)[0]).toContain('Ann');
  });
});

import type { Db } from '../../../db/knex';
import { upsertLead } from '../../../db/leads';
import { setStaffRole } from '../../../db/staff';
import { listActiveProducts, listCriteria } from '../../../db/products';
import { productDraftOf, saveProductDraft } from '../../../db/product-editing';
import { callbackDataBytes, CALLBACK_DATA_LIMIT } from '../../../domain/callback-data';
import { emptyDraft, type ProductDraft } from '../../../domain/staff/product-draft';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { testDb, uniqueUserId } from '../../support/db';
import { STAFF_BOT_TOKEN, staffBot } from '../../support/staff-bot';

let fake: FakeTelegramServer;
let db: Db;
const owner = uniqueUserId();
let panel: ReturnType<typeof staffBot>;
/** Every product a test makes has this prefix, so none outlives its file (matching is global). */
const PREFIX = 'test_pe_';

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: STAFF_BOT_TOKEN });
  db = testDb();
  panel = staffBot(fake, db, owner);
});
afterEach(async () => {
  await db('products').where('code', 'like', `${PREFIX}%`).delete();
});
afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});

const { say, press, send, lastText, buttons, sent, staffMember } = {
  say: (from: number, text: string) => panel.say(from, text),
  press: (from: number, data: string) => panel.press(from, data),
  send: (from: number, content: Record<string, unknown>) => panel.send(from, content),
  lastText: (to: number) => panel.lastText(to),
  buttons: (to: number) => panel.buttons(to),
  sent: (to: number) => panel.sent(to),
  staffMember: (role: 'admin' | 'editor' | 'manager') => panel.staffMember(role),
};
const uniqueCode = () => `${PREFIX}${uniqueUserId()}`;
const dialogRow = (who: number) => db('staff_dialogs').where({ telegram_user_id: who }).first();

/** A hidden product made directly in the database, to be edited through the bot. */
async function existingProduct(overrides: Partial<ProductDraft> = {}): Promise<{ id: number; draft: ProductDraft }> {
  const draft: ProductDraft = {
    ...emptyDraft(),
    code: uniqueCode(),
    name: 'Портфель',
    description: 'Как собрать портфель',
    price: 690,
    currency: 'USD',
    valuePropositions: ['Риск под контролем'],
    targetSegments: ['warm'],
    active: false,
    criteria: [{ question: 'q2', answer: 'passive_income', weight: 3, reason: 'Пассивный доход' }],
    ...overrides,
  };
  return { id: (await saveProductDraft(db, null, draft, null)).productId, draft };
}

describe('product editor: a new product, guided', () => {
  it('walked to publish, every answer in a new bot instance: each field validated with a clear message, preview, publish, recorded', async () => {
    const admin = await staffMember('admin');
    await press(admin, 'adm:products');
    expect(lastText(admin)).toMatch(/^🛒 Продукты:\n• /);
    expect(buttons(admin).map((b) => b.callback_data)).toContain('pe:new');
    expect(buttons(admin).some((b) => /^pe:open:\d+$/.test(b.callback_data))).toBe(true);

    await press(admin, 'pe:new');
    expect(lastText(admin)).toMatch(/^Шаг 1 из 8\. Код продукта: латиница/);
    await say(admin, 'Крипто Про');
    expect(lastText(admin)).toBe('Код — латинские буквы, цифры и _, с буквы, до 64 символов (например crypto_pro).\nПришлите исправленный ответ или /cancel.');
    const code = uniqueCode();
    await say(admin, code.toUpperCase()); // lower-cased
    expect(lastText(admin)).toMatch(/^Шаг 2 из 8\. Название продукта/);
    expect(await dialogRow(admin)).toMatchObject({ kind: 'flow', key: 'product_editor', state: { draft: { code }, awaiting: 'name' } });

    await say(admin, 'Крипто Про');
    await say(admin, 'Продвинутый курс для тех, кто уже торгует.');
    await say(admin, '• Стратегии с контролем риска\nРазбор сделок с наставником');
    expect(lastText(admin)).toMatch(/^Шаг 5 из 8\. Цена — число/);
    await say(admin, '0');
    expect(lastText(admin)).toMatch(/^Цена — число больше 0/);
    await say(admin, '12,345');
    expect(lastText(admin)).toMatch(/^Цена — число больше 0, не больше двух знаков/);
    await say(admin, '4 990,50');
    expect(lastText(admin)).toMatch(/^Шаг 6 из 8\. Валюта/);
    await say(admin, 'рубли');
    expect(lastText(admin)).toBe('Валюта — 3–5 латинских букв, например RUB, USD или USDT.\nПришлите исправленный ответ или /cancel.');
    await say(admin, 'usdt');
    await say(admin, 'warm, lukewarm');
    expect(lastText(admin)).toMatch(/^Сегменты — cold, warm, hot .*непонятно: lukewarm/);
    await say(admin, 'warm hot');
    expect(lastText(admin)).toContain('q1: trading, crypto_long, stock_market, bank_deposit, no_experience'); // the survey's codes
    await say(admin, 'q9 trading 3 Торгуете сами');
    expect(lastText(admin)).toMatch(/^Строка 1: в анкете нет вопроса «q9» \(есть q1, q2, q3, q4, q5\)/);
    await say(admin, 'q1 trading 3 Вы уже торгуете\nq1 tradin 1');
    expect(lastText(admin)).toMatch(/^Строка 2: у вопроса q1 нет ответа «tradin»/);
    await say(admin, 'q1 no_experience -2');
    expect(lastText(admin)).toMatch(/^Нужен хотя бы один критерий с положительным весом/);
    await say(admin, 'q1 trading 3 Вы уже торгуете\nq1 no_experience -2\nq3 one_month 0');
    expect(lastText(admin)).toMatch(/^Строка 3: вес — число/);
    await say(admin, 'q1 trading 3 Вы уже торгуете\nq1 no_experience -2');

    // The required fields are in: the preview with a button per field, publish and cancel.
    expect(lastText(admin)).toMatch(/^🛒 Новый продукт\nКод: test_pe_\d+\nНазвание: Крипто Про/);
    expect(lastText(admin)).toContain('Цена: 4990.5 USDT');
    expect(lastText(admin)).toContain('• q1 no_experience -2');
    const data = buttons(admin).map((b) => b.callback_data);
    expect(data).toEqual(expect.arrayContaining(['pe:set:links', 'pe:set:stars', 'pe:set:media', 'pe:probe', 'pe:publish', 'adm:cancel']));
    for (const item of data) expect(callbackDataBytes(item)).toBeLessThanOrEqual(CALLBACK_DATA_LIMIT);

    await press(admin, 'pe:set:links');
    await say(admin, 'full http://pay.example.com/pro');
    expect(lastText(admin)).toMatch(/^Строка 1: «http:\/\/pay\.example\.com\/pro» — не адрес https:\/\//);
    await say(admin, 'full https://pay.example.com/pro\nмесяц https://pay.example.com/m');
    expect(lastText(admin)).toMatch(/^Строка 2: нужно «full <ссылка>» или «instalment <ссылка>»/);
    await say(admin, 'full https://pay.example.com/pro\ninstalment https://pay.example.com/pro-3');
    await press(admin, 'pe:set:stars');
    await say(admin, '-5');
    expect(lastText(admin)).toMatch(/^Цена в Stars — целое число от 1/);
    await say(admin, '2500');
    await press(admin, 'pe:set:media');
    await say(admin, 'картинка');
    expect(lastText(admin)).toBe('Нужен документ или фото (или «-», чтобы убрать медиа).');
    await send(admin, { photo: [{ file_id: 'AgAD-small', file_unique_id: 's', width: 90, height: 90 }, { file_id: 'AgAD-big-cover', file_unique_id: 'b', width: 900, height: 900 }] });
    expect(fake.callsTo('sendPhoto', admin).at(-1)?.params).toMatchObject({ photo: 'AgAD-big-cover', caption: 'Крипто Про' });
    expect(lastText(admin)).toContain('Медиа: фото');
    expect(await db('products').where({ code }).first()).toBeUndefined(); // nothing published yet

    await press(admin, 'pe:publish');
    expect(lastText(admin)).toBe(`✅ Продукт «Крипто Про» (${code}) создан: подбор для новых ответов анкеты уже учитывает его.`);
    const product = (await listActiveProducts(db)).find((p) => p.code === code);
    expect(product).toMatchObject({
      name: 'Крипто Про',
      price: 4990.5,
      currency: 'USDT',
      valuePropositions: ['Стратегии с контролем риска', 'Разбор сделок с наставником'],
      targetSegments: ['warm', 'hot'],
      paymentLinks: { full: 'https://pay.example.com/pro', instalment: 'https://pay.example.com/pro-3' },
      starsPrice: 2500,
      mediaUrl: 'tg:photo:AgAD-big-cover',
      active: true,
    });
    expect((await listCriteria(db, [product!.id])).map((c) => [c.question, c.answer, c.weight, c.reason])).toEqual([
      ['q1', 'trading', 3, 'Вы уже торгуете'],
      ['q1', 'no_experience', -2, undefined],
    ]);
    const [audit] = await db('staff_audit').where({ actor_telegram_id: admin, command: 'product_published' });
    expect(audit.details).toMatchObject({ productId: product!.id, code, created: true, before: null, after: { code, price: 4990.5, currency: 'USDT' } });
    expect(audit.details.changed).toEqual(expect.arrayContaining(['code', 'price', 'criteria', 'media']));
    expect(await dialogRow(admin)).toBeUndefined();
    await press(admin, 'pe:publish');
    expect(lastText(admin)).toBe('Нет открытого черновика продукта: откройте /admin → «Продукты».');
  });

  it('cancelled with the button or /cancel: nothing is saved, and the next text is an ordinary message', async () => {
    const admin = await staffMember('admin');
    const code = uniqueCode();
    await press(admin, 'pe:new');
    await say(admin, code);
    await say(admin, 'Отменённый продукт');
    await press(admin, 'adm:cancel');
    expect(lastText(admin)).toBe('Правка отменена, ничего не изменилось.');
    expect(await db('products').where({ code }).first()).toBeUndefined();

    const { id, draft } = await existingProduct();
    await press(admin, `pe:open:${id}`);
    await press(admin, 'pe:set:price');
    await say(admin, '1');
    await say(admin, '/cancel');
    expect(lastText(admin)).toBe('Правка отменена, ничего не изменилось.');
    expect((await productDraftOf(db, id))?.price).toBe(draft.price);
    const before = panel.delivered.length;
    await say(admin, 'просто текст');
    expect(panel.delivered.length).toBe(before + 1);
  });

  it('publish refuses what is incomplete or a code another product uses, and the draft stays open', async () => {
    const admin = await staffMember('admin');
    const other = await existingProduct();
    await press(admin, 'pe:new');
    await press(admin, 'pe:publish');
    expect(lastText(admin)).toBe('Пока нельзя опубликовать, не хватает: код, название, описание, цена, валюта, ценности, сегменты, критерии (хотя бы один с положительным весом).');
    const { id } = await existingProduct();
    await press(admin, `pe:open:${id}`);
    await press(admin, 'pe:publish');
    expect(lastText(admin)).toBe('Изменений нет: публиковать нечего.');
    await press(admin, 'pe:set:code');
    await say(admin, other.draft.code);
    await press(admin, 'pe:publish');
    expect(lastText(admin)).toBe(`Код «${other.draft.code}» уже занят другим продуктом: выберите другой (кнопка «Код»).`);
    expect(await dialogRow(admin)).toMatchObject({ kind: 'flow', key: 'product_editor' });
  });
});

describe('product editor: an existing product', () => {
  it('changed across a restart, published with before and after; the buttons say what changes', async () => {
    const admin = await staffMember('admin');
    const { id, draft } = await existingProduct();
    await press(admin, 'adm:products');
    expect(buttons(admin).find((b) => b.callback_data === `pe:open:${id}`)?.text).toBe(`✏️ ${draft.code}`);
    await press(admin, `pe:open:${id}`);
    expect(lastText(admin)).toMatch(new RegExp(`^🛒 Продукт №${id} \\(скрыт\\)\\nКод: ${draft.code}`));
    await press(admin, 'pe:set:price');
    expect(lastText(admin)).toContain('Сейчас:\n690');
    // The process restarts here: the next answer goes to a bot that never saw the dialog.
    await say(admin, '790');
    await press(admin, 'pe:active');
    expect(buttons(admin).find((b) => b.callback_data === 'pe:active')?.text).toBe('🙈 Скрыть от лидов');
    await press(admin, 'pe:set:criteria');
    await say(admin, 'q2 passive_income 4 Пассивный доход\nq3 three_months 1');
    await press(admin, 'pe:publish');
    expect(lastText(admin)).toBe(`✅ Продукт «Портфель» (${draft.code}) обновлён: подбор для новых ответов анкеты уже учитывает его.`);
    expect(await productDraftOf(db, id)).toMatchObject({ price: 790, active: true, criteria: [{ question: 'q2', answer: 'passive_income', weight: 4 }, { question: 'q3', answer: 'three_months', weight: 1 }] });
    const [audit] = await db('staff_audit').where({ actor_telegram_id: admin, command: 'product_published' });
    expect(audit.details).toMatchObject({ productId: id, created: false, changed: ['price', 'criteria', 'active'], before: { price: 690, active: false }, after: { price: 790, active: true } });
  });
  it('two admins on one product: the second publish is stopped once instead of silently undoing the first', async () => {
    const [first, second] = [await staffMember('admin'), await staffMember('admin')];
    const { id, draft } = await existingProduct();
    await press(first, `pe:open:${id}`);
    await press(second, `pe:open:${id}`);
    await press(first, 'pe:set:price');
    await say(first, '800');
    await press(first, 'pe:publish');
    await press(second, 'pe:set:name');
    await say(second, 'Портфель 2.0');
    await press(second, 'pe:publish');
    expect(lastText(second)).toBe('⚠️ Пока вы редактировали, продукт опубликовал кто-то ещё (изменено: price). Ваш черновик сохранён; «Опубликовать» ещё раз заменит и эти поля.');
    expect(await productDraftOf(db, id)).toMatchObject({ name: 'Портфель', price: 800 });
    await press(second, 'pe:publish'); // knowingly
    expect(await productDraftOf(db, id)).toMatchObject({ name: 'Портфель 2.0', price: draft.price });
    const [audit] = await db('staff_audit').where({ actor_telegram_id: second, command: 'product_published' });
    expect(audit.details).toMatchObject({ changed: ['name', 'price'], before: { name: 'Портфель', price: 800 }, after: { name: 'Портфель 2.0', price: 690 } });
  });
});

describe('product editor: who may', () => {
  it('an editor and a manager get no product actions: refused and recorded, no draft opened', async () => {
    const { id } = await existingProduct();
    for (const role of ['editor', 'manager'] as const) {
      const who = await staffMember(role);
      await say(who, '/admin');
      expect(buttons(who).map((b) => b.callback_data)).not.toContain('adm:products');
      for (const data of ['pe:new', `pe:open:${id}`, 'pe:publish']) {
        await press(who, data);
        expect(lastText(who)).toBe('⛔ Это доступно администраторам и выше. Попытка записана.');
      }
      expect(await dialogRow(who)).toBeUndefined();
      const refused = await db('staff_audit').where({ actor_telegram_id: who, allowed: false }).orderBy('id');
      expect(refused.map((r) => r.command)).toEqual(['product_new', 'product_open', 'product_publish']);
    }
  });

  it('an admin demoted in the middle of the dialog cannot go on', async () => {
    const admin = await staffMember('admin');
    const { id } = await existingProduct();
    await press(admin, `pe:open:${id}`);
    await press(admin, 'pe:set:name');
    await setStaffRole(db, admin, 'editor', owner);
    await say(admin, 'Новое имя');
    expect(lastText(admin)).toBe('⛔ Это доступно администраторам и выше. Попытка записана.');
    expect(await dialogRow(admin)).toBeUndefined();
    expect((await productDraftOf(db, id))?.name).toBe('Портфель');
  });
});

describe('product editor: testing the matching on a lead', () => {
  it("scores the draft's criteria (before publishing) on the lead's survey answers: percent, threshold, reasons", async () => {
    const admin = await staffMember('admin');
    const leadId = uniqueUserId();
    const lead = await upsertLead(db, { id: leadId, firstName: 'Пётр', username: `petr_${leadId}` }, leadId);
    await db('leads').where({ id: lead.id }).update({ answers: JSON.stringify({ q1: 'no_experience', q2: 'start_investing', q4: 'over_thousand' }), segment: 'cold' });
    const { id } = await existingProduct({
      criteria: [
        { question: 'q1', answer: 'no_experience', weight: 3, reason: 'Курс с нуля' },
        { question: 'q2', answer: 'start_investing', weight: 2, reason: 'Первые шаги' },
        { question: 'q3', answer: 'one_month', weight: 5, reason: 'Быстрый результат' },
        { question: 'q4', answer: 'over_thousand', weight: -1, reason: 'Большой бюджет' },
      ],
    });
    await press(admin, `pe:open:${id}`);
    await press(admin, 'pe:probe');
    expect(lastText(admin)).toMatch(/^Проверка подбора на лиде/);
    await say(admin, '@nobody_like_this_one');
    expect(lastText(admin)).toMatch(/^Лид «@nobody_like_this_one» не найден/);
    await say(admin, `@petr_${leadId}`);
    // (3 + 2 − 1) / (3 + 2 + 5) = 40 %: exactly the threshold.
    expect(lastText(admin)).toBe(
      [
        `🧪 «Портфель» для лида Пётр @petr_${leadId} (id ${leadId})`,
        'Совпадение: 40% — не ниже порога 40%: продукт можно предложить, если у другого продукта не больше.',
        'Почему подходит:\n• Курс с нуля\n• Первые шаги',
        'Совпавшие критерии: q1 no_experience +3, q2 start_investing +2, q4 over_thousand -1',
        'Ответы лида: q1 no_experience, q2 start_investing, q4 over_thousand · сегмент cold',
      ].join('\n'),
    );

    // A heavier criterion the lead does not meet, still unpublished: the probe uses the draft.
    await press(admin, 'pe:set:criteria');
    await say(admin, 'q1 no_experience 3 Курс с нуля\nq2 start_investing 2 Первые шаги\nq3 one_month 15\nq4 over_thousand -1');
    await press(admin, 'pe:probe');
    await say(admin, String(leadId));
    expect(lastText(admin)).toMatch(/\nСовпадение: 20% — ниже порога 40%: этот продукт лиду не предложат\.\n/);
    expect((await listCriteria(db, [id])).map((c) => c.weight)).toEqual([3, 2, 5, -1]); // nothing published
    expect(buttons(admin).map((b) => b.callback_data)).toEqual(['pe:probe', 'pe:menu', 'pe:publish', 'adm:cancel']);
  });

  it('a lead who has not answered the survey scores 0%', async () => {
    const admin = await staffMember('admin');
    const leadId = uniqueUserId();
    await upsertLead(db, { id: leadId, firstName: 'Ира' }, leadId);
    const { id } = await existingProduct();
    await press(admin, `pe:open:${id}`);
    await press(admin, 'pe:probe');
    await say(admin, String(leadId));
    expect(lastText(admin)).toContain('Совпадение: 0% — ниже порога 40%');
    expect(lastText(admin)).toContain('Ответы лида: лид ещё не отвечал на анкету');
    expect(sent(admin).length).toBeGreaterThan(0);
  });
});

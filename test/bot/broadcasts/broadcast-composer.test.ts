import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import pino from 'pino';
import type { CampaignWorkflowsPort } from '../../../api/campaign-workflows';
import { createBot } from '../../../bot/bot';
import type { BotContext } from '../../../bot/context';
import { findCampaign } from '../../../db/campaigns';
import type { Db } from '../../../db/knex';
import { setStaffRole } from '../../../db/staff';
import { dialogOf } from '../../../db/staff-dialogs';
import { scenarioVocabulary } from '../../../domain/broadcasts/broadcast-input';
import type { BroadcastCampaignInput } from '../../../workflows/broadcast-campaign/contract';
import { defaultScenarioPath, loadScenarioFile } from '../../../scenarios/loader';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { seedLeads, uniqueSource } from '../../support/campaigns';
import { testDb, uniqueUserId } from '../../support/db';
import { textUpdate } from '../../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
const silent = pino({ level: 'silent' });
/** 22:40 in Moscow on 1 December 2026: "24.12 10:00" is ahead, "01.12 10:00" has passed. */
const NOW = new Date('2026-12-01T19:40:00Z');
const vocabulary = scenarioVocabulary([loadScenarioFile(defaultScenarioPath('ru')), loadScenarioFile(defaultScenarioPath('en'))]);

let fake: FakeTelegramServer;
let db: Db;
const owner = uniqueUserId();

/** A CampaignWorkflowsPort that records what it was asked to start, and can be made to fail like an absent Temporal. */
class RecordingWorkflows implements CampaignWorkflowsPort {
  started: BroadcastCampaignInput[] = [];
  failures = 0;
  async start(input: BroadcastCampaignInput): Promise<'started'> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('connection refused');
    }
    this.started.push(input);
    return 'started';
  }
  async command(): Promise<boolean> {
    return true;
  }
  async pickWinner(): Promise<boolean> {
    return true;
  }
}
let workflows: RecordingWorkflows;
/** The composer's clock: a test moves it to let a schedule pass while the preview waits. */
let clock = NOW;

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  db = testDb();
});
beforeEach(() => {
  workflows = new RecordingWorkflows();
  clock = NOW;
});
afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});

/** The bot as production builds it (panel, templates, composer, lead updates), over the same database. */
async function freshBot(): Promise<Bot<BotContext>> {
  const staff = { db, owners: [owner], logger: silent };
  const bot = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    logger: silent,
    conversations: { deliver: async () => undefined },
    staff,
    panel: {
      ...staff,
      timeZone: 'Europe/Moscow',
      followUpDefaults: () => ({}),
      scenario: (language) => loadScenarioFile(defaultScenarioPath(language)),
    },
    templates: { ...staff, followUpDefaults: () => ({}) },
    broadcasts: { ...staff, workflows, vocabulary: () => vocabulary, now: () => clock },
  });
  await bot.init();
  return bot;
}

const NAME = 'Ольга';
/** Each update is handled by a new bot unless one is given: nothing of the draft may live in memory. */
const say = async (from: number, text: string, bot?: Bot<BotContext>) => (bot ?? (await freshBot())).handleUpdate(textUpdate({ id: from, first_name: NAME }, text) as unknown as Update);
async function sendMedia(from: number, fields: Record<string, unknown>, bot?: Bot<BotContext>): Promise<void> {
  const update = textUpdate({ id: from, first_name: NAME }, 'x');
  const { text: _text, ...rest } = update.message;
  await (bot ?? (await freshBot())).handleUpdate({ update_id: update.update_id, message: { ...rest, ...fields } } as unknown as Update);
}
/** A press that goes through the fake, so the query can be answered once, as on Telegram. */
async function press(from: number, data: string, bot?: Bot<BotContext>): Promise<void> {
  const handler = bot ?? (await freshBot());
  const updateId = fake.pushCallback({ id: from, first_name: NAME }, data, { message_id: 1 });
  const [update] = await handler.api.getUpdates({ offset: updateId, limit: 1, timeout: 0 });
  await handler.handleUpdate(update);
}
const texts = (to: number) => fake.callsTo('sendMessage', to).map((c) => String(c.params.text));
const last = (to: number) => texts(to).at(-1) ?? '';
const callbackAnswers = () => fake.callsTo('answerCallbackQuery').map((c) => c.params.text).filter(Boolean);

async function editor(): Promise<number> {
  const id = uniqueUserId();
  await setStaffRole(db, id, 'editor', owner);
  return id;
}

/** The shortest way to a preview: one text, no buttons, everyone of `source`, no test, at a time. */
async function walkToPreview(who: number, source: string, when = '24.12 10:00'): Promise<void> {
  await say(who, '/broadcast');
  await say(who, 'Короткая рассылка');
  await say(who, 'Первый текст');
  await press(who, 'bc:done');
  await press(who, 'bc:nobuttons');
  await say(who, `источники ${source}`);
  await press(who, 'bc:next');
  await press(who, 'bc:abskip');
  await say(who, when);
}

async function campaignsNamed(name: string, createdBy: number) {
  return db('campaigns').where({ name, created_by: createdBy });
}

describe('the broadcast composer in Telegram', () => {
  it('an editor composes items, buttons, audience, an A/B test and a schedule, previews it as leads will see it, and confirms: the campaign is recorded and its workflow started', async () => {
    const who = await editor();
    const source = uniqueSource();
    await seedLeads(db, source, 2, { segment: 'hot', score: 8, stage: 'goal', answers: JSON.stringify({ q1: 'trading' }), last_inbound_at: new Date() });
    await seedLeads(db, source, 1, { segment: 'hot', score: 8, stage: 'goal', answers: JSON.stringify({ q1: 'trading' }), last_inbound_at: new Date(), opted_out: true });
    await seedLeads(db, source, 1, { segment: 'cold', score: 8, stage: 'goal', answers: JSON.stringify({ q1: 'trading' }), last_inbound_at: new Date() });

    await say(who, '/broadcast');
    expect(last(who)).toContain('Как её назвать?');
    await say(who, 'Декабрьский поток');
    expect(last(who)).toContain('Пришлите сообщения рассылки');
    await say(who, 'Открыт набор! 🎉\nСтарт 10 января.');
    expect(last(who)).toBe('✅ Сообщение 1/10 (текст: «Открыт набор! 🎉\nСтарт 10 января.»). Пришлите ещё или нажмите «Готово».');
    await sendMedia(who, { photo: [{ file_id: 'ph-small', file_unique_id: 'u1', width: 90, height: 90 }, { file_id: 'ph-big', file_unique_id: 'u2', width: 1280, height: 720 }], caption: 'Программа курса' });
    expect(last(who)).toContain('Сообщение 2/10 (фото: «Программа курса»)');
    await press(who, 'bc:done');
    expect(last(who)).toContain('Текст | https://адрес');
    await say(who, 'Подробнее | https://school.example.com/dec\nМенеджер | manager\n\nОтписаться | unsubscribe\nКонсультация | /consult');
    expect(texts(who).at(-2)).toBe('Кнопки:\n[Подробнее → https://school.example.com/dec] [Менеджер → command:contact]\n[Отписаться → unsubscribe] [Консультация → command:consult]');
    expect(last(who)).toContain('Кому отправить? Сейчас: все лиды.');

    await press(who, 'bc:seg:hot');
    expect(last(who)).toContain('Сейчас: сегменты hot.');
    await say(who, `источники ${source}\nбалл 6-10\nэтапы goal, closing\nтеги q1=trading\nактивны 30`);
    expect(last(who)).toContain('Сейчас: сегменты hot; источники');
    expect(last(who)).toContain('Подходит лидов: 3, получат: 2');
    await press(who, 'bc:next');
    expect(last(who)).toContain('A/B-тест?');
    await press(who, 'bc:abadd');
    expect(last(who)).toContain('Вариант B: пришлите его сообщения');
    await say(who, 'Скидка 20 % до пятницы');
    await press(who, 'bc:done');
    expect(last(who)).toContain('Кнопки варианта B');
    await press(who, 'bc:asa');
    expect(last(who)).toContain('Варианты: A — 50 %, B — 50 %');
    await press(who, 'bc:abm:reply_rate');
    await say(who, 'веса 70/30\nпилот 30');
    await press(who, 'bc:abw:12');
    expect(last(who)).toMatch(/Варианты: A — 70 %, B — 30 %\nПилот: 30 % аудитории\nМетрика: ответы\nОкно наблюдения: 12 ч/);
    await press(who, 'bc:abok');
    expect(last(who)).toContain('Когда отправить?');

    const before = fake.callsTo('sendMessage', who).length;
    await say(who, '24.12 10:00');
    // The preview: each variant's items in order, the buttons under the last one, as the sender builds them.
    const preview = fake.callsTo('sendMessage', who).slice(before);
    expect(preview.map((c) => c.params.text)).toEqual([
      '👀 Предпросмотр: так рассылку увидят лиды.',
      '— Вариант A (70 %) —',
      'Открыт набор! 🎉\nСтарт 10 января.',
      '— Вариант B (30 %) —',
      'Скидка 20 % до пятницы',
      expect.stringContaining('📣 «Декабрьский поток»'),
    ]);
    expect(preview[2].params.reply_markup).toBeUndefined();
    const keyboard = {
      inline_keyboard: [
        [{ text: 'Подробнее', url: 'https://school.example.com/dec' }, { text: 'Менеджер', callback_data: 'cmp:0.1' }],
        [{ text: 'Отписаться', callback_data: 'cmp:0.2' }, { text: 'Консультация', callback_data: 'cmp:0.3' }],
      ],
    };
    expect(fake.callsTo('sendPhoto', who).at(-1)!.params).toMatchObject({ photo: 'ph-big', caption: 'Программа курса', reply_markup: keyboard });
    expect(preview[4].params.reply_markup).toEqual(keyboard);
    const summary = String(preview[5].params.text);
    expect(summary).toContain('Сообщений: 2, кнопок: 4');
    expect(summary).toContain('примерно 3 лида, получат 2');
    expect(summary).toContain('Когда: 24.12.2026 10:00 МСК');
    expect(summary).toContain('A/B-тест: A — 70 %, B — 30 %; пилот 30 %, метрика — ответы, окно 12 ч');

    await press(who, 'bc:confirm');
    const [row] = await campaignsNamed('Декабрьский поток', who);
    expect(last(who)).toBe(`✅ Рассылка №${row.id} «Декабрьский поток» создана: уйдёт 24.12.2026 10:00 МСК. Ход и управление — /campaign ${row.id}, отчёт придёт сюда.`);
    const campaign = (await findCampaign(db, Number(row.id)))!;
    const content = {
      items: [
        { kind: 'text', text: 'Открыт набор! 🎉\nСтарт 10 января.' },
        { kind: 'photo', file: 'ph-big', caption: 'Программа курса' },
      ],
      buttons: [
        [{ text: 'Подробнее', url: 'https://school.example.com/dec' }, { text: 'Менеджер', action: 'command:contact' }],
        [{ text: 'Отписаться', action: 'unsubscribe' }, { text: 'Консультация', action: 'command:consult' }],
      ],
    };
    expect(campaign).toMatchObject({
      created_by: who,
      status: 'scheduled',
      content,
      audience: { segments: ['hot'], sources: [source], scoreMin: 6, scoreMax: 10, stages: ['goal', 'closing'], tags: ['q1=trading'], activeWithinDays: 30 },
      ab_test: {
        pilotShare: 30,
        metric: 'reply_rate',
        windowHours: 12,
        variants: [
          { key: 'A', weight: 70, content },
          { key: 'B', weight: 30, content: { items: [{ kind: 'text', text: 'Скидка 20 % до пятницы' }], buttons: content.buttons } },
        ],
      },
    });
    expect(campaign.scheduled_at?.toISOString()).toBe('2026-12-24T07:00:00.000Z');
    expect(workflows.started).toEqual([{ campaignId: campaign.id, scheduledAt: '2026-12-24T07:00:00.000Z', ab: { windowHours: 12 } }]);
    expect(await dialogOf(db, who)).toBeUndefined();

    // Every step was checked and recorded, and so was the launch.
    const audit = await db('staff_audit').where({ actor_telegram_id: who }).orderBy('id').select('command', 'allowed', 'details');
    expect(audit.every((a: { allowed: boolean }) => a.allowed)).toBe(true);
    expect(audit.map((a: { command: string }) => a.command)).toEqual(
      expect.arrayContaining(['broadcast', 'broadcast:name', 'broadcast:items', 'broadcast:done', 'broadcast:buttons', 'broadcast:audience', 'broadcast:abadd', 'broadcast:ab_settings', 'broadcast:schedule', 'broadcast:confirm', 'broadcast_launched']),
    );
    expect(audit.at(-1)).toMatchObject({ command: 'broadcast_launched', details: { campaignId: campaign.id, name: 'Декабрьский поток' } });

    // Every keyboard the editor saw is well-formed: no empty rows (Telegram's clients draw them as gaps).
    const keyboards = fake.callsTo('sendMessage', who).map((c) => (c.params.reply_markup as { inline_keyboard?: unknown[][] } | undefined)?.inline_keyboard).filter(Boolean);
    expect(keyboards.length).toBeGreaterThan(10);
    expect(keyboards.filter((rows) => rows!.some((row) => row.length === 0))).toEqual([]);

    // A second press of Confirm (a double tap) launches nothing more.
    await press(who, 'bc:confirm');
    expect(await campaignsNamed('Декабрьский поток', who)).toHaveLength(1);
    expect(workflows.started).toHaveLength(1);
  });

  it('"now" sends at once; the panel offers the composer to editors', async () => {
    const who = await editor();
    await say(who, '/admin');
    const menu = fake.callsTo('sendMessage', who).at(-1)!.params.reply_markup as { inline_keyboard: { callback_data: string }[][] };
    expect(menu.inline_keyboard.flat().map((b) => b.callback_data)).toContain('bc:start');
    await press(who, 'bc:start');
    expect(last(who)).toContain('Как её назвать?');
    await say(who, 'Срочно');
    await say(who, 'Эфир через час!');
    await press(who, 'bc:done');
    await press(who, 'bc:nobuttons');
    await say(who, `источники ${uniqueSource()}`);
    await press(who, 'bc:next');
    await press(who, 'bc:abskip');
    await press(who, 'bc:now');
    expect(last(who)).toContain('Когда: сразу после запуска');
    await press(who, 'bc:confirm');
    const [row] = await campaignsNamed('Срочно', who);
    expect(row).toMatchObject({ scheduled_at: null, ab_test: null });
    expect(row.content).toEqual({ items: [{ kind: 'text', text: 'Эфир через час!' }] });
    expect(workflows.started).toEqual([{ campaignId: Number(row.id), scheduledAt: null }]);
    expect(last(who)).toContain('отправка началась');
  });

  it('cancel by the button or by /cancel: the draft is gone and nothing is recorded or started', async () => {
    const who = await editor();
    await say(who, '/broadcast');
    await say(who, 'Отменяемая');
    await say(who, 'Текст');
    await press(who, 'bc:cancel');
    expect(last(who)).toBe('Отменено: черновик удалён, ничего не отправлено.');
    expect(await dialogOf(db, who)).toBeUndefined();

    await walkToPreview(who, uniqueSource());
    await say(who, '/cancel');
    expect(last(who)).toBe('Отменено: черновик удалён, ничего не отправлено.');
    expect(await dialogOf(db, who)).toBeUndefined();
    expect(await db('staff_audit').where({ actor_telegram_id: who }).whereIn('command', ['broadcast:cancel', 'dialog_cancelled']).orderBy('id').select('command', 'details')).toEqual([
      { command: 'broadcast:cancel', details: {} },
      { command: 'dialog_cancelled', details: { kind: 'flow', flow: 'broadcast_composer' } },
    ]);
    // The preview's Confirm no longer launches anything.
    await press(who, 'bc:confirm');
    expect(callbackAnswers().at(-1)).toBe('Эта кнопка устарела: /broadcast покажет, где вы остановились.');
    expect(await campaignsNamed('Отменяемая', who)).toHaveLength(0);
    expect(await campaignsNamed('Короткая рассылка', who)).toHaveLength(0);
    expect(workflows.started).toEqual([]);
  });

  it('Edit goes back to one step and returns to the preview; the rest of the draft is kept', async () => {
    const who = await editor();
    const source = uniqueSource();
    await walkToPreview(who, source);
    await press(who, 'bc:edit');
    expect(last(who)).toBe('Что изменить?');
    await press(who, 'bc:edit:audience');
    expect(last(who)).toContain(`Сейчас: источники ${source}.`);
    await say(who, 'сегменты cold\nнеактивны 14');
    await press(who, 'bc:next');
    expect(last(who)).toContain(`Аудитория: сегменты cold; источники ${source}; молчат от 14 дн.`);

    await press(who, 'bc:edit');
    await press(who, 'bc:edit:items');
    expect(last(who)).toContain('Пришлите сообщения рассылки');
    await say(who, 'Новый текст');
    await press(who, 'bc:done'); // straight back to the preview: buttons, audience and time stay
    expect(texts(who)).toContain('Новый текст');
    expect(last(who)).toContain('Когда: 24.12.2026 10:00 МСК');

    await press(who, 'bc:edit');
    await press(who, 'bc:edit:buttons');
    await say(who, 'Записаться | command:consult');
    expect(last(who)).toContain('кнопок: 1');

    await press(who, 'bc:edit');
    await press(who, 'bc:edit:schedule');
    await say(who, '2026-12-31 18:30');
    expect(last(who)).toContain('Когда: 31.12.2026 18:30 МСК');

    await press(who, 'bc:confirm');
    const [row] = await campaignsNamed('Короткая рассылка', who);
    expect(row.content).toEqual({ items: [{ kind: 'text', text: 'Новый текст' }], buttons: [[{ text: 'Записаться', action: 'command:consult' }]] });
    expect(row.audience).toEqual({ sources: [source], segments: ['cold'], inactiveForDays: 14 });
    expect(new Date(row.scheduled_at).toISOString()).toBe('2026-12-31T15:30:00.000Z');
  });

  it('a restart in the middle: a new bot instance over the same database continues the draft where it stopped', async () => {
    const who = await editor();
    const first = await freshBot();
    await say(who, '/broadcast', first);
    await say(who, 'Пережила рестарт', first);
    await say(who, 'Текст до рестарта', first);
    await sendMedia(who, { voice: { file_id: 'voice-1', file_unique_id: 'uv1', duration: 3 } }, first);

    const second = await freshBot(); // the first is gone as far as the draft is concerned
    await say(who, '/broadcast', second);
    expect(texts(who).at(-2)).toBe('📣 У вас есть незаконченная рассылка «Пережила рестарт»: продолжаем с того же места. /cancel — отменить её.');
    expect(last(who)).toContain('Пришлите сообщения рассылки');
    await press(who, 'bc:done', second);
    await press(who, 'bc:nobuttons', second);
    await say(who, `источники ${uniqueSource()}`, second);
    await press(who, 'bc:next', second);
    await press(who, 'bc:abskip', second);
    await say(who, '24.12 10:00', second);
    expect(fake.callsTo('sendVoice', who).at(-1)!.params).toMatchObject({ voice: 'voice-1' });
    await press(who, 'bc:confirm', second);
    const [row] = await campaignsNamed('Пережила рестарт', who);
    expect(row.content.items).toEqual([
      { kind: 'text', text: 'Текст до рестарта' },
      { kind: 'voice', file: 'voice-1' },
    ]);
  });

  it('a manager or a lead is refused and recorded; an editor demoted mid-draft loses it', async () => {
    const manager = uniqueUserId();
    await setStaffRole(db, manager, 'manager', owner);
    const lead = uniqueUserId();
    for (const who of [manager, lead]) {
      await say(who, '/broadcast');
      expect(last(who)).toBe('⛔ Это доступно редакторам и выше. Попытка записана.');
      expect(await dialogOf(db, who)).toBeUndefined();
      await press(who, 'bc:confirm');
      expect(await db('staff_audit').where({ actor_telegram_id: who, allowed: false }).pluck('command')).toEqual(['broadcast', 'broadcast:confirm']);
    }

    const demoted = await editor();
    await walkToPreview(demoted, uniqueSource());
    await setStaffRole(db, demoted, 'manager', owner);
    await press(demoted, 'bc:confirm');
    expect(last(demoted)).toBe('⛔ Это доступно редакторам и выше. Попытка записана.');
    expect(await dialogOf(db, demoted)).toBeUndefined();
    expect(await campaignsNamed('Короткая рассылка', demoted)).toHaveLength(0);
    expect(workflows.started).toEqual([]);
  });

  it('bad input gets a clear answer and loses nothing of the draft', async () => {
    const who = await editor();
    await say(who, '/broadcast');
    await say(who, 'Б'.repeat(201));
    expect(last(who)).toBe('Название — текстом, до 200 символов.');
    await say(who, 'Проверка ввода');
    await say(who, 'Первое сообщение');

    await sendMedia(who, { sticker: { file_id: 'st-1', file_unique_id: 'us1', type: 'regular', width: 512, height: 512, is_animated: false, is_video: false } });
    expect(last(who)).toBe('Стикеры в рассылку не добавить: пришлите текст, фото, видео, документ, аудио или голосовое.');
    await say(who, 'я'.repeat(5000));
    expect(last(who)).toBe('Текст длиннее 4096 символов (5000): Telegram такое не отправит. Сократите или разделите на два сообщения. Ничего не потеряно: пришлите исправленное.');
    await sendMedia(who, { location: { latitude: 55.75, longitude: 37.62 } });
    expect(last(who)).toContain('Такое сообщение в рассылку не добавить');
    await press(who, 'bc:confirm'); // a button of a later step
    expect(callbackAnswers().at(-1)).toBe('Эта кнопка устарела: /broadcast покажет, где вы остановились.');
    await sendMedia(who, { document: { file_id: 'doc-1', file_unique_id: 'ud1', file_name: 'plan.pdf' } });
    expect(last(who)).toContain('Сообщение 2/10 (документ)');
    await say(who, 'Лишнее сообщение');
    await press(who, 'bc:undo');
    expect(last(who)).toBe('Последнее сообщение убрано, осталось 2.');
    await press(who, 'bc:done');

    await say(who, 'Подробнее https://school.example.com\nСайт | school.example.com\nЗаписаться | /nowhere\n | manager\nКуда-то | teleport\nШаг | step:consultation');
    const answer = last(who);
    expect(answer).toContain('Кнопки не сохранены:');
    expect(answer).toContain('Строка 1 («Подробнее https://school.example.com»): нет «|» между текстом кнопки и ссылкой или действием.');
    expect(answer).toContain('Строка 2 («Сайт | school.example.com»): ссылка должна начинаться с https:// (например https://school.example.com).');
    expect(answer).toContain('Строка 3 («Записаться | /nowhere»): в сценарии нет команды /nowhere. Есть: /help, /stop, /resume, /contact, /survey, /consult, /menu');
    expect(answer).toContain('Строка 4 («| manager»): нет текста кнопки перед «|».');
    expect(answer).toContain('Строка 5 («Куда-то | teleport»): «teleport» — не ссылка и не действие.');
    expect(answer).toContain('Строка 6 («Шаг | step:consultation»): переход к шагу сценария задаётся командой, которая к нему ведёт: например /consult');
    await say(who, 'Сайт | https://school.example.com');

    await say(who, 'балл 10-6');
    expect(last(who)).toContain('Строка 1 («балл 10-6»): нижняя граница (10) больше верхней (6).');
    await say(who, 'этапы goal, finale\nтеги q9=yes\nактивны много\nвозраст 30');
    const filters = last(who);
    expect(filters).toContain('нет этапов «finale». Этапы: opening, frame, goal');
    expect(filters).toContain('в опросе нет вопроса «q9»');
    expect(filters).toContain('нужно число дней от 1 до 3650');
    expect(filters).toContain('не знаю фильтра «возраст»');
    const source = uniqueSource();
    await say(who, `источники ${source}`);
    expect(last(who)).toContain(`Сейчас: источники ${source}.`); // the bad lines changed nothing
    await press(who, 'bc:next');
    await press(who, 'bc:abadd');
    await say(who, 'Вариант B');
    await press(who, 'bc:done');
    await press(who, 'bc:nobuttons');
    await say(who, 'веса 50/30/20\nпилот 70');
    expect(last(who)).toBe(
      'Настройки не изменены:\n• Строка 1: нужно 2 веса через «/», по одному на вариант (A/B), например 70/30.\n• Строка 2: доля пилота — от 10 до 50 %.',
    );
    await press(who, 'bc:abok');

    await say(who, '01.12 10:00');
    expect(last(who)).toBe('01.12.2026 10:00 МСК уже прошло (сейчас 01.12.2026 22:40 МСК). Укажите время в будущем или «сейчас».\nПришлите время ещё раз.');
    await say(who, '31.02 10:00');
    expect(last(who)).toContain('Такой даты или времени нет');
    await say(who, 'завтра утром');
    expect(last(who)).toContain('Не понимаю время. Пишите по времени школы (МСК)');
    await say(who, '10.01 09:00'); // January, typed in December: next year's
    expect(last(who)).toContain('Когда: 10.01.2027 09:00 МСК');

    await press(who, 'bc:confirm');
    const [row] = await campaignsNamed('Проверка ввода', who);
    expect(row.content).toEqual({
      items: [
        { kind: 'text', text: 'Первое сообщение' },
        { kind: 'document', file: 'doc-1' },
      ],
      buttons: [[{ text: 'Сайт', url: 'https://school.example.com' }]],
    });
    expect(row.audience).toEqual({ sources: [source] });
    expect(row.ab_test).toMatchObject({ pilotShare: 20, metric: 'click_rate', windowHours: 24, variants: [{ key: 'A', weight: 50 }, { key: 'B', weight: 50, content: { items: [{ kind: 'text', text: 'Вариант B' }] } }] });
  });

  it('a schedule that passes while the preview waits is asked again, not launched late', async () => {
    const who = await editor();
    await walkToPreview(who, uniqueSource(), '02.12 09:00');
    clock = new Date('2026-12-02T06:30:00Z'); // 09:30 in Moscow
    await press(who, 'bc:confirm');
    expect(texts(who).slice(-2)).toEqual([
      'Запланированное время 02.12.2026 09:00 МСК уже прошло, пока вы смотрели предпросмотр. Укажите новое.',
      'Когда отправить? Время школы (МСК): 24.12 10:00, 24.12.2026 10:00 или 2026-12-24 10:00. Или нажмите «Сейчас».',
    ]);
    expect(workflows.started).toEqual([]);
    await say(who, '02.12 12:00');
    await press(who, 'bc:confirm');
    expect(workflows.started).toEqual([{ campaignId: expect.any(Number), scheduledAt: '2026-12-02T09:00:00.000Z' }]);
  });

  it('formatting is kept as the editor wrote it: in the preview and in the campaign; what a bot cannot send is pointed out', async () => {
    const who = await editor();
    await say(who, '/broadcast');
    await say(who, 'С оформлением');
    const entities = [{ type: 'bold', offset: 0, length: 6 }, { type: 'text_link', offset: 9, length: 6, url: 'https://school.example.com/' }];
    await sendMedia(who, { text: 'Жирный и ссылка', entities });
    expect(last(who)).not.toContain('⚠️');
    await sendMedia(who, { photo: [{ file_id: 'ph-f', file_unique_id: 'uf', width: 1, height: 1 }], caption: 'Подпись @anna', caption_entities: [{ type: 'italic', offset: 0, length: 7 }, { type: 'text_mention', offset: 8, length: 5, user: { id: 1, is_bot: false, first_name: 'Anna' } }] });
    expect(last(who)).toContain('⚠️ Упоминания людей без @username и премиум-эмодзи бот отправить не может');
    await press(who, 'bc:done');
    await press(who, 'bc:nobuttons');
    await say(who, `источники ${uniqueSource()}`);
    await press(who, 'bc:next');
    await press(who, 'bc:abskip');
    await say(who, '24.12 10:00');
    expect(fake.callsTo('sendMessage', who).find((c) => c.params.text === 'Жирный и ссылка')!.params.entities).toEqual(entities);
    expect(fake.callsTo('sendPhoto', who).at(-1)!.params.caption_entities).toEqual([{ type: 'italic', offset: 0, length: 7 }]);
    await press(who, 'bc:confirm');
    const [row] = await campaignsNamed('С оформлением', who);
    expect(row.content.items).toEqual([
      { kind: 'text', text: 'Жирный и ссылка', entities },
      { kind: 'photo', file: 'ph-f', caption: 'Подпись @anna', captionEntities: [{ type: 'italic', offset: 0, length: 7 }] },
    ]);
  });

  it('a draft stored by another version of the bot is dropped with a word, not left to swallow messages', async () => {
    const who = await editor();
    await db('staff_dialogs').insert({ telegram_user_id: who, kind: 'flow', key: 'broadcast_composer', state: JSON.stringify({ step: 'somewhere_new' }) });
    await say(who, 'Текст');
    expect(last(who)).toBe('Черновик рассылки не прочитать (бот обновился?). Начните заново: /broadcast.');
    expect(await dialogOf(db, who)).toBeUndefined();
  });

  it('when Temporal does not answer, the editor is told and the draft stays for another try', async () => {
    const who = await editor();
    await walkToPreview(who, uniqueSource());
    workflows.failures = 3; // the first try and both retries
    await press(who, 'bc:confirm');
    expect(last(who)).toContain('⚠️ Рассылку не удалось запустить');
    expect((await dialogOf(db, who))?.kind).toBe('flow');
    await press(who, 'bc:confirm');
    expect(last(who)).toMatch(/^✅ Рассылка №\d+ «Короткая рассылка» создана/);
    const rows = await db('campaigns').where({ name: 'Короткая рассылка', created_by: who }).orderBy('id').pluck('status');
    expect(rows).toEqual(['cancelled', 'scheduled']); // the failed attempt stays on record, cancelled
    expect(workflows.started).toHaveLength(1);
  });
});

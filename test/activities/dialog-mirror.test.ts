import { Api } from 'grammy';
import pino from 'pino';
import { createDialogMirrorActivities, type DialogMirrorDeps } from '../../activities/dialog-mirror';
import { createLeadsActivities } from '../../activities/leads';
import { createTelegramActivities } from '../../activities/telegram';
import type { Db } from '../../db/knex';
import { FakeTelegramServer } from '../fakes/telegram-server';
import { testDb, uniqueUserId } from '../support/db';
import { text, toEvent, type TestUser } from '../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
const logger = pino({ level: 'silent' });
/** Telegram's 20 a minute in one group, with the minute shortened to 3 s so a burst takes seconds, not minutes. */
const WINDOW_MS = 3000;
const GROUP_LIMIT = { messagesPerWindow: 20, windowMs: WINDOW_MS };
/** The mirror's default pace (18 a minute) on the same shortened minute. */
const POSTS_PER_MINUTE = 18 * (60_000 / WINDOW_MS);

let fake: FakeTelegramServer;
let db: Db;
let nextChat = -100_500_000_000 - Math.floor(Math.random() * 1_000_000) * 10;

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN, groupLimit: GROUP_LIMIT });
  db = testDb();
});

afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});

afterEach(() => fake.clearFailures());

const api = () => new Api(TOKEN, { apiRoot: fake.apiRoot });
const telegram = () => createTelegramActivities({ api: api(), db, logger });
const leads = () => createLeadsActivities({ db, logger });

/** A forum group of its own per test (the mirror's state is per group) and a mirror posting into it. */
async function forum(options: Partial<DialogMirrorDeps> = {}) {
  const chatId = --nextChat;
  fake.addGroup(chatId, 'Диалоги', { forum: true });
  const mirror = createDialogMirrorActivities({
    db,
    api: api(),
    logger,
    telegram: telegram(),
    dialogsChatId: chatId,
    postsPerMinute: POSTS_PER_MINUTE,
    timing: { batchWindowMs: 400, settleMs: 100 },
    ...options,
  });
  await mirror.mirrorDialogs({ budgetMs: 0 }); // the mirror starts at the log's end, as when it is switched on
  /** Runs passes until `done` holds (a pass returns as soon as nothing is due). */
  const until = async (done: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> => {
    const giveUp = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > giveUp) throw new Error('the mirror did not get there in time');
      const pass = await mirror.mirrorDialogs({ budgetMs: 1000 });
      if (pass.waitMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(pass.waitMs, 100)));
    }
  };
  return { chatId, mirror, until };
}

async function newLead(first_name = 'Анна'): Promise<{ user: TestUser; leadId: number }> {
  const user: TestUser = { id: uniqueUserId(), first_name, username: `u${Date.now() % 100000}`, language_code: 'ru' };
  const { leadId } = await leads().recordInbound(text(user, 'Здравствуйте, хочу на курс'));
  return { user, leadId };
}

const posts = (chatId: number, threadId: number) => fake.topicMessages(chatId, threadId).filter((m) => !m.forum_topic_created);
const topicOf = (chatId: number, leadId: number) => fake.forumTopics(chatId).find((t) => t.name.endsWith(`#${leadId}`));

describe('the live dialogs mirror', () => {
  it('opens one topic per lead, named after them, with the lead card and its buttons as the first post', async () => {
    const { chatId, until } = await forum();
    const lead = await newLead('Анна');
    await until(() => posts(chatId, topicOf(chatId, lead.leadId)?.threadId ?? -1).length >= 2);
    await leads().recordInbound(text(lead.user, 'И ещё вопрос'));
    await until(() => posts(chatId, topicOf(chatId, lead.leadId)!.threadId).length >= 3);

    const topics = fake.forumTopics(chatId);
    expect(topics).toHaveLength(1);
    expect(topics[0].name).toBe(`Анна @${lead.user.username} #${lead.leadId}`);
    const [card, first, second] = posts(chatId, topics[0].threadId);
    expect(String(card.text)).toContain('Анна');
    const buttons = (card.reply_markup as { inline_keyboard: { text: string }[][] }).inline_keyboard.flat().map((b) => b.text);
    expect(buttons).toEqual(expect.arrayContaining(['🙋 Взять диалог', '✍️ Написать']));
    expect(String(first.text)).toContain('👤 Анна:\nЗдравствуйте, хочу на курс');
    expect(String(second.text)).toContain('И ещё вопрос');
  });

  it("posts the lead's, the bot's and a manager's messages with who wrote them, a window's messages in one post", async () => {
    const { chatId, until } = await forum();
    const lead = await newLead('Борис');
    await until(() => posts(chatId, topicOf(chatId, lead.leadId)?.threadId ?? -1).length >= 2);
    const send = telegram();
    await send.sendToLead({ outboundId: `t-${lead.user.id}/1`, leadId: lead.leadId, chatId: lead.user.id, content: { type: 'text', text: 'Какой курс вам интересен?' } });
    await leads().recordInbound(text(lead.user, 'Английский'));
    await send.sendToLead({ outboundId: `t-${lead.user.id}/2`, leadId: lead.leadId, chatId: lead.user.id, direction: 'manager', content: { type: 'text', text: 'Я менеджер Ольга, помогу.' } });
    const threadId = topicOf(chatId, lead.leadId)!.threadId;
    await until(() => posts(chatId, threadId).length >= 3);

    const batch = String(posts(chatId, threadId)[2].text);
    expect(batch).toBe(['🤖 Бот:\nКакой курс вам интересен?', '👤 Борис:\nАнглийский', '👔 Менеджер:\nЯ менеджер Ольга, помогу.'].join('\n\n'));
    // Nothing more comes: every message was posted once.
    await new Promise((resolve) => setTimeout(resolve, 600));
    await until(async () => true);
    expect(posts(chatId, threadId)).toHaveLength(3);
  });

  it("copies a lead's photo into the topic as it is, with who sent it as the caption, between the text posts", async () => {
    const { chatId, until } = await forum();
    const lead = await newLead('Зоя');
    await until(() => posts(chatId, topicOf(chatId, lead.leadId)?.threadId ?? -1).length >= 2);
    const photo = fake.pushFile(lead.user, 'photo', { name: 'check.jpg', content: Buffer.from('jpeg') }, 'чек об оплате');
    await leads().recordInbound(toEvent(fake.pushedUpdate(photo)));
    await leads().recordInbound(text(lead.user, 'Оплатила'));
    const threadId = topicOf(chatId, lead.leadId)!.threadId;
    await until(() => posts(chatId, threadId).length >= 4);

    const [, , copied, after] = posts(chatId, threadId);
    expect(copied.photo).toBeDefined();
    expect(copied.caption).toBe('👤 Зоя:\n[photo] чек об оплате');
    expect(String(after.text)).toBe('👤 Зоя:\nОплатила');
  });

  it('a burst of many leads stays within the group limit, with no 429, and catches up', async () => {
    const { chatId, until } = await forum();
    const before = fake.tooManyRequests;
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => newLead(`Лид${i}`)));
    const started = Date.now();
    await until(() => burst.every((l) => posts(chatId, topicOf(chatId, l.leadId)?.threadId ?? -1).length >= 2), 60_000);

    // 12 topics + 12 cards + 12 batches, paced: never more than the limit in any window.
    const times = fake.calls.filter((c) => c.params.chat_id === chatId && c.result !== undefined).map((c) => c.at).sort((a, b) => a - b);
    expect(times).toHaveLength(36);
    const busiest = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + WINDOW_MS).length));
    expect(busiest).toBeLessThanOrEqual(GROUP_LIMIT.messagesPerWindow);
    expect(fake.tooManyRequests - before).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(WINDOW_MS); // it fell behind rather than pushing
  });

  it('a 429 holds the group and the mirror catches up afterwards, posting nothing twice', async () => {
    const { chatId, until } = await forum();
    const lead = await newLead('Вера');
    await until(() => posts(chatId, topicOf(chatId, lead.leadId)?.threadId ?? -1).length >= 2);
    fake.failNext('sendMessage', { code: 429, retryAfter: 1 });
    await leads().recordInbound(text(lead.user, 'Сколько стоит?'));
    await until(() => posts(chatId, topicOf(chatId, lead.leadId)!.threadId).length >= 3);
    const texts = posts(chatId, topicOf(chatId, lead.leadId)!.threadId).map((m) => String(m.text));
    expect(texts.filter((t) => t.includes('Сколько стоит?'))).toHaveLength(1);
    const { held_until } = await db('dialog_mirror').where({ chat_id: chatId }).first();
    expect(new Date(held_until).getTime()).toBeGreaterThan(Date.now() - 10_000);
  });

  it('a batch planned by a pass that died is posted once, under the same id, and later messages follow', async () => {
    const { chatId, mirror, until } = await forum();
    const lead = await newLead('Глеб');
    await until(() => posts(chatId, topicOf(chatId, lead.leadId)?.threadId ?? -1).length >= 2);
    await leads().recordInbound(text(lead.user, 'первое'));
    const threadId = topicOf(chatId, lead.leadId)!.threadId;
    await until(() => posts(chatId, threadId).length >= 3);
    // As if the pass died after the post and before moving the cursor: the plan is back, the cursor behind.
    const { mirrored_through } = await db('dialog_topics').where({ lead_id: lead.leadId }).first();
    const last = await db('messages').where({ lead_id: lead.leadId, chat_id: lead.user.id }).max('id as id').first();
    await db('dialog_topics').where({ lead_id: lead.leadId }).update({ mirrored_through: Number(last!.id) - 1, posting_from: last!.id, posting_through: last!.id });
    expect(Number(mirrored_through)).toBe(Number(last!.id));
    await leads().recordInbound(text(lead.user, 'второе'));
    await until(() => posts(chatId, threadId).length >= 4);
    await mirror.mirrorDialogs({ budgetMs: 500 });
    const texts = posts(chatId, threadId).map((m) => String(m.text));
    expect(texts.filter((t) => t.includes('первое'))).toHaveLength(1);
    expect(texts.filter((t) => t.includes('второе'))).toHaveLength(1);
  });

  it('a group that is not a forum is refused with 400, and the mirror holds instead of retrying at once', async () => {
    const chatId = --nextChat;
    fake.addGroup(chatId, 'Обычная группа');
    const mirror = createDialogMirrorActivities({ db, api: api(), logger, telegram: telegram(), dialogsChatId: chatId, postsPerMinute: POSTS_PER_MINUTE, timing: { batchWindowMs: 100, settleMs: 50 } });
    await mirror.mirrorDialogs({ budgetMs: 0 });
    await newLead('Дина');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await mirror.mirrorDialogs({ budgetMs: 2000 });
    const refused = fake.calls.filter((c) => c.method === 'createForumTopic' && c.params.chat_id === chatId);
    expect(refused).toHaveLength(1);
    expect(refused[0].error).toEqual({ error_code: 400, description: 'Bad Request: the chat is not a forum' });
    const pass = await mirror.mirrorDialogs({ budgetMs: 500 });
    expect(pass.waitMs).toBeGreaterThan(1000);
  });

  it('is off without DIALOGS_CHAT_ID', async () => {
    const mirror = createDialogMirrorActivities({ db, api: api(), logger, telegram: telegram() });
    expect(await mirror.mirrorDialogs()).toEqual({ disabled: true, posted: 0, waitMs: 0 });
  });
});

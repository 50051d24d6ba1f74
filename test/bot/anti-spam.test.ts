import type { Update } from 'grammy/types';
import pino from 'pino';
import type { AntiSpamDeps } from '../../bot/anti-spam';
import { createBot, type BotDeps } from '../../bot/bot';
import type { Db } from '../../db/knex';
import { upsertLead } from '../../db/leads';
import { setStaffRole } from '../../db/staff';
import type { InboundEvent } from '../../domain/inbound-event';
import { FakeTelegramServer } from '../fakes/telegram-server';
import { testDb, uniqueUserId } from '../support/db';
import { recordingPayments } from '../support/security-bot';
import { textUpdate, type TestUser } from '../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const silent = pino({ level: 'silent' });
let fake: FakeTelegramServer;
let db: Db;
const owner = uniqueUserId();
let delivered: InboundEvent[];
/** The bots' clock: tests move it instead of waiting. */
let clock = Date.UTC(2026, 11, 1, 9, 0, 0);

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  db = testDb();
});
afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});
beforeEach(() => {
  delivered = [];
});

/** A new bot for every update: nothing about a mute may live in the memory of one instance. */
async function freshBot(more: Pick<BotDeps, 'payments'> = {}, spam: Pick<AntiSpamDeps, 'managersChatId' | 'whitelist'> = {}) {
  const bot = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    logger: silent,
    conversations: { deliver: async (event) => void delivered.push(event) },
    staff: { db, owners: [owner], logger: silent, managersChatId: spam.managersChatId },
    antiSpam: { db, owners: [owner], logger: silent, now: () => new Date(clock), timeZone: 'Europe/Moscow', ...spam },
    ...more,
  });
  await bot.init();
  return bot;
}

const lead = (username?: string): TestUser => ({ id: uniqueUserId(), first_name: 'Лид', ...(username ? { username } : {}) });
const say = async (from: TestUser, text: string) => (await freshBot()).handleUpdate(textUpdate(from, text) as unknown as Update);
/** `count` messages, `stepMs` apart on the bots' clock. */
async function flood(from: TestUser, count: number, stepMs: number, text = (i: number) => `сообщение ${i}`) {
  for (let i = 0; i < count; i += 1) {
    await say(from, text(i));
    clock += stepMs;
  }
}
const deliveredFrom = (who: TestUser) => delivered.filter((e) => e.from.id === who.id);
const notices = (who: TestUser) => fake.callsTo('sendMessage', who.id).map((c) => String(c.params.text));
const dropped = (who: TestUser) => db('dropped_updates').where({ telegram_user_id: who.id }).orderBy('id');

describe('anti-spam and money', () => {
  it('a Stars payment from a muted lead is never dropped: it reaches the payments', async () => {
    const payer = lead();
    await flood(payer, 8, 1_000); // muted for 2 hours
    expect(notices(payer)).toHaveLength(1);
    const payments = recordingPayments();
    const bot = await freshBot({ payments: { db, owners: [owner], logger: silent, workflows: payments } });
    const { updateId, chargeId } = fake.pushSuccessfulPayment(payer, { payload: 'order:987654320', total_amount: 250 });
    await bot.handleUpdate(fake.pushedUpdate(updateId));

    expect(payments.asked).toEqual([expect.stringMatching(new RegExp(`^paidForNoOrder \\[\\d+,"${chargeId}"\\]$`))]);
    expect(await db('payment_flags').where({ payment_ref: chargeId }).first('payer_telegram_id')).toEqual({ payer_telegram_id: payer.id });
    expect((await dropped(payer)).map((r) => r.update_id)).not.toContain(updateId);
  });
});

describe('anti-spam for leads', () => {
  it('8 messages in 10 s mute the lead for 2 hours: told once, every dropped update recorded, free again after the mute', async () => {
    const spammer = lead();
    await flood(spammer, 8, 1_000);
    expect(deliveredFrom(spammer)).toHaveLength(7);
    expect(notices(spammer)).toEqual([expect.stringMatching(/^⏸ Слишком много сообщений подряд\. Я снова отвечу через 2 ч/)]);

    clock += HOUR;
    await flood(spammer, 3, 60_000);
    expect(deliveredFrom(spammer)).toHaveLength(7);
    expect(notices(spammer)).toHaveLength(1); // told once, not on every dropped message
    const rows = await dropped(spammer);
    expect(rows.map((r) => r.reason)).toEqual(['flood:burst', 'muted', 'muted', 'muted']);
    expect(rows[0].update.message.text).toBe('сообщение 7'); // kept whole: nothing silently lost
    const [event] = await db('events').where({ type: 'muted' }).whereRaw(`payload->>'telegramUserId' = ?`, [String(spammer.id)]);
    expect(event.payload).toMatchObject({ reason: 'burst', hours: 2, level: 1 });

    clock += HOUR;
    await say(spammer, 'я снова здесь');
    expect(deliveredFrom(spammer).at(-1)).toMatchObject({ kind: 'text', text: 'я снова здесь' });
  });

  it('a repeat gives 4 hours; after 14 quiet days the level starts over at 2 hours', async () => {
    const spammer = lead();
    await flood(spammer, 8, 500);
    clock += 2 * HOUR;
    await flood(spammer, 8, 500);
    expect(notices(spammer).at(-1)).toMatch(/через 4 ч/);

    clock += 4 * HOUR + 14 * DAY;
    await flood(spammer, 8, 500);
    expect(notices(spammer).at(-1)).toMatch(/через 2 ч/);
    expect(notices(spammer)).toHaveLength(3);
  });

  it('5 identical messages in 30 s mute; a button press while muted is answered and recorded', async () => {
    const spammer = lead();
    await flood(spammer, 5, 6_000, () => 'КУПИТЬ');
    expect(deliveredFrom(spammer)).toHaveLength(4);
    expect(notices(spammer).at(-1)).toMatch(/через 2 ч/);
    expect((await dropped(spammer)).map((r) => r.reason)).toEqual(['flood:duplicates']);

    const bot = await freshBot();
    // Through the fake, so it knows the query and accepts exactly one answer, like Telegram.
    const updateId = fake.pushCallback(spammer, 'goto:bonus', { message_id: 1 });
    const [update] = await bot.api.getUpdates({ offset: updateId, limit: 1, timeout: 0 });
    await bot.handleUpdate(update);
    expect(deliveredFrom(spammer)).toHaveLength(4);
    const answer = fake.callsTo('answerCallbackQuery').at(-1);
    expect(String(answer?.params.text)).toMatch(/^⏸ Пауза до/);
    expect((await dropped(spammer)).map((r) => r.reason)).toEqual(['flood:duplicates', 'muted']);
  });

  it('staff of any role are never muted', async () => {
    const manager = lead();
    await setStaffRole(db, manager.id, 'manager', owner);
    await flood(manager, 25, 100, () => 'одно и то же');
    await flood({ id: owner, first_name: 'Owner' }, 10, 100);
    // Nothing dropped: every message reaches the staff features (staff never enter the lead flow, so
    // each is answered with the pointer to /help instead of a mute notice).
    expect(await dropped(manager)).toEqual([]);
    expect(await dropped({ id: owner, first_name: 'Owner' })).toEqual([]);
    expect(notices(manager)).toHaveLength(25);
    expect(notices(manager).every((text) => text.includes('/help'))).toBe(true);
    expect(delivered).toEqual([]);
  });

  it('a mute survives a new bot instance over the same database', async () => {
    const spammer = lead();
    await flood(spammer, 8, 100);
    const restarted = await freshBot();
    await restarted.handleUpdate(textUpdate(spammer, 'после перезапуска') as unknown as Update);
    expect(deliveredFrom(spammer).map((e) => (e.kind === 'text' ? e.text : ''))).not.toContain('после перезапуска');
    expect((await dropped(spammer)).at(-1)?.reason).toBe('muted');
  });

  it('a manager lifts the mute by @username and resets the level; recorded', async () => {
    const spammer = lead(`flooder_${uniqueUserId()}`);
    await upsertLead(db, { id: spammer.id, firstName: 'Лид', username: spammer.username }, spammer.id);
    const manager = lead();
    await setStaffRole(db, manager.id, 'manager', owner);
    await flood(spammer, 8, 100);
    clock += 3 * HOUR;
    await flood(spammer, 8, 100); // second mute: 4 hours
    expect(notices(spammer).at(-1)).toMatch(/через 4 ч/);

    await say(manager, `/unmute @${spammer.username}`);
    expect(notices(manager).at(-1)).toBe(`✅ ${spammer.id}: ограничение снято, уровень сброшен (был 2).`);
    await say(spammer, 'спасибо');
    expect(deliveredFrom(spammer).at(-1)).toMatchObject({ text: 'спасибо' });
    clock += 60_000;
    await flood(spammer, 8, 100);
    expect(notices(spammer).at(-1)).toMatch(/через 2 ч/); // the level was reset
    const [audit] = await db('staff_audit').where({ actor_telegram_id: manager.id, command: 'unmute' });
    expect(audit).toMatchObject({ allowed: true, actor_role: 'manager' });
    expect(audit.details).toMatchObject({ target: spammer.id, before: { level: 2 } });
  });

  it('a lead cannot unmute anyone (not even themselves): refused, recorded, not passed on', async () => {
    const spammer = lead();
    await flood(spammer, 8, 100);
    const other = lead();
    await say(other, `/unmute ${spammer.id}`);
    expect(notices(other)).toEqual(['⛔ Снимать ограничения могут менеджеры и выше. Попытка записана.']);
    expect(deliveredFrom(other)).toEqual([]);
    const [audit] = await db('staff_audit').where({ actor_telegram_id: other.id });
    expect(audit).toMatchObject({ command: 'unmute', allowed: false, reason: 'not staff' });
    clock += 60_000;
    await say(spammer, 'ещё');
    expect((await dropped(spammer)).at(-1)?.reason).toBe('muted');
  });

  it('unmute with bad input gets the usage; an unknown username is named', async () => {
    await say({ id: owner, first_name: 'Owner' }, '/unmute');
    expect(notices({ id: owner, first_name: '' }).at(-1)).toMatch(/^Как снять ограничение/);
    await say({ id: owner, first_name: 'Owner' }, '/unmute @nobody_here_at_all');
    expect(notices({ id: owner, first_name: '' }).at(-1)).toBe('Лид «@nobody_here_at_all» не найден.');
  });
});

describe('anti-spam and the managers', () => {
  const MANAGERS = -100777;
  const managed = { managersChatId: MANAGERS };
  async function floodManaged(from: TestUser, count: number) {
    for (let i = 0; i < count; i += 1) {
      await (await freshBot({}, managed)).handleUpdate(textUpdate(from, `сообщение ${i}`) as unknown as Update);
      clock += 100;
    }
  }
  /** A press on the managers' chat notice, through the fake so it accepts one answer. */
  async function pressInManagersChat(who: TestUser, data: string, messageId: number, text: string) {
    const bot = await freshBot({}, managed);
    const updateId = fake.pushUpdate({
      callback_query: { id: `mute-${who.id}-${messageId}-${clock}`, from: { is_bot: false, ...who }, chat_instance: 'm', data, message: { message_id: messageId, date: 0, text, chat: { id: MANAGERS, type: 'supergroup', title: 'Менеджеры' } } },
    } as never);
    await bot.handleUpdate(fake.pushedUpdate(updateId));
  }

  it('the managers are told of a mute with an Unmute button; only staff can press it, the press is recorded and lifts the mute', async () => {
    const spammer = { ...lead('fast_typer'), first_name: 'Пётр' };
    await floodManaged(spammer, 8);
    const [notice] = fake.callsTo('sendMessage', MANAGERS).filter((c) => String(c.params.text).includes(String(spammer.id)));
    expect(String(notice.params.text)).toMatch(/^🔇 Антиспам заглушил лида Пётр @fast_typer id \d+ на 2 ч/);
    const button = (notice.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard[0][0];
    expect(button).toEqual({ text: '🔈 Снять ограничение', callback_data: `unmute:${spammer.id}` });
    const messageId = Number((notice.result as { message_id: number }).message_id);

    const stranger = lead();
    await pressInManagersChat(stranger, button.callback_data, messageId, String(notice.params.text));
    expect(await db('staff_audit').where({ actor_telegram_id: stranger.id }).first()).toMatchObject({ command: 'unmute', allowed: false });
    clock += 1000;
    await say(spammer, 'ещё');
    expect((await dropped(spammer)).at(-1)?.reason).toBe('muted');

    const manager = lead();
    await setStaffRole(db, manager.id, 'manager', owner);
    await pressInManagersChat(manager, button.callback_data, messageId, String(notice.params.text));
    const [audit] = await db('staff_audit').where({ actor_telegram_id: manager.id, command: 'unmute' });
    expect(audit).toMatchObject({ allowed: true, actor_role: 'manager' });
    expect(audit.details).toMatchObject({ target: spammer.id, via: 'button', before: { level: 1 } });
    expect(String(fake.callsTo('editMessageText', MANAGERS).at(-1)?.params.text)).toContain(`✅ Ограничение снято (${manager.id})`);
    clock += 1000;
    await say(spammer, 'я больше не буду');
    expect(deliveredFrom(spammer).at(-1)).toMatchObject({ text: 'я больше не буду' });
  });

  it('a whitelisted account (ANTI_SPAM_WHITELIST) is never muted', async () => {
    const tester = lead();
    const listed = { ...managed, whitelist: [tester.id] };
    for (let i = 0; i < 20; i += 1) {
      await (await freshBot({}, listed)).handleUpdate(textUpdate(tester, 'одно и то же') as unknown as Update);
      clock += 100;
    }
    expect(deliveredFrom(tester)).toHaveLength(20);
    expect(await dropped(tester)).toEqual([]);
    expect(fake.callsTo('sendMessage', MANAGERS).filter((c) => String(c.params.text).includes(String(tester.id)))).toEqual([]);
  });
});

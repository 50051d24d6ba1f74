import type { Update } from 'grammy/types';
import pino from 'pino';
import { createBot } from '../../../bot/bot';
import { createBooking } from '../../../db/bookings';
import { recordEvent } from '../../../db/events';
import type { Db } from '../../../db/knex';
import { upsertLead, type LeadRow } from '../../../db/leads';
import { recordInboundMessage } from '../../../db/messages';
import { setStaffRole } from '../../../db/staff';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { testDb, uniqueUserId } from '../../support/db';
import { textUpdate } from '../../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
const silent = pino({ level: 'silent' });
let fake: FakeTelegramServer;
let db: Db;
const owner = uniqueUserId();
const manager = uniqueUserId();
const delivered: unknown[] = [];

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  db = testDb();
  await setStaffRole(db, manager, 'manager', owner);
});
afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});

async function ask(from: number, text: string): Promise<string> {
  const bot = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    logger: silent,
    conversations: { deliver: async (event) => void delivered.push(event) },
    leadCard: { db, owners: [owner], logger: silent, timeZone: 'Europe/Moscow' },
  });
  await bot.init();
  const before = fake.callsTo('sendMessage', from).length;
  await bot.handleUpdate(textUpdate({ id: from, first_name: 'Staff' }, text) as unknown as Update);
  return fake
    .callsTo('sendMessage', from)
    .slice(before)
    .map((c) => String(c.params.text))
    .join('\n');
}

/** A lead with a history: survey outcome, phone, messages both ways, events and a booking. */
async function leadWithHistory(overrides: Partial<{ phone: string }> = {}): Promise<LeadRow & { phone: string }> {
  const id = uniqueUserId();
  const lead = await upsertLead(db, { id, firstName: 'Анна', lastName: 'Смирнова', username: `anna_${id}`, languageCode: 'ru' }, id, { source: 'ads_vk' });
  const phone = overrides.phone ?? `+7912${String(id).slice(-7).padStart(7, '0')}`;
  await db('leads').where({ id: lead.id }).update({ phone, email: 'anna@example.com', segment: 'warm', score: 8, stage: 'consideration' });
  await recordInboundMessage(db, { leadId: lead.id, chatId: id, updateId: id * 10, text: 'Сколько стоит курс?', payload: {} });
  await db('messages').insert({ lead_id: lead.id, chat_id: id, direction: 'out', text: 'Курс стоит 49 900 ₽.', status: 'sent', outbound_id: `card-${id}` });
  await recordEvent(db, { leadId: lead.id, type: 'survey_completed' });
  await createBooking(db, { leadId: lead.id, startsAt: '2030-12-02T11:00:00Z', idempotencyKey: `card-booking-${id}` });
  return { ...lead, phone };
}

describe('/lead: search and card', () => {
  it('a manager finds a lead by @username and reads the card: profile, segment, score, stage, messages, events, bookings', async () => {
    const lead = await leadWithHistory();
    const card = await ask(manager, `/lead @${lead.username}`);
    expect(card).toContain(`👤 Анна Смирнова (@${lead.username}) · id ${lead.telegram_user_id}`);
    expect(card).toContain(`📞 ${lead.phone} · ✉️ anna@example.com · язык ru · источник ads_vk`);
    expect(card).toContain('Сегмент: warm · балл: 8/13 · стадия: consideration · режим: bot');
    expect(card).toContain('Отписан: нет · заблокировал бота: нет · ограничен: нет');
    expect(card).toMatch(/← \d\d\.\d\d\.\d\d, \d\d:\d\d Сколько стоит курс\?/);
    expect(card).toMatch(/→ .* Курс стоит 49 900 ₽\./);
    expect(card).toMatch(/📌 События:\n.* survey_completed/);
    expect(card).toContain('📅 Консультации:\n02.12.30, 14:00 — scheduled'); // Moscow time
    expect(delivered).toEqual([]); // a staff command never reaches the lead flow
  });

  it('finds by telegram id and by phone in any usual spelling; names what it cannot find', async () => {
    const lead = await leadWithHistory();
    expect(await ask(manager, `/lead ${lead.telegram_user_id}`)).toContain(`id ${lead.telegram_user_id}`);
    const digits = lead.phone.slice(2);
    expect(await ask(manager, `/lead 8 (${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6, 8)}-${digits.slice(8)}`)).toContain(`id ${lead.telegram_user_id}`);
    expect(await ask(manager, `/lead 8${digits}`)).toContain(`id ${lead.telegram_user_id}`);
    expect(await ask(manager, '/lead @nobody_like_this')).toBe('Лид «@nobody_like_this» не найден.');
    expect(await ask(manager, '/lead')).toMatch(/^Как найти лида/);
    expect(await ask(manager, '/lead ???')).toMatch(/^Как найти лида/);
  });

  it('two leads with one phone: both listed to choose from', async () => {
    const first = await leadWithHistory();
    const second = await leadWithHistory({ phone: first.phone });
    const answer = await ask(manager, `/lead ${first.phone}`);
    expect(answer).toMatch(/^Нашлось несколько лидов/);
    expect(answer).toContain(`• ${first.telegram_user_id} Анна`);
    expect(answer).toContain(`• ${second.telegram_user_id} Анна`);
  });

  it("the card lists the lead's handoffs (who took them, how they ended) and orders", async () => {
    const lead = await leadWithHistory();
    await db('handoffs').insert({ workflow_id: `handoff-${lead.id}-1`, lead_id: lead.id, trigger: 'purchase_intent', priority: 90, status: 'closed', manager_name: '@oleg', outcome: 'paid', reason: 'оплатил курс' });
    const [product] = await db('products').where({ active: true }).limit(1).select('id', 'name');
    const [order] = await db('orders').insert({ lead_id: lead.id, product_id: product.id, type: 'instalment', method: 'link', amount: 333.33, currency: 'USD', status: 'paid' }).returning('id');
    const card = await ask(manager, `/lead ${lead.telegram_user_id}`);
    expect(card).toContain('🧑‍💼 Обращения к менеджерам:');
    expect(card).toMatch(/purchase_intent: closed, @oleg → paid \(оплатил курс\)/);
    expect(card).toContain(`№${order.id} ${product.name}, instalment, 333.33 USD — paid`);
    // Open payment flags under their order, each on its own line; a settled one is not shown.
    await db('payment_flags').insert([
      { order_id: order.id, reason: 'amount 100 instead of 333.33' },
      { order_id: order.id, reason: 'second charge pay_2' },
      { order_id: order.id, reason: 'settled one', resolved_at: new Date(), resolved_by: manager, resolution: 'refund made at the provider' },
    ]);
    const flagged = await ask(manager, `/lead ${lead.telegram_user_id}`);
    expect(flagged).toContain(`№${order.id} ${product.name}, instalment, 333.33 USD — paid\n  🚩 amount 100 instead of 333.33\n  🚩 second charge pay_2`);
    expect(flagged).not.toContain('settled one');
  });

  it('the card lists the campaigns the lead received: name, variant, status and reason, the last 10, newest first', async () => {
    const lead = await leadWithHistory();
    const campaign = async (name: string) => (await db('campaigns').insert({ name, content: JSON.stringify({ text: name }), audience: JSON.stringify({}), status: 'completed' }).returning('id'))[0].id;
    await db('campaign_deliveries').insert([
      { campaign_id: await campaign('Старт потока'), lead_id: lead.id, status: 'sent', sent_at: '2030-11-01T09:00:00Z' },
      { campaign_id: await campaign('Чёрная пятница'), lead_id: lead.id, variant: 'B', status: 'sent', sent_at: '2030-11-29T12:30:00Z' },
      { campaign_id: await campaign('Вебинар'), lead_id: lead.id, status: 'skipped', reason: 'with_manager', created_at: '2030-11-15T08:00:00Z' },
    ]);
    const card = await ask(manager, `/lead ${lead.telegram_user_id}`);
    expect(card).toContain(
      ['📣 Рассылки:', '29.11.30, 15:30 «Чёрная пятница» (вариант B) — sent', '15.11.30, 11:00 «Вебинар» — skipped (with_manager)', '01.11.30, 12:00 «Старт потока» — sent'].join('\n'),
    );

    for (let i = 1; i <= 10; i++) {
      await db('campaign_deliveries').insert({ campaign_id: await campaign(`Серия ${i}`), lead_id: lead.id, status: 'failed', reason: 'timeout', sent_at: `2030-12-${String(i).padStart(2, '0')}T09:00:00Z` });
    }
    const longer = await ask(manager, `/lead ${lead.telegram_user_id}`);
    const section = longer.slice(longer.indexOf('📣 Рассылки:')).split('\n').slice(1, 12);
    expect(section[0]).toBe('10.12.30, 12:00 «Серия 10» — failed (timeout)');
    expect(section.filter((line) => line.includes('«Серия')).length).toBe(10);
    expect(longer).not.toContain('Старт потока');
  });

  it('a lead no campaign reached shows the section empty', async () => {
    const lead = await leadWithHistory();
    expect(await ask(manager, `/lead ${lead.telegram_user_id}`)).toContain('📣 Рассылки:\n—');
  });

  it('a muted lead shows the mute', async () => {
    const lead = await leadWithHistory();
    await db('spam_guard').insert({ telegram_user_id: lead.telegram_user_id, level: 1, muted_until: new Date(Date.now() + 3_600_000) });
    expect(await ask(manager, `/lead ${lead.telegram_user_id}`)).toMatch(/ограничен: до \d\d\.\d\d/);
  });

  it('a lead cannot search: refused, recorded, not passed on', async () => {
    const lead = await leadWithHistory();
    const stranger = uniqueUserId();
    expect(await ask(stranger, `/lead @${lead.username}`)).toBe('⛔ Это доступно менеджерам и выше. Попытка записана.');
    expect(await db('staff_audit').where({ actor_telegram_id: stranger }).first()).toMatchObject({ command: 'lead', allowed: false, reason: 'not staff' });
    const [search] = await db('staff_audit').where({ actor_telegram_id: manager, command: 'lead', allowed: true }).limit(1);
    expect(search.details).toHaveProperty('query');
    expect(delivered).toEqual([]);
  });
});

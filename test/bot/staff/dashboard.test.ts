import type { Update } from 'grammy/types';
import pino from 'pino';
import { createBot } from '../../../bot/bot';
import type { Db } from '../../../db/knex';
import { setStaffRole } from '../../../db/staff';
import type { InboundEvent } from '../../../domain/inbound-event';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { DAY, HOUR, seedJourney } from '../../support/analytics-seed';
import { uniqueUserId } from '../../support/db';
import { ownDatabase } from '../../support/own-database';
import { textUpdate } from '../../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
const REFUSED = '⛔ Аналитика доступна менеджерам и выше. Попытка записана.';
let fake: FakeTelegramServer;
let db: Db;
const owner = uniqueUserId();
const delivered: InboundEvent[] = [];

/**
 * Rows in the real `handoffs` and `orders` tables: A's handoff taken after 120 s and F's waiting;
 * A paid 1000 RUB a day ago, F 30 USD two days ago, E 200 USD 45 days ago (within 90 days only).
 */
async function seedHandoffsAndOrders(ids: Awaited<ReturnType<typeof seedJourney>>, now: number): Promise<void> {
  const at = (ago: number) => new Date(now - ago);
  await db('handoffs').insert([
    { workflow_id: 'handoff-bot-A', lead_id: ids.A, trigger: 'purchase_intent', priority: 90, status: 'taken', created_at: at(DAY), taken_at: at(DAY - 120_000) },
    { workflow_id: 'handoff-bot-F', lead_id: ids.F, trigger: 'manager_requested', priority: 70, status: 'waiting', created_at: at(2 * DAY) },
  ]);
  const [product] = await db('products')
    .insert({ code: 'bot-course', name: 'Course', description: 'A course', price: 1000, currency: 'RUB', budget_level: 1, urgency_level: 1 })
    .returning('id');
  const paid = (leadId: number, amount: number, currency: string, ago: number) => ({
    lead_id: leadId,
    product_id: product.id,
    type: 'full',
    method: 'link',
    amount,
    currency,
    status: 'paid',
    paid_via: 'webhook',
    created_at: at(ago + HOUR),
    paid_at: at(ago),
  });
  const [orderA] = await db('orders').insert([paid(ids.A, 1000, 'RUB', DAY), paid(ids.F, 30, 'USD', 2 * DAY), paid(ids.E, 200, 'USD', 45 * DAY)]).returning('id');
  // B paid 2500 RUB and got it back an hour ago (a provider refund recorded with /refund_done): a refund, not a sale.
  await db('orders').insert({ ...paid(ids.B, 2500, 'RUB', 3 * DAY), status: 'refunded', closed_at: at(HOUR) });
  // Two problems with A's order, both open, and one settled: a later flag never hides an earlier one.
  await db('payment_flags').insert([
    { order_id: orderA.id, reason: 'second charge pay_2 for a paid order', created_at: at(DAY - HOUR) },
    { order_id: orderA.id, reason: 'refund asked by admin 1', created_at: at(HOUR) },
    { order_id: orderA.id, reason: 'settled', created_at: at(2 * HOUR), resolved_at: at(HOUR), resolved_by: 1, resolution: 'done' },
  ]);
  flaggedOrder = Number(orderA.id);
}

let flaggedOrder = 0;

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  ({ db } = await ownDatabase('analytics_bot'));
  // The campaigns migration made the real campaign_deliveries table; it has no click, conversion or
  // unsubscribe columns yet (they come with click tracking). This file's own database tests analytics
  // without the table, then with one that has those columns.
  await db.raw('drop table if exists campaign_deliveries cascade'); // campaign_clicks refers to it
  const now = Date.now();
  await seedHandoffsAndOrders(await seedJourney(db, now), now);
});
afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});

async function bot() {
  const logger = pino({ level: 'silent' });
  const instance = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    logger,
    conversations: { deliver: async (event) => void delivered.push(event) },
    staff: { db, owners: [owner], logger },
    dashboard: { db, owners: [owner], logger, timeZone: 'UTC' },
  });
  await instance.init();
  return instance;
}

const send = async (from: number, text: string) => (await bot()).handleUpdate(textUpdate({ id: from, first_name: 'Staff' }, text) as unknown as Update);
const press = async (from: number, data: string, messageId: number) =>
  (await bot()).handleUpdate(fake.pushedUpdate(fake.pushCallback({ id: from, first_name: 'Staff' }, data, { message_id: messageId })));
const lastSent = (to: number) => fake.callsTo('sendMessage', to).at(-1);
const auditOf = (actor: number) => db('staff_audit').where({ actor_telegram_id: actor }).orderBy('id');

describe('/dashboard', () => {
  it('a manager gets the 30-day summary with period buttons; 90 days redraws the same message', async () => {
    const manager = uniqueUserId();
    await setStaffRole(db, manager, 'manager', owner);
    await send(manager, '/dashboard');
    const sent = lastSent(manager);
    const text = String(sent?.params.text);
    expect(text).toMatch(/^📊 Аналитика за 30 дн\./);
    expect(text).toContain('всего 6, новых 5, активных за 7 дн. 3');
    expect(text).toContain('старт: 5 (100%)\nбонус: 3 (60%)\nопрос: 3 (60%)\nконсультация: 2 (40%)\nоплата: 2 (40%)');
    expect(text).toContain('время до ответа менеджера: медиана 2 мин, среднее 2 мин (взято 1 из 2, ждут 1)');
    expect(text).toContain('💰 Продажи\n1 000 RUB: 1 опл., средний чек 1 000 RUB\n30 USD: 1 опл., средний чек 30 USD\n');
    expect(text).toContain('📣 Рассылки\nнет данных (no "campaign_deliveries" table yet: it comes with broadcast campaigns)');
    expect(text).toContain('вызовов 3, запасных ответов 2 (66,7%), передано менеджеру 1 из 2 ходов');
    expect(text).toContain('30 USD: 1 опл., средний чек 30 USD\n↩️ возвраты: 2 500 RUB, заказов 1\n');
    expect(text).toContain('🚩 Открытые пометки по оплатам: 2\n');
    expect(text).toMatch(new RegExp(`• заказ №${flaggedOrder} \\([^)]*\\): second charge pay_2 for a paid order\n• заказ №${flaggedOrder} \\([^)]*\\): refund asked by admin 1\n`));
    expect(text).not.toContain('settled');
    const buttons = (sent?.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard[0];
    expect(buttons.map((b) => [b.text, b.callback_data])).toEqual([
      ['7 дн.', 'dash:7'],
      ['• 30 дн. •', 'dash:30'],
      ['90 дн.', 'dash:90'],
    ]);

    const messageId = (sent?.result as { message_id: number }).message_id;
    await press(manager, 'dash:90', messageId);
    const edit = fake.callsTo('editMessageText', manager).at(-1);
    expect(edit?.params.message_id).toBe(messageId);
    expect(String(edit?.params.text)).toMatch(/^📊 Аналитика за 90 дн\./);
    expect(String(edit?.params.text)).toContain('всего 6, новых 6'); // the user who started 40 days ago is in
    expect(String(edit?.params.text)).toContain('оплата: 3 (50%)'); // and paid 200 USD 45 days ago
    expect(String(edit?.params.text)).toContain('1 000 RUB: 1 опл., средний чек 1 000 RUB\n230 USD: 2 опл., средний чек 115 USD\n');
    expect(fake.callsTo('answerCallbackQuery').length).toBeGreaterThan(0);
    expect((await auditOf(manager)).map((a) => [a.command, a.allowed, a.details.days])).toEqual([
      ['dashboard', true, 30],
      ['dashboard', true, 90],
    ]);
  });

  it('a lead is refused, recorded, and the command never reaches the lead flow; a button press too', async () => {
    const lead = uniqueUserId();
    await send(lead, '/dashboard');
    expect(lastSent(lead)?.params.text).toBe(REFUSED);
    const editsBefore = fake.callsTo('editMessageText', lead).length;
    await press(lead, 'dash:7', 1);
    expect(fake.callsTo('editMessageText', lead)).toHaveLength(editsBefore);
    expect(fake.callsTo('answerCallbackQuery').at(-1)?.params).toMatchObject({ text: REFUSED, show_alert: true });
    expect((await auditOf(lead)).map((a) => [a.command, a.allowed, a.reason])).toEqual([
      ['dashboard', false, 'not staff'],
      ['dashboard', false, 'not staff'],
    ]);
    expect(delivered).toEqual([]);
  });

  it('an editor (above manager) and the owner get it', async () => {
    const editor = uniqueUserId();
    await setStaffRole(db, editor, 'editor', owner);
    await send(editor, '/dashboard');
    await send(owner, '/dashboard');
    expect(String(lastSent(editor)?.params.text)).toMatch(/^📊/);
    expect(String(lastSent(owner)?.params.text)).toMatch(/^📊/);
  });
});

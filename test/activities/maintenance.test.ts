import pino from 'pino';
import { createMaintenanceActivities } from '../../activities/maintenance';
import type { HandoffRow } from '../../db/handoffs';
import type { Db } from '../../db/knex';
import { upsertLead } from '../../db/leads';
import { testDb, uniqueUserId } from '../support/db';

const logger = pino({ level: 'silent' });

/**
 * The digest's moment, years before anything other tests write: together with each test's rolled-back
 * transaction, the digest sees only the handoffs the test seeds.
 */
const UNTIL = '2020-03-02T06:00:00.000Z';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const before = (ms: number) => new Date(Date.parse(UNTIL) - ms).toISOString();

let db: Db;

beforeAll(() => {
  db = testDb();
});

afterAll(async () => {
  await db?.destroy();
});

/** Runs the test's seeding and digest in a transaction that is rolled back: nothing stays behind. */
async function rolledBack(test: (trx: Db) => Promise<void>): Promise<void> {
  const trx = await db.transaction();
  try {
    await test(trx);
  } finally {
    await trx.rollback();
  }
}

async function lead(trx: Db, firstName: string, profile: { username?: string; segment?: 'hot' | 'warm' | 'cold'; score?: number } = {}) {
  const row = await upsertLead(trx, { id: uniqueUserId(), firstName, username: profile.username }, 1);
  if (profile.segment) await trx('leads').where({ id: row.id }).update({ segment: profile.segment, score: profile.score ?? null });
  return row;
}

let handoffNumber = 0;
async function handoff(
  trx: Db,
  leadId: number,
  h: Pick<HandoffRow, 'trigger' | 'priority' | 'status'> & { createdAt: string; outcome?: HandoffRow['outcome']; takenAt?: string; closedAt?: string },
): Promise<void> {
  handoffNumber += 1;
  await trx('handoffs').insert({
    workflow_id: `handoff-${leadId}-digest-${handoffNumber}`,
    lead_id: leadId,
    trigger: h.trigger,
    priority: h.priority,
    status: h.status,
    outcome: h.outcome ?? null,
    manager_telegram_id: h.takenAt ? 777 : null,
    created_at: h.createdAt,
    taken_at: h.takenAt ?? null,
    closed_at: h.closedAt ?? null,
  });
}

const digest = (trx: Db) => createMaintenanceActivities({ db: trx, logger }).waitingLeadsDigest({ until: UNTIL });

describe('waitingLeadsDigest: the leads no manager has taken', () => {
  it('lists waiting leads and leads whose handoff timed out untaken in the last 24 hours, highest priority first, then the longest waiting', () =>
    rolledBack(async (trx) => {
      const waiting = await lead(trx, 'Анна', { username: 'anna', segment: 'warm', score: 55 });
      await handoff(trx, waiting.id, { trigger: 'manager_requested', priority: 70, status: 'waiting', createdAt: before(3 * HOUR + 5 * MINUTE) });
      const longWaiting = await lead(trx, 'Борис');
      await handoff(trx, longWaiting.id, { trigger: 'contact_form', priority: 70, status: 'waiting', createdAt: before(74 * HOUR) });
      const timedOut = await lead(trx, 'Вера', { username: 'vera', segment: 'hot', score: 92 });
      await handoff(trx, timedOut.id, {
        trigger: 'purchase_intent',
        priority: 90,
        status: 'closed',
        outcome: 'timeout',
        createdAt: before(30 * HOUR),
        closedAt: before(6 * HOUR),
      });
      const fresh = await lead(trx, 'Глеб');
      await handoff(trx, fresh.id, { trigger: 'model_escalation', priority: 70, status: 'waiting', createdAt: before(20 * MINUTE) });

      expect(await digest(trx)).toEqual({
        count: 4,
        text: [
          '📋 Лиды, не взятые менеджером: 4',
          '',
          `1. Вера @vera (id ${timedOut.telegram_user_id}), hot 92: purchase_intent, приоритет 90, не взят, закрыт по тайм-ауту`,
          `2. Борис (id ${longWaiting.telegram_user_id}): contact_form, приоритет 70, ждёт 3 д 2 ч`,
          `3. Анна @anna (id ${waiting.telegram_user_id}), warm 55: manager_requested, приоритет 70, ждёт 3 ч 5 мин`,
          `4. Глеб (id ${fresh.telegram_user_id}): model_escalation, приоритет 70, ждёт 20 мин`,
          '',
          '⏰ Ждут дольше 15 мин (норма взятия): 3',
        ].join('\n'),
      });
    }));

  it('leaves out taken leads, timeouts older than 24 hours, taken leads that timed out, and handoffs opened after the digest', () =>
    rolledBack(async (trx) => {
      const listed = await lead(trx, 'Ждёт');
      await handoff(trx, listed.id, { trigger: 'manager_requested', priority: 70, status: 'waiting', createdAt: before(HOUR) });

      const taken = await lead(trx, 'Взятый');
      await handoff(trx, taken.id, { trigger: 'purchase_intent', priority: 100, status: 'taken', createdAt: before(2 * HOUR), takenAt: before(HOUR) });
      const closedDone = await lead(trx, 'Обслуженный');
      await handoff(trx, closedDone.id, {
        trigger: 'manager_requested',
        priority: 70,
        status: 'closed',
        outcome: 'done',
        createdAt: before(5 * HOUR),
        takenAt: before(4 * HOUR),
        closedAt: before(2 * HOUR),
      });
      const oldTimeout = await lead(trx, 'Вчерашний');
      await handoff(trx, oldTimeout.id, {
        trigger: 'manager_requested',
        priority: 70,
        status: 'closed',
        outcome: 'timeout',
        createdAt: before(49 * HOUR),
        closedAt: before(25 * HOUR),
      });
      // Taken, then 24 hours of silence closed the dialog: a manager did take it.
      const takenThenSilent = await lead(trx, 'Замолчавший');
      await handoff(trx, takenThenSilent.id, {
        trigger: 'manager_requested',
        priority: 70,
        status: 'closed',
        outcome: 'timeout',
        createdAt: before(30 * HOUR),
        takenAt: before(29 * HOUR),
        closedAt: before(5 * HOUR),
      });
      // An earlier handoff timed out untaken, the next one was taken: the lead is with a manager now.
      const retaken = await lead(trx, 'Дождавшийся');
      await handoff(trx, retaken.id, { trigger: 'manager_requested', priority: 70, status: 'closed', outcome: 'timeout', createdAt: before(30 * HOUR), closedAt: before(6 * HOUR) });
      await handoff(trx, retaken.id, { trigger: 'manager_requested', priority: 70, status: 'taken', createdAt: before(3 * HOUR), takenAt: before(2 * HOUR) });
      const afterDigest = await lead(trx, 'Следующий');
      await handoff(trx, afterDigest.id, { trigger: 'manager_requested', priority: 100, status: 'waiting', createdAt: before(-MINUTE) });

      const result = await digest(trx);
      expect(result.count).toBe(1);
      expect(result.text).toBe(`📋 Лиды, не взятые менеджером: 1\n\n1. Ждёт (id ${listed.telegram_user_id}): manager_requested, приоритет 70, ждёт 1 ч\n\n⏰ Ждут дольше 15 мин (норма взятия): 1`);
    }));

  it('counts the leads waiting past the 15-minute take SLA; a fresh one is listed but not counted', () =>
    rolledBack(async (trx) => {
      const late = await lead(trx, 'Поздний');
      await handoff(trx, late.id, { trigger: 'manager_requested', priority: 70, status: 'waiting', createdAt: before(16 * MINUTE) });
      const fresh = await lead(trx, 'Свежий');
      await handoff(trx, fresh.id, { trigger: 'manager_requested', priority: 70, status: 'waiting', createdAt: before(14 * MINUTE) });
      const result = await digest(trx);
      expect(result.count).toBe(2);
      expect(String(result.text).split('\n').at(-1)).toBe('⏰ Ждут дольше 15 мин (норма взятия): 1');
    }));

  it('lists the contact forms left incomplete in the last 24 hours and not finished since', () =>
    rolledBack(async (trx) => {
      const event = (leadId: number, type: string, payload: object, at: string) => trx('events').insert({ lead_id: leadId, type, payload, created_at: at });
      const stopped = await lead(trx, 'Ира', { username: 'ira' });
      await event(stopped.id, 'lead_incomplete', { phase: 'email', phone: true }, before(3 * HOUR));
      const noPhone = await lead(trx, 'Олег');
      await event(noPhone.id, 'lead_incomplete', { phase: 'phone', phone: false }, before(HOUR));
      const finishedLater = await lead(trx, 'Дописал');
      await event(finishedLater.id, 'lead_incomplete', { phase: 'name', phone: true }, before(5 * HOUR));
      await event(finishedLater.id, 'lead_created', { trigger: 'contact_form', email: false }, before(4 * HOUR));
      const yesterday = await lead(trx, 'Вчерашний');
      await event(yesterday.id, 'lead_incomplete', { phase: 'phone', phone: false }, before(25 * HOUR));

      expect(await digest(trx)).toEqual({
        count: 0,
        text: [
          '🧾 Незаполненные заявки за сутки: 2',
          '',
          `1. Ира @ira (id ${stopped.telegram_user_id}): остановился на шаге «e-mail», телефон есть`,
          `2. Олег (id ${noPhone.telegram_user_id}): остановился на шаге «телефон», телефон нет`,
        ].join('\n'),
      });
    }));

  it('gives null text and a zero count when every lead was taken or there are no handoffs', () =>
    rolledBack(async (trx) => {
      expect(await digest(trx)).toEqual({ text: null, count: 0 });
      const taken = await lead(trx, 'Взятый');
      await handoff(trx, taken.id, { trigger: 'manager_requested', priority: 70, status: 'taken', createdAt: before(2 * HOUR), takenAt: before(HOUR) });
      expect(await digest(trx)).toEqual({ text: null, count: 0 });
    }));

  it('lists every open payment flag raised by its day, two flags of one order each on its own line; settled and later ones are left out; flags alone make a digest', () =>
    rolledBack(async (trx) => {
      const buyer = await lead(trx, 'Покупатель');
      const [product] = await trx('products')
        .insert({ code: `digest-flags-${buyer.id}`, name: 'Course', description: 'A course', price: 4900, currency: 'RUB', budget_level: 1, urgency_level: 1 })
        .returning('id');
      const [order] = await trx('orders')
        .insert({ lead_id: buyer.id, product_id: product.id, type: 'full', method: 'link', amount: 4900, currency: 'RUB', status: 'paid', paid_via: 'webhook', paid_at: before(3 * HOUR) })
        .returning('id');
      const flag = (reason: string, createdAt: string, extra: Record<string, unknown> = {}) =>
        trx('payment_flags').insert({ order_id: order.id, reason, created_at: createdAt, ...extra });
      await flag('second charge pay_2 for a paid order', before(2 * HOUR));
      await flag('refund asked by admin 1: return 4900 RUB in the provider dashboard', before(HOUR));
      await flag('settled already', before(HOUR), { resolved_at: before(30 * MINUTE), resolved_by: 1, resolution: 'refund made at the provider' });
      await flag('raised after the digest', new Date(Date.parse(UNTIL) + HOUR).toISOString());
      await trx('payment_flags').insert({ order_id: null, reason: 'Stars money for no order', payment_ref: 'stxCharge1', created_at: before(4 * HOUR) });

      const result = await digest(trx);
      expect(result.count).toBe(0); // no lead waits
      const block = String(result.text);
      expect(block.split('\n')[0]).toBe('🚩 Открытые пометки по оплатам: 3');
      expect(block).toContain(`• платёж без заказа stxCharge1 (`);
      expect(block).toContain(`• заказ №${order.id} (`);
      const lines = block.split('\n').filter((l) => l.startsWith('•'));
      expect(lines.map((l) => l.replace(/ \(.*?\):/, ':'))).toEqual([
        '• платёж без заказа stxCharge1: Stars money for no order',
        `• заказ №${order.id}: second charge pay_2 for a paid order`,
        `• заказ №${order.id}: refund asked by admin 1: return 4900 RUB in the provider dashboard`,
      ]);
      expect(block).not.toContain('settled already');
      expect(block).not.toContain('raised after the digest');
    }));

  it('shows the first 50 leads in its order and counts them all', () =>
    rolledBack(async (trx) => {
      const ids: number[] = [];
      for (let i = 0; i < 52; i++) {
        const row = await lead(trx, `Лид${i}`);
        ids.push(row.telegram_user_id);
        // Lead 0 waits longest; the two leads shown last in priority order are the ones cut.
        await handoff(trx, row.id, { trigger: 'manager_requested', priority: 70, status: 'waiting', createdAt: before((60 - i) * HOUR) });
      }

      const result = await digest(trx);
      const lines = String(result.text).split('\n');
      expect(result.count).toBe(52);
      expect(lines[0]).toBe('📋 Лиды, не взятые менеджером: 52');
      expect(lines.filter((l) => /^\d+\. /.test(l))).toHaveLength(50);
      expect(lines[2]).toContain(`(id ${ids[0]})`);
      expect(lines[51]).toContain(`50. Лид49 (id ${ids[49]})`);
      expect(lines.at(-3)).toBe('…и ещё 2');
      expect(lines.at(-1)).toBe('⏰ Ждут дольше 15 мин (норма взятия): 52'); // all of them, not only the 50 listed
    }));
});

describe('retention cleanup', () => {
  it('deletes stored payment webhooks older than the retention period and keeps recent ones', () =>
    rolledBack(async (trx) => {
      const now = '2020-03-02T06:00:00.000Z';
      const received = (daysAgo: number) => new Date(Date.parse(now) - daysAgo * 24 * HOUR).toISOString();
      const [old] = await trx('payment_webhooks').insert({ outcome: 'invalid_body', body: '{"old":true}', received_at: received(40) }).returning('id');
      const [recent] = await trx('payment_webhooks').insert({ outcome: 'invalid_body', body: '{"recent":true}', received_at: received(10) }).returning('id');

      const deleted = await createMaintenanceActivities({ db: trx, logger, retention: { days: 30 } }).cleanupOldData({ now });

      expect(deleted.payment_webhooks).toBeGreaterThanOrEqual(1);
      expect(await trx('payment_webhooks').where({ id: old.id }).first()).toBeUndefined();
      expect(await trx('payment_webhooks').where({ id: recent.id }).first()).toBeDefined();
    }));
});

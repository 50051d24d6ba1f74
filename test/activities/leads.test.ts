import pino from 'pino';
import { createLeadsActivities } from '../../activities/leads';
import type { Db } from '../../db/knex';
import { recordDroppedUpdate } from '../../db/spam-guard';
import { leadRows, testDb, uniqueUserId } from '../support/db';
import { press, text, type TestUser } from '../support/updates';

const logger = pino({ level: 'silent' });

let db: Db;

beforeAll(() => {
  db = testDb();
});

afterAll(async () => {
  await db?.destroy();
});

const leads = () => createLeadsActivities({ db, logger });

function newUser(overrides: Partial<TestUser> = {}): TestUser {
  return { id: uniqueUserId(), first_name: 'Anna', username: 'anna_learns', language_code: 'en', ...overrides };
}

describe('createLeadsActivities', () => {
  describe('recordInbound', () => {
    it('stores the lead and the message once per update id; a redelivered update says firstTime: false', async () => {
      const user = newUser();
      const event = text(user, 'How much is the course?');

      const first = await leads().recordInbound(event);
      const again = await leads().recordInbound(event);

      expect(first.firstTime).toBe(true);
      expect(again).toEqual({ leadId: first.leadId, firstTime: false });
      const { lead, messages } = await leadRows(db, user.id);
      expect(lead).toMatchObject({ id: first.leadId, chat_id: user.id, first_name: 'Anna', username: 'anna_learns', language_code: 'en', source: null });
      expect(messages.map((m) => [m.direction, m.status, m.text, m.update_id])).toEqual([['in', 'received', 'How much is the course?', event.updateId]]);
    });

    it('logs a button press as its data', async () => {
      const user = newUser();
      await leads().recordInbound(text(user, '/start'));
      await leads().recordInbound(press(user, 'greeting:bonus'));

      const { messages } = await leadRows(db, user.id);
      expect(messages.map((m) => [m.text, m.payload])).toEqual([
        ['/start', { kind: 'command' }],
        ['[button] greeting:bonus', { kind: 'button', data: 'greeting:bonus' }],
      ]);
    });

    it('keeps the first /start payload as the source; a later /start with another payload does not overwrite it', async () => {
      const user = newUser();

      await leads().recordInbound(text(user, '/start ads_vk'));
      expect((await leadRows(db, user.id)).lead.source).toBe('ads_vk');

      await leads().recordInbound(text(user, '/start other'));
      const { lead, messages } = await leadRows(db, user.id);
      expect(lead.source).toBe('ads_vk');
      expect(messages.map((m) => m.text)).toEqual(['/start ads_vk', '/start other']);
    });

    it('a /start payload Telegram would not produce is not stored as source but recorded as an invalid_start_payload event', async () => {
      const user = newUser();

      await leads().recordInbound(text(user, '/start bad$payload'));

      const { lead, events } = await leadRows(db, user.id);
      expect(lead.source).toBeNull();
      expect(events.map((e) => [e.type, e.payload])).toEqual([['invalid_start_payload', { payload: 'bad$payload' }]]);
      // The lead can still get a valid source later.
      await leads().recordInbound(text(user, '/start ads_tg'));
      expect((await leadRows(db, user.id)).lead.source).toBe('ads_tg');
    });

    it('a redelivered /start with an invalid payload records the invalid_start_payload event once', async () => {
      const user = newUser();
      const event = text(user, '/start bad$payload');

      await leads().recordInbound(event);
      await leads().recordInbound(event);

      const { events } = await leadRows(db, user.id);
      expect(events.map((e) => e.type)).toEqual(['invalid_start_payload']);
    });

    it('stores a 10,000-character text whole', async () => {
      const user = newUser();
      const long = Array.from({ length: 1000 }, (_, i) => `line ${String(i).padStart(3, '0')}`).join('\n').padEnd(10_000, '.');
      expect(long).toHaveLength(10_000);

      await leads().recordInbound(text(user, long));

      const { messages } = await leadRows(db, user.id);
      expect(messages).toHaveLength(1);
      expect(messages[0].text).toBe(long);
    });
  });

  describe('ensureLead', () => {
    it('recreates a deleted lead and otherwise returns the existing one', async () => {
      const user = newUser();
      const person = { id: user.id, firstName: 'Anna' };
      const { leadId } = await leads().recordInbound(text(user, '/start'));

      expect(await leads().ensureLead(person, user.id)).toEqual({ leadId });

      await leads().deleteLeadData(user.id);
      const recreated = await leads().ensureLead(person, user.id);
      expect(recreated.leadId).not.toBe(leadId);
      expect((await leadRows(db, user.id)).lead).toMatchObject({ id: recreated.leadId, chat_id: user.id, source: null });
    });
  });

  describe('deleteLeadData', () => {
    it('deletes the lead with every message and event and says how many; other leads keep theirs', async () => {
      const user = newUser();
      const other = newUser();
      const { leadId } = await leads().recordInbound(text(user, '/start promo'));
      await leads().recordInbound(text(user, 'I want to join'));
      await leads().recordLeadEvent({ leadId, type: 'greeted', idempotencyKey: `greeted-${user.id}` });
      await leads().recordLeadEvent({ leadId, type: 'request_started', idempotencyKey: `request-${user.id}` });
      const { leadId: otherId } = await leads().recordInbound(text(other, '/start'));
      await leads().recordLeadEvent({ leadId: otherId, type: 'greeted', idempotencyKey: `greeted-${other.id}` });
      for (const who of [user, other]) await recordDroppedUpdate(db, { telegramUserId: who.id, updateId: who.id * 10, reason: 'muted', mutedUntil: null, update: { text: 'flood' } });

      const deleted = await leads().deleteLeadData(user.id);

      expect(deleted).toEqual({ messages: 2, events: 2, ordersKept: 0, paymentsCancelled: 0, quotesRedacted: 0 });
      expect(await db('leads').where({ id: leadId })).toEqual([]);
      expect(await db('messages').where({ lead_id: leadId })).toEqual([]);
      expect(await db('events').where({ lead_id: leadId })).toEqual([]);
      expect(await db('dropped_updates').where({ telegram_user_id: user.id })).toEqual([]); // what anti-spam kept is theirs too
      expect(await db('dropped_updates').where({ telegram_user_id: other.id })).toHaveLength(1);
      const kept = await leadRows(db, other.id);
      expect([kept.lead?.id, kept.messages.length, kept.events.length]).toEqual([otherId, 1, 1]);
    });

    it('returns zero counts for a lead that does not exist', async () => {
      expect(await leads().deleteLeadData(uniqueUserId())).toEqual({ messages: 0, events: 0, ordersKept: 0, paymentsCancelled: 0, quotesRedacted: 0 });
    });
  });

  describe('recordLeadEvent', () => {
    it('records an event once per idempotency key', async () => {
      const user = newUser();
      const { leadId } = await leads().recordInbound(text(user, '/start'));
      const event = { leadId, type: 'bonus_taken', payload: { step: 'bonus' }, idempotencyKey: `bonus-${user.id}` };

      await leads().recordLeadEvent(event);
      await leads().recordLeadEvent(event);

      const { events } = await leadRows(db, user.id);
      expect(events.map((e) => [e.type, e.payload])).toEqual([['bonus_taken', { step: 'bonus' }]]);
    });
  });
});

import { ApplicationFailure } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { Api } from 'grammy';
import pino from 'pino';
import { createLeadsActivities } from '../../activities/leads';
import { createTelegramActivities, type OutboundMessage } from '../../activities/telegram';
import { TelegramFailure } from '../../activities/telegram-errors';
import type { Db } from '../../db/knex';
import type { MessageRow } from '../../db/messages';
import { defaultScenarioPath, loadScenarioFile } from '../../scenarios/loader';
import { FakeTelegramServer } from '../fakes/telegram-server';
import { leadRows, testDb, uniqueUserId } from '../support/db';
import { text, type TestUser } from '../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
const MANAGERS_CHAT = -100777;
const logger = pino({ level: 'silent' });

/** The bonus document exactly as the default scenario names it (relative to the scenarios folder). */
const BONUS_DOCUMENT = (() => {
  const message = loadScenarioFile(defaultScenarioPath('ru')).steps.bonus.messages.find((m) => 'document' in m);
  if (!message || !('document' in message)) throw new Error('the default scenario has no bonus document');
  return message.document;
})();

let fake: FakeTelegramServer;
let db: Db;

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  db = testDb();
});

afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});

function telegram(options: { managersChatId?: number } = { managersChatId: MANAGERS_CHAT }) {
  return createTelegramActivities({ api: new Api(TOKEN, { apiRoot: fake.apiRoot }), db, logger, managersChatId: options.managersChatId });
}

/** A lead that has written /start, so its row exists as it would in production. */
async function newLead(): Promise<{ user: TestUser; leadId: number }> {
  const user: TestUser = { id: uniqueUserId(), first_name: 'Anna', language_code: 'en' };
  const { leadId } = await createLeadsActivities({ db, logger }).recordInbound(text(user, '/start'));
  return { user, leadId };
}

function textTo(lead: { user: TestUser; leadId: number }, body: string, outboundId = `lead-${lead.user.id}/m1`): OutboundMessage {
  return { outboundId, leadId: lead.leadId, chatId: lead.user.id, content: { type: 'text', text: body } };
}

const outboundRows = (leadId: number): Promise<MessageRow[]> =>
  db<MessageRow>('messages').where({ lead_id: leadId, direction: 'out' }).orderBy('id');

/** Every attempt (successful or not) the fake saw for a chat. */
const attempts = (method: string, chatId: number) => fake.calls.filter((c) => c.method === method && c.params.chat_id === chatId);

/** The ApplicationFailure a call rejects with; fails the test if it resolves or throws something else. */
async function failureOf(call: Promise<unknown>): Promise<ApplicationFailure> {
  const error: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${String(error)}`);
  return error;
}

describe('createTelegramActivities', () => {
  describe('sendToLead', () => {
    it('sends a ~9,000-character text as 3 messages cut at paragraphs, buttons under the last, each logged as sent', async () => {
      const lead = await newLead();
      const paragraphs = Array.from({ length: 18 }, (_, i) => `Paragraph ${String(i + 1).padStart(2, '0')}: `.padEnd(500, 'x'));
      const body = paragraphs.join('\n\n');
      const buttons = [[{ text: 'Get the bonus', data: 'greeting:bonus' }]];
      const message: OutboundMessage = { ...textTo(lead, body), content: { type: 'text', text: body, buttons } };

      const result = await telegram().sendToLead(message);

      const calls = fake.callsTo('sendMessage', lead.user.id);
      expect(calls).toHaveLength(3);
      const parts = calls.map((call) => String(call.params.text));
      expect(parts.every((part) => part.length <= 4096)).toBe(true);
      // Every part is whole paragraphs, in order, and nothing is lost.
      for (const part of parts) expect(part.split('\n\n').every((p) => paragraphs.includes(p))).toBe(true);
      expect(parts.join('\n\n')).toBe(body);
      expect(calls.map((call) => call.params.reply_markup)).toEqual([
        undefined,
        undefined,
        { inline_keyboard: [[{ text: 'Get the bonus', callback_data: 'greeting:bonus' }]] },
      ]);

      const sentIds = calls.map((call) => (call.result as { message_id: number }).message_id);
      expect(result).toEqual({ status: 'sent', telegramMessageIds: sentIds });
      const rows = await outboundRows(lead.leadId);
      expect(rows.map((r) => [r.outbound_id, r.status, r.telegram_message_id, r.text])).toEqual([
        [`${message.outboundId}.1`, 'sent', sentIds[0], parts[0]],
        [`${message.outboundId}.2`, 'sent', sentIds[1], parts[1]],
        [`${message.outboundId}.3`, 'sent', sentIds[2], parts[2]],
      ]);
    });

    it('sends nothing and logs nothing new when called again with the same outbound id (a retried activity)', async () => {
      const lead = await newLead();
      const message = textTo(lead, 'Welcome! Here is what we offer.');
      const activities = telegram();
      const first = await activities.sendToLead(message);
      const rowsBefore = await leadRows(db, lead.user.id);

      const second = await activities.sendToLead(message);
      // A fresh activities instance (a retry on another worker) behaves the same.
      const third = await telegram().sendToLead(message);

      expect(attempts('sendMessage', lead.user.id)).toHaveLength(1);
      expect(second).toEqual(first);
      expect(third).toEqual(first);
      expect(first.status).toBe('sent');
      expect((await leadRows(db, lead.user.id)).messages).toEqual(rowsBefore.messages);
    });

    it('a 429 fails with TelegramRateLimited and retry_after as the next retry delay; the retry sends it once', async () => {
      const lead = await newLead();
      const message = textTo(lead, 'Our course starts on Monday.');
      fake.failNext('sendMessage', { code: 429, retryAfter: 7 });

      const failure = await failureOf(telegram().sendToLead(message));
      expect(failure.type).toBe(TelegramFailure.rateLimited);
      expect(failure.nonRetryable).toBe(false);
      expect(failure.nextRetryDelay).toBeDefined();
      expect(msToNumber(failure.nextRetryDelay as NonNullable<typeof failure.nextRetryDelay>)).toBe(7000);
      expect((await outboundRows(lead.leadId)).map((r) => r.status)).toEqual(['failed']);

      const retried = await telegram().sendToLead(message);

      expect(retried.status).toBe('sent');
      expect(attempts('sendMessage', lead.user.id).map((c) => c.error?.error_code ?? 'ok')).toEqual([429, 'ok']);
      const rows = await outboundRows(lead.leadId);
      expect(rows.map((r) => [r.outbound_id, r.status, r.error])).toEqual([[message.outboundId, 'sent', null]]);
      expect(rows[0].telegram_message_id).toBe(retried.telegramMessageIds[0]);
    });

    it('a lead who blocked the bot (403): non-retryable TelegramBlocked and the lead is marked blocked', async () => {
      const lead = await newLead();
      fake.blockUser(lead.user.id);

      const failure = await failureOf(telegram().sendToLead(textTo(lead, 'Are you still there?')));

      expect(failure.type).toBe(TelegramFailure.blocked);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain('bot was blocked by the user');
      const { lead: row, messages } = await leadRows(db, lead.user.id);
      expect(row.blocked).toBe(true);
      expect(messages.filter((m) => m.direction === 'out').map((m) => m.status)).toEqual(['failed']);
    });

    it('a 400 fails with non-retryable TelegramBadRequest carrying Telegram\'s reason; the lead is not marked blocked', async () => {
      const lead = await newLead();
      fake.failNext('sendMessage', { code: 400, description: 'Bad Request: chat not found' });

      const failure = await failureOf(telegram().sendToLead(textTo(lead, 'Hello again')));

      expect(failure.type).toBe(TelegramFailure.badRequest);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain('Bad Request: chat not found');
      const { lead: row, messages } = await leadRows(db, lead.user.id);
      expect(row.blocked).toBe(false);
      const [out] = messages.filter((m) => m.direction === 'out');
      expect(out).toMatchObject({ status: 'failed', error: expect.stringContaining('chat not found') });
    });

    it('a message whose attempt was cut off mid-send (worker killed) is sent again by the retry, once, and marked as resent', async () => {
      const lead = await newLead();
      const message = textTo(lead, 'The next step of the journey');
      // What a worker killed between claiming the message and hearing back from Telegram leaves
      // behind, found by the activity's retry after its 30-second timeout.
      await db('messages').insert({ lead_id: lead.leadId, chat_id: lead.user.id, direction: 'out', text: message.content.type === 'text' ? message.content.text : '', outbound_id: message.outboundId, status: 'sending', updated_at: db.raw("now() - interval '40 seconds'") });

      const result = await telegram().sendToLead(message);
      const again = await telegram().sendToLead(message);

      expect(result.status).toBe('sent');
      expect(again).toEqual(result);
      expect(attempts('sendMessage', lead.user.id)).toHaveLength(1);
      const rows = await outboundRows(lead.leadId);
      expect(rows.map((r) => [r.outbound_id, r.status])).toEqual([[message.outboundId, 'sent']]);
      expect(rows[0].payload).toMatchObject({ resentAfterCutOff: 1 });
    });

    it('a message another attempt claimed moments ago is not sent meanwhile: the activity fails, to be retried once that attempt cannot be sending', async () => {
      const lead = await newLead();
      const message = textTo(lead, 'Maybe on its way right now');
      await db('messages').insert({ lead_id: lead.leadId, chat_id: lead.user.id, direction: 'out', text: 'x', outbound_id: message.outboundId, status: 'sending' });

      await expect(telegram().sendToLead(message)).rejects.toThrow(/may still be sending/);

      expect(attempts('sendMessage', lead.user.id)).toHaveLength(0);
      expect((await outboundRows(lead.leadId)).map((r) => r.status)).toEqual(['sending']);
    });

    it('a broadcast message left "sending" by a crashed attempt is never sent again: status unknown, row unknown', async () => {
      const lead = await newLead();
      const message = textTo(lead, 'This may already be in the chat');
      await db('messages').insert({ lead_id: lead.leadId, chat_id: lead.user.id, direction: 'out', text: 'This may already be in the chat', outbound_id: message.outboundId, status: 'sending', updated_at: db.raw("now() - interval '1 hour'") });

      const result = await telegram().sendToLead(message, { afterCutOff: 'unknown' });

      expect(result).toEqual({ status: 'unknown', telegramMessageIds: [] });
      expect(attempts('sendMessage', lead.user.id)).toHaveLength(0);
      const rows = await outboundRows(lead.leadId);
      expect(rows.map((r) => [r.outbound_id, r.status])).toEqual([[message.outboundId, 'unknown']]);
      expect(rows[0].error).toBeTruthy();
    });

    it('a copy left "sending" by a crashed attempt is not copied again when asked to never resend (the dialogs mirror): unknown', async () => {
      const lead = await newLead();
      const outboundId = `copy-cut-off-${lead.user.id}`;
      await db('messages').insert({ lead_id: null, chat_id: -100777, direction: 'out', text: '👤 фото', outbound_id: outboundId, status: 'sending', updated_at: db.raw("now() - interval '1 hour'") });

      const result = await telegram().copyMessage({ outboundId, leadId: null, fromChatId: lead.user.id, messageId: 5, chatId: -100777, caption: '👤 фото', toStaff: true }, { afterCutOff: 'unknown' });

      expect(result).toEqual({ status: 'unknown', telegramMessageIds: [] });
      expect(attempts('copyMessage', -100777)).toHaveLength(0);
      expect((await db('messages').where({ outbound_id: outboundId }).first()).status).toBe('unknown');
    });

    it('uploads a document once and sends its file_id to the next lead', async () => {
      const first = await newLead();
      const second = await newLead();
      const activities = telegram();
      const documentTo = (lead: { user: TestUser; leadId: number }): OutboundMessage => ({
        outboundId: `lead-${lead.user.id}/m1`,
        leadId: lead.leadId,
        chatId: lead.user.id,
        content: { type: 'document', document: BONUS_DOCUMENT, caption: 'Your bonus' },
      });

      await activities.sendToLead(documentTo(first));
      await activities.sendToLead(documentTo(second));

      const [upload] = fake.callsTo('sendDocument', first.user.id);
      expect(upload.files.document).toEqual({ filename: 'bonus.pdf', size: expect.any(Number) });
      expect(upload.files.document.size).toBeGreaterThan(0);
      const fileId = (upload.result as { document: { file_id: string } }).document.file_id;

      const [reuse] = fake.callsTo('sendDocument', second.user.id);
      expect(reuse.files).toEqual({});
      expect(reuse.params.document).toBe(fileId);
      expect(reuse.params.caption).toBe('Your bonus');
      for (const lead of [first, second]) {
        expect((await outboundRows(lead.leadId)).map((r) => [r.status, r.text])).toEqual([['sent', 'Your bonus']]);
      }
    });
  });

  describe('notifyManagers', () => {
    it('posts the notice to the managers chat once, logged under the lead, even when retried', async () => {
      const lead = await newLead();
      const notice = { outboundId: `lead-${lead.user.id}/n1`, leadId: lead.leadId, text: 'New request from Anna (id 42)' };

      const first = await telegram().notifyManagers(notice);
      expect(first).toEqual({ delivered: true, chatId: MANAGERS_CHAT, messageId: expect.any(Number) });
      expect(await telegram().notifyManagers(notice)).toEqual(first); // the retry finds the message already sent

      expect(fake.callsTo('sendMessage', MANAGERS_CHAT).filter((c) => c.params.text === notice.text)).toHaveLength(1);
      const [row] = await outboundRows(lead.leadId);
      expect(row).toMatchObject({ chat_id: MANAGERS_CHAT, status: 'sent', text: notice.text });
    });

    it('a managers chat that refuses the bot (403) does not mark the lead blocked', async () => {
      const lead = await newLead();
      fake.failNext('sendMessage', { code: 403 });
      await expect(telegram().notifyManagers({ outboundId: `lead-${lead.user.id}/n2`, leadId: lead.leadId, text: 'x' })).rejects.toMatchObject({
        type: 'TelegramBlocked',
      });
      expect((await db('leads').where({ id: lead.leadId }).first()).blocked).toBe(false);
    });

    it('without a managers chat id, returns delivered: false and sends nothing', async () => {
      const callsBefore = fake.calls.length;

      const result = await telegram({ managersChatId: undefined }).notifyManagers({ outboundId: `notice-${uniqueUserId()}`, leadId: null, text: 'Nobody will read this' });

      expect(result).toEqual({ delivered: false });
      expect(fake.calls.length).toBe(callsBefore);
    });
  });
});

describe('a staff-chat message about no lead (the daily digest)', () => {
  it('is logged too, so a retry after a 429 on its second part does not post the first one again', async () => {
    const { createTelegramActivities } = require('../../activities/telegram') as typeof import('../../activities/telegram');
    const { Api } = require('grammy') as typeof import('grammy');
    const pino = require('pino') as typeof import('pino');
    const activities = createTelegramActivities({ api: new Api(TOKEN, { apiRoot: fake.apiRoot }), db, logger: pino({ level: 'silent' }), managersChatId: MANAGERS_CHAT });
    const long = ['а'.repeat(3000), 'б'.repeat(3000)].join('\n\n');
    const outboundId = `digest-${Date.now()}`;
    const before = fake.callsTo('sendMessage', MANAGERS_CHAT).length;
    fake.failAfter('sendMessage', 1, { code: 429, retryAfter: 1 }); // part 1 goes out, part 2 is rate-limited
    await expect(activities.notifyManagers({ outboundId, leadId: null, text: long })).rejects.toThrow();
    expect(fake.callsTo('sendMessage', MANAGERS_CHAT).slice(before).map((c) => String(c.params.text)[0])).toEqual(['а']);
    await activities.notifyManagers({ outboundId, leadId: null, text: long }); // the retry
    await activities.notifyManagers({ outboundId, leadId: null, text: long }); // and another one after success
    const posted = fake.callsTo('sendMessage', MANAGERS_CHAT).slice(before).map((c) => String(c.params.text)[0]);
    expect(posted).toEqual(['а', 'б']);
    const rows = await db('messages').where('outbound_id', 'like', `${outboundId}%`).orderBy('outbound_id');
    expect(rows.map((r) => [r.outbound_id, r.lead_id, r.status])).toEqual([
      [`${outboundId}.1`, null, 'sent'],
      [`${outboundId}.2`, null, 'sent'],
    ]);
  });
});

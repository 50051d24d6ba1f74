import { Api } from 'grammy';
import pino from 'pino';
import { createLeadsActivities } from '../../activities/leads';
import { createTelegramActivities, type OutboundMessage } from '../../activities/telegram';
import { createDb, type Db } from '../../db/knex';
import type { MessageRow } from '../../db/messages';
import { FakeTelegramServer } from '../fakes/telegram-server';
import { testDb, uniqueUserId } from '../support/db';
import { TEST_DATABASE_URL } from '../support/paths';
import { PostgresProxy } from '../support/postgres-proxy';
import { text, type TestUser } from '../support/updates';

/**
 * A message Telegram took while Postgres went away before the send was recorded (commit 4b350bc,
 * seen in the fault suite's Postgres outage): the activity must not fail, since its retry would
 * find the claim unsettled and send the message again. The activities reach Postgres through a
 * proxy the test cuts the moment Telegram gets the message, after the claim and before the record.
 */
const TOKEN = '123456:SETTLE-token-for-the-fake-server';
const logger = pino({ level: 'silent' });

let fake: FakeTelegramServer;
let proxy: PostgresProxy;
/** The activities' database, through the proxy. */
let proxied: Db;
/** The test's own, straight to Postgres (it keeps working while the proxy is cut). */
let db: Db;

beforeAll(async () => {
  [fake, proxy] = await Promise.all([FakeTelegramServer.start({ token: TOKEN }), PostgresProxy.start(TEST_DATABASE_URL)]);
  proxied = createDb(proxy.urlFor(TEST_DATABASE_URL));
  db = testDb();
});

afterEach(() => {
  fake.setFaultInjector();
  proxy.restore();
});

afterAll(async () => {
  await Promise.all([fake?.stop(), proxied?.destroy(), db?.destroy(), proxy?.stop()]);
});

/** The activities as the worker builds them, with the record's wait for Postgres shortened for the test. */
const telegram = (settlePatienceMs: number) => createTelegramActivities({ api: new Api(TOKEN, { apiRoot: fake.apiRoot }), db: proxied, logger, settlePatienceMs });

async function newLead(): Promise<{ user: TestUser; leadId: number; message: OutboundMessage }> {
  const user: TestUser = { id: uniqueUserId(), first_name: 'Anna', language_code: 'en' };
  const { leadId } = await createLeadsActivities({ db, logger }).recordInbound(text(user, '/start'));
  return { user, leadId, message: { outboundId: `lead-${user.id}/s1`, leadId, chatId: user.id, content: { type: 'text', text: 'Your bonus is on its way' } } };
}

/** Postgres goes away as Telegram receives the send to `chatId` (the claim is in; the record is not). */
function cutPostgresOnSendTo(chatId: number): void {
  fake.setFaultInjector(({ method, params }) => {
    if (method === 'sendMessage' && Number(params.chat_id) === chatId) proxy.cut();
    return undefined; // Telegram takes the message and answers
  });
}

const outboundRow = (outboundId: string): Promise<MessageRow | undefined> => db<MessageRow>('messages').where({ outbound_id: outboundId }).first();

describe('a sent message whose record meets a Postgres outage', () => {
  it('back within the wait: the activity succeeds, the row becomes sent, the lead has the message once (a retry sends nothing)', async () => {
    const lead = await newLead();
    cutPostgresOnSendTo(lead.user.id);
    // Postgres returns once the record has found it away (a refused connection), inside the wait.
    void proxy.untilRefused(proxy.refused + 1).then(() => proxy.restore());

    const result = await telegram(60_000).sendToLead(lead.message);
    fake.setFaultInjector();
    const again = await telegram(60_000).sendToLead(lead.message);

    expect(result).toEqual({ status: 'sent', telegramMessageIds: [expect.any(Number)] });
    expect(again).toEqual(result);
    expect(fake.deliveredTo(lead.user.id)).toBe(1);
    expect(await outboundRow(lead.message.outboundId)).toMatchObject({ status: 'sent', telegram_message_id: result.telegramMessageIds[0] });
  });

  it('still away when the wait ends: the activity succeeds all the same and leaves the row sending, and its retry does not send it again', async () => {
    const lead = await newLead();
    cutPostgresOnSendTo(lead.user.id);
    const refusedBefore = proxy.refused;

    const result = await telegram(1_000).sendToLead(lead.message);
    const triedMeanwhile = proxy.refused - refusedBefore;
    fake.setFaultInjector();
    proxy.restore();

    expect(result.status).toBe('sent');
    expect(triedMeanwhile).toBeGreaterThan(0); // it did try to record the send, and met the outage
    expect(await outboundRow(lead.message.outboundId)).toMatchObject({ status: 'sending' });
    // Were the activity retried (by Temporal, after a failure), the unsettled claim is too fresh to be a cut-off send.
    await expect(telegram(1_000).sendToLead(lead.message)).rejects.toThrow(/may still be sending/);
    expect(fake.deliveredTo(lead.user.id)).toBe(1);
  });
});

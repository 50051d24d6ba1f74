import pino from 'pino';
import { createBot } from '../../../bot/bot';
import type { Db } from '../../../db/knex';
import { setStaffRole } from '../../../db/staff';
import { saveTemplateDraft } from '../../../db/templates';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { testDb, uniqueUserId } from '../../support/db';
import { recordingPayments } from '../../support/security-bot';

const TOKEN = '123456:TEST-token-for-the-fake-server';
const silent = pino({ level: 'silent' });
let fake: FakeTelegramServer;
let db: Db;
const owner = uniqueUserId();

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  db = testDb();
});
afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});

describe('a staff member who pays while in the middle of a staff dialog', () => {
  it('pays: the Stars payment reaches the payments, not the dialog waiting for their next message', async () => {
    const editor = { id: uniqueUserId(), first_name: 'Редактор' };
    await setStaffRole(db, editor.id, 'editor', owner);
    // The template editor asked them for a file and waits for their next message.
    await saveTemplateDraft(db, { editor: editor.id, key: 'welcome', language: 'ru', text: 'Привет, {first_name}!', awaitingDocument: true });
    const payments = recordingPayments();
    const bot = createBot({
      token: TOKEN,
      apiRoot: fake.apiRoot,
      logger: silent,
      conversations: { deliver: async () => undefined },
      staff: { db, owners: [owner], logger: silent },
      templates: { db, owners: [owner], logger: silent, followUpDefaults: () => ({}) },
      payments: { db, owners: [owner], logger: silent, workflows: payments },
    });
    await bot.init();

    const { updateId, chargeId } = fake.pushSuccessfulPayment(editor, { payload: 'order:987654319', total_amount: 300 });
    await bot.handleUpdate(fake.pushedUpdate(updateId));

    expect(payments.asked).toEqual([expect.stringContaining(`"${chargeId}"`)]);
    expect(await db('payment_flags').where({ payment_ref: chargeId }).first('payer_telegram_id')).toEqual({ payer_telegram_id: editor.id });
    // The dialog did not take the payment for a wrong answer.
    expect(fake.callsTo('sendMessage', editor.id)).toHaveLength(0);
  });
});

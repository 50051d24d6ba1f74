import type { Update } from 'grammy/types';
import pino from 'pino';
import { createBot } from '../../../bot/bot';
import type { Db } from '../../../db/knex';
import { setStaffRole } from '../../../db/staff';
import { STAFF_TEXTS } from '../../../domain/staff/staff-texts';
import type { DraftDecision } from '../../../workflows/lead-conversation/contract';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { testDb, uniqueUserId } from '../../support/db';

const TOKEN = '123456:TEST-token-for-the-fake-server';
const MANAGERS = -100500;
const MANAGER = { id: uniqueUserId(), is_bot: false, first_name: 'Олег' };
const OWNER = uniqueUserId();

let fake: FakeTelegramServer;
let db: Db;
let decisions: { telegramUserId: number; decision: DraftDecision }[];

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  db = testDb();
  await setStaffRole(db, MANAGER.id, 'manager', OWNER);
});
afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});
beforeEach(() => {
  decisions = [];
});

async function botWithDrafts() {
  const bot = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    logger: pino({ level: 'silent' }),
    conversations: { deliver: async () => undefined },
    approvals: {
      managersChatId: MANAGERS,
      logger: pino({ level: 'silent' }),
      findDraft: async (id) => (id === 1 ? { telegramUserId: 4001, pending: true } : id === 2 ? { telegramUserId: 4002, pending: false } : undefined),
      findDraftByMessage: async (chatId, messageId) => (chatId === MANAGERS && messageId === 900 ? { id: 1, telegramUserId: 4001 } : undefined),
      decide: async (telegramUserId, decision) => void decisions.push({ telegramUserId, decision }),
      access: { db, owners: [OWNER], managersChatId: MANAGERS },
    },
  });
  await bot.init();
  return bot;
}

const callback = (data: string, chatId = MANAGERS, updateId = Math.floor(Math.random() * 1e9)) =>
  ({
    update_id: updateId,
    callback_query: { id: `cq${updateId}`, from: MANAGER, chat_instance: 'x', data, message: { message_id: 900, date: 1, chat: { id: chatId, type: 'supergroup', title: 'Managers' } } },
  }) as unknown as Update;

const replyTo = (messageId: number, text: string, chatId = MANAGERS) =>
  ({
    update_id: Math.floor(Math.random() * 1e9),
    message: { message_id: 901, date: 1, chat: { id: chatId, type: 'supergroup', title: 'Managers' }, from: MANAGER, text, reply_to_message: { message_id: messageId, date: 1, chat: { id: chatId, type: 'supergroup', title: 'Managers' } } },
  }) as unknown as Update;

describe('draft approvals in the managers chat', () => {
  it('the buttons approve or reject, signalled to the lead with who decided', async () => {
    const bot = await botWithDrafts();
    await bot.handleUpdate(callback('dr:1.ok'));
    await bot.handleUpdate(callback('dr:1.no'));
    expect(decisions).toEqual([
      { telegramUserId: 4001, decision: { draftId: 1, decision: 'approve', by: MANAGER.id } },
      { telegramUserId: 4001, decision: { draftId: 1, decision: 'reject', by: MANAGER.id } },
    ]);
  });

  it('a closed or unknown draft, or a forged verdict, changes nothing and says so', async () => {
    const bot = await botWithDrafts();
    for (const data of ['dr:2.ok', 'dr:999.ok', 'dr:1.maybe', 'dr:abc.ok']) await bot.handleUpdate(callback(data));
    expect(decisions).toEqual([]);
  });

  it("a reply to the draft card sends the manager's text instead", async () => {
    const bot = await botWithDrafts();
    await bot.handleUpdate(replyTo(900, 'Да, можно учиться в своём темпе.'));
    expect(decisions).toEqual([{ telegramUserId: 4001, decision: { draftId: 1, decision: 'edit', text: 'Да, можно учиться в своём темпе.', by: MANAGER.id } }]);
    expect(fake.callsTo('sendMessage', MANAGERS).at(-1)?.params.text).toBe(STAFF_TEXTS.edited);
  });

  it("a decision that cannot reach the lead's conversation is reported to the manager, not lost silently", async () => {
    const bot = createBot({
      token: TOKEN,
      apiRoot: fake.apiRoot,
      logger: pino({ level: 'silent' }),
      conversations: { deliver: async () => undefined },
      approvals: {
        managersChatId: MANAGERS,
        logger: pino({ level: 'silent' }),
        findDraft: async () => undefined,
        findDraftByMessage: async () => ({ id: 1, telegramUserId: 4001 }),
        decide: async () => {
          throw new Error('workflow not found');
        },
        access: { db, owners: [OWNER], managersChatId: MANAGERS },
      },
    });
    await bot.init();
    await bot.handleUpdate(replyTo(900, 'текст'));
    expect(fake.callsTo('sendMessage', MANAGERS).at(-1)?.params.text).toBe(STAFF_TEXTS.notDelivered);
  });

  it('someone in the managers chat without a manager role cannot decide', async () => {
    const bot = await botWithDrafts();
    const intruder = { id: uniqueUserId(), is_bot: false, first_name: 'Гость' };
    const press = callback('dr:1.ok') as unknown as { callback_query: { from: object } };
    press.callback_query.from = intruder;
    await bot.handleUpdate(press as unknown as Update);
    const reply = replyTo(900, 'мой текст') as unknown as { message: { from: object } };
    reply.message.from = intruder;
    await bot.handleUpdate(reply as unknown as Update);
    expect(decisions).toEqual([]);
    expect(fake.callsTo('sendMessage', MANAGERS).at(-1)?.params.text).toBe(STAFF_TEXTS.notAllowed);
    const audit = await db('staff_audit').where({ actor_telegram_id: intruder.id }).orderBy('id').select('command', 'allowed', 'reason');
    expect(audit).toEqual([
      { command: 'draft_decision', allowed: false, reason: 'not staff' },
      { command: 'draft_edit', allowed: false, reason: 'not staff' },
    ]);
  });

  it('the same buttons or replies in another chat do nothing', async () => {
    const bot = await botWithDrafts();
    await bot.handleUpdate(callback('dr:1.ok', -100999));
    await bot.handleUpdate(replyTo(900, 'текст', -100999));
    expect(decisions).toEqual([]);
  });
});

import type { Update } from 'grammy/types';
import pino from 'pino';
import { createBot } from '../../../bot/bot';
import type { Db } from '../../../db/knex';
import { setStaffRole } from '../../../db/staff';
import type { InboundEvent } from '../../../domain/inbound-event';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { testDb, uniqueUserId } from '../../support/db';
import { textUpdate } from '../../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
const USAGE = 'Как: /sendto @username1 @username2 текст сообщения';
let fake: FakeTelegramServer;
let db: Db;
const owner = uniqueUserId();
let delivered: InboundEvent[];

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

async function bot() {
  const instance = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    logger: pino({ level: 'silent' }),
    conversations: { deliver: async (event) => void delivered.push(event) },
    staff: { db, owners: [owner], logger: pino({ level: 'silent' }) },
  });
  await instance.init();
  return instance;
}

/** A lead in the `leads` table, with a username unique to this run. */
async function seedLead(name: string) {
  const telegramUserId = uniqueUserId();
  const username = `${name}_${telegramUserId}`;
  const [row] = await db('leads').insert({ telegram_user_id: telegramUserId, chat_id: telegramUserId, first_name: name, username }).returning('id');
  return { id: Number(row.id), telegramUserId, chatId: telegramUserId, username };
}

async function manager() {
  const id = uniqueUserId();
  await setStaffRole(db, id, 'manager', owner);
  return id;
}

/** The bot's last answer to someone in their private chat. */
const lastReplyTo = (chatId: number) => String(fake.callsTo('sendMessage', chatId).at(-1)?.params.text);
/** Every sendMessage attempt (delivered or refused) since `from`, as [chat, text, error code]. */
const sendsSince = (from: number) =>
  fake.calls.slice(from).filter((c) => c.method === 'sendMessage').map((c) => [c.params.chat_id, c.params.text, c.error?.error_code ?? null]);
const managerMessages = (leadId: number) => db('messages').where({ lead_id: leadId, direction: 'manager' }).orderBy('id');
const auditOf = (actor: number) => db('staff_audit').where({ actor_telegram_id: actor, command: 'sendto' }).orderBy('id');

describe('/sendto', () => {
  it('sends to each found lead and reports per recipient: sent, not found, blocked the bot', async () => {
    const b = await bot();
    const sender = await manager();
    const [anna, boris, gone] = [await seedLead('anna'), await seedLead('Boris'), await seedLead('gone')];
    const nobody = `nobody_${uniqueUserId()}`;
    fake.blockUser(gone.chatId);
    const text = 'Добрый день!\nЗавтра в 19:00 вебинар — ссылка придёт за час.';
    const command = `/sendto @${anna.username} @${boris.username.toUpperCase()} @${nobody}, @${gone.username} ${text}`;
    const before = fake.calls.length;

    await b.handleUpdate(textUpdate({ id: sender, first_name: 'Олег' }, command) as unknown as Update);

    expect(lastReplyTo(sender)).toBe(
      [
        '📨 Рассылка по списку: 4',
        `@${anna.username}: ✅ отправлено`,
        `@${boris.username.toLowerCase()}: ✅ отправлено`,
        `@${nobody}: ❓ не найден`,
        `@${gone.username}: ⛔ заблокировал бота`,
      ].join('\n'),
    );
    // Exactly one message to each found lead (the blocked one refused by Telegram), then the report.
    expect(sendsSince(before)).toEqual([
      [anna.chatId, text, null],
      [boris.chatId, text, null],
      [gone.chatId, text, 403],
      [sender, expect.stringContaining('📨 Рассылка по списку: 4'), null],
    ]);

    for (const lead of [anna, boris]) {
      const rows = await managerMessages(lead.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ text, status: 'sent', chat_id: lead.chatId });
      const sent = fake.callsTo('sendMessage', lead.chatId)[0].result as { message_id: number };
      expect(rows[0].telegram_message_id).toBe(sent.message_id);
    }
    const [failed] = await managerMessages(gone.id);
    expect(failed).toMatchObject({ status: 'failed', text });
    expect(failed.error).toMatch(/blocked/);

    const leads = await db('leads').whereIn('id', [anna.id, boris.id, gone.id]).orderBy('id').select('id', 'blocked', 'blocked_at');
    expect(leads.map((l) => [Number(l.id), l.blocked])).toEqual([
      [anna.id, false],
      [boris.id, false],
      [gone.id, true],
    ]);
    expect(leads[2].blocked_at).not.toBeNull();

    const [audit] = await auditOf(sender);
    expect(audit).toMatchObject({ allowed: true, actor_role: 'manager' });
    expect(audit.details).toMatchObject({ recipients: 4, counts: { sent: 2, not_found: 1, blocked: 1 } });
    expect(delivered).toEqual([]);
  });

  it('the same update handled twice sends nothing twice and says it was already sent', async () => {
    const b = await bot();
    const sender = await manager();
    const [anna, boris] = [await seedLead('anna'), await seedLead('boris')];
    const update = textUpdate({ id: sender, first_name: 'Олег' }, `/sendto @${anna.username} @${boris.username} Напоминание об оплате`) as unknown as Update;

    await b.handleUpdate(update);
    expect(lastReplyTo(sender)).toBe(['📨 Рассылка по списку: 2', `@${anna.username}: ✅ отправлено`, `@${boris.username}: ✅ отправлено`].join('\n'));
    const before = fake.calls.length;

    await b.handleUpdate(update);
    expect(lastReplyTo(sender)).toBe(['📨 Рассылка по списку: 2', `@${anna.username}: ✅ уже отправлено`, `@${boris.username}: ✅ уже отправлено`].join('\n'));
    expect(sendsSince(before)).toEqual([[sender, expect.stringContaining('уже отправлено'), null]]);
    expect(fake.callsTo('sendMessage', anna.chatId)).toHaveLength(1);
    expect(fake.callsTo('sendMessage', boris.chatId)).toHaveLength(1);
    expect(await managerMessages(anna.id)).toHaveLength(1);
    expect(await managerMessages(boris.id)).toHaveLength(1);
  });

  it('a new /sendto with the same text is a new send, not a duplicate', async () => {
    const b = await bot();
    const sender = await manager();
    const anna = await seedLead('anna');
    const command = `/sendto @${anna.username} Ещё раз привет`;
    await b.handleUpdate(textUpdate({ id: sender, first_name: 'Олег' }, command) as unknown as Update);
    await b.handleUpdate(textUpdate({ id: sender, first_name: 'Олег' }, command) as unknown as Update);
    expect(lastReplyTo(sender)).toBe(['📨 Рассылка по списку: 1', `@${anna.username}: ✅ отправлено`].join('\n'));
    expect(fake.callsTo('sendMessage', anna.chatId).map((c) => c.params.text)).toEqual(['Ещё раз привет', 'Ещё раз привет']);
    expect(await managerMessages(anna.id)).toHaveLength(2);
  });

  it('an owner may send too, and a numeric id finds the lead', async () => {
    const b = await bot();
    const anna = await seedLead('anna');
    const before = fake.calls.length;
    await b.handleUpdate(textUpdate({ id: owner, first_name: 'Owner' }, `/sendto ${anna.telegramUserId} Здравствуйте!`) as unknown as Update);
    expect(lastReplyTo(owner)).toBe(['📨 Рассылка по списку: 1', `${anna.telegramUserId}: ✅ отправлено`].join('\n'));
    expect(sendsSince(before)[0]).toEqual([anna.chatId, 'Здравствуйте!', null]);
  });

  it('a lead (no role) is refused, nothing is sent, and the attempt is recorded', async () => {
    const b = await bot();
    const intruder = uniqueUserId();
    const anna = await seedLead('anna');
    const before = fake.calls.length;

    await b.handleUpdate(textUpdate({ id: intruder, first_name: 'Гость' }, `/sendto @${anna.username} Купите у меня`) as unknown as Update);

    expect(lastReplyTo(intruder)).toBe('⛔ Эта команда — для менеджеров. Попытка записана.');
    expect(sendsSince(before)).toEqual([[intruder, '⛔ Эта команда — для менеджеров. Попытка записана.', null]]);
    expect(await managerMessages(anna.id)).toEqual([]);
    expect((await auditOf(intruder)).map((a) => [a.allowed, a.actor_role, a.reason])).toEqual([[false, null, 'not staff']]);
    expect(delivered).toEqual([]);
  });

  it('a command without text gets the usage answer, is recorded, and sends nothing', async () => {
    const b = await bot();
    const sender = await manager();
    const anna = await seedLead('anna');
    const before = fake.calls.length;

    await b.handleUpdate(textUpdate({ id: sender, first_name: 'Олег' }, `/sendto @${anna.username}`) as unknown as Update);
    expect(lastReplyTo(sender)).toBe(`Не отправлено: нет текста сообщения.\n${USAGE}`);

    await b.handleUpdate(textUpdate({ id: sender, first_name: 'Олег' }, '/sendto') as unknown as Update);
    expect(lastReplyTo(sender)).toBe(`Не отправлено: нет получателей: укажите @username или id.\n${USAGE}`);

    expect(sendsSince(before).map(([chat]) => chat)).toEqual([sender, sender]);
    expect(await managerMessages(anna.id)).toEqual([]);
    expect((await auditOf(sender)).map((a) => [a.allowed, a.reason])).toEqual([
      [false, 'нет текста сообщения'],
      [false, 'нет получателей: укажите @username или id'],
    ]);
  });
});

import pino from 'pino';
import { NO_OWNERS_REASON, warnAboutStaffAccess } from '../../bot/staff-access';
import type { Db } from '../../db/knex';
import { setStaffRole } from '../../db/staff';
import { FakeTelegramServer } from '../fakes/telegram-server';
import { testDb } from '../support/db';
import { auditOf, groupChat, person, privateChatOf, SECURITY_TOKEN, securityBot } from '../support/security-bot';

/**
 * Issue 15, sections 1 and 4: group chats other than the managers' chat get the same anti-spam as
 * private chats (payment commands included), the bot leaves a group that someone outside the staff
 * added it to, and a start without owners says which settings are missing.
 */
const MANAGERS = -100_5005;
let fake: FakeTelegramServer;
let db: Db;
let clock = Date.UTC(2026, 11, 1, 9, 0, 0);

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: SECURITY_TOKEN });
  db = testDb();
});
afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});

const textsIn = (chatId: number) => fake.callsTo('sendMessage', chatId).map((c) => String(c.params.text));
const left = (chatId: number) => fake.callsTo('leaveChat').filter((c) => c.params.chat_id === chatId);

describe('group chats', () => {
  it('a group member flooding payment commands in a group is muted like in private: answers stop, the drops are recorded', async () => {
    const owner = person('Owner');
    const sb = securityBot({ fake, db, owners: [owner.id], managersChatId: MANAGERS, clock: () => new Date(clock) });
    const group = groupChat(-100_6001);
    const spammer = person('Spammer');
    for (let i = 0; i < 12; i += 1) {
      await sb.say(spammer, group, `/order_confirm ${i + 1}`);
      clock += 500;
    }
    const texts = textsIn(group.id);
    // 8 events in 10 s is the limit: 7 refusals, then the mute notice, then silence.
    expect(texts.filter((t) => t.startsWith('⛔'))).toHaveLength(7);
    expect(texts.filter((t) => t.startsWith('⏸'))).toHaveLength(1);
    expect(texts).toHaveLength(8);
    expect(sb.payments.asked).toEqual([]);
    expect(Number((await db('dropped_updates').where({ telegram_user_id: spammer.id }).count('* as n').first())?.n)).toBe(5);
    expect((await auditOf(db, spammer.id)).map((a) => [a.command, a.allowed])).toEqual(Array(7).fill(['order_confirm', false]));
  });

  it('the managers’ chat is not judged, and staff are never muted in other groups', async () => {
    const owner = person('Owner');
    const manager = person('Manager');
    await setStaffRole(db, manager.id, 'manager', owner.id);
    const sb = securityBot({ fake, db, owners: [owner.id], managersChatId: MANAGERS, clock: () => new Date(clock) });
    const guest = person('Guest');
    for (let i = 0; i < 10; i += 1) {
      await sb.say(guest, groupChat(MANAGERS), `/order_cancel ${i + 1}`);
      await sb.say(manager, groupChat(-100_6002), `/order_cancel x${i}`);
      clock += 300;
    }
    expect(textsIn(MANAGERS).filter((t) => t.startsWith('⏸'))).toEqual([]);
    expect(textsIn(-100_6002).filter((t) => t.startsWith('⏸'))).toEqual([]);
    expect(Number((await db('dropped_updates').whereIn('telegram_user_id', [guest.id, manager.id]).count('* as n').first())?.n)).toBe(0);
  });

  it('added to a group by someone outside the staff, the bot leaves at once and records it; added by staff, it stays', async () => {
    const owner = person('Owner');
    const manager = person('Manager');
    await setStaffRole(db, manager.id, 'manager', owner.id);
    const sb = securityBot({ fake, db, owners: [owner.id], managersChatId: MANAGERS });
    const stranger = person('Stranger');
    await sb.addedToGroup(stranger, groupChat(-100_7001, 'Free signals'));
    await sb.addedToGroup(manager, groupChat(-100_7002, 'Sales team'));
    expect(left(-100_7001)).toHaveLength(1);
    expect(left(-100_7002)).toHaveLength(0);
    expect(await auditOf(db, stranger.id)).toMatchObject([{ command: 'bot_added_to_chat', allowed: false, reason: 'not staff', details: { chatId: -100_7001, left: true } }]);
    expect(await auditOf(db, manager.id)).toMatchObject([{ command: 'bot_added_to_chat', allowed: true, details: { chatId: -100_7002, left: false } }]);
  });

  it('with no owners configured, only the managers’ chat keeps the bot; anyone adding it elsewhere, and anyone acting outside it, is refused', async () => {
    const sb = securityBot({ fake, db, owners: [], managersChatId: MANAGERS });
    const someone = person('Someone');
    await sb.addedToGroup(someone, groupChat(-100_7003));
    await sb.addedToGroup(someone, groupChat(MANAGERS, 'Managers'));
    expect(left(-100_7003)).toHaveLength(1);
    expect(left(MANAGERS)).toHaveLength(0);
    await sb.say(someone, privateChatOf(someone), '/staff');
    await sb.say(someone, privateChatOf(someone), '/order_cancel 3');
    expect((await auditOf(db, someone.id)).map((a) => [a.command, a.allowed, a.reason])).toEqual([
      ['bot_added_to_chat', false, NO_OWNERS_REASON],
      ['bot_added_to_chat', true, null],
      ['staff', false, NO_OWNERS_REASON],
      ['order_cancel', false, NO_OWNERS_REASON],
    ]);
    expect(textsIn(someone.id).at(-1)).toContain('только в чате менеджеров');
  });
});

describe('start-up without owners', () => {
  function captured(settings: { owners: number[]; managersChatId?: number }): { msg: string; missing: string[] }[] {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    warnAboutStaffAccess(logger, settings);
    return lines.map((l) => JSON.parse(l) as { msg: string; missing: string[]; level: number }).filter((l) => (l as unknown as { level: number }).level === 40);
  }

  it('warns naming the missing settings, and stays quiet once owners are configured', () => {
    expect(captured({ owners: [], managersChatId: MANAGERS })).toEqual([expect.objectContaining({ missing: ['ADMIN_TELEGRAM_IDS'], msg: expect.stringContaining('only inside MANAGERS_CHAT_ID') })]);
    expect(captured({ owners: [] })).toEqual([expect.objectContaining({ missing: ['ADMIN_TELEGRAM_IDS', 'MANAGERS_CHAT_ID'], msg: expect.stringContaining('no staff action is possible') })]);
    expect(captured({ owners: [42], managersChatId: MANAGERS })).toEqual([]);
  });
});

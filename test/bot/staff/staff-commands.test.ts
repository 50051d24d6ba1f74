import type { Update } from 'grammy/types';
import pino from 'pino';
import { createBot } from '../../../bot/bot';
import type { Db } from '../../../db/knex';
import type { InboundEvent } from '../../../domain/inbound-event';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { testDb, uniqueUserId } from '../../support/db';
import { textUpdate } from '../../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
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

/** Sends a command from a user and returns the bot's reply text. */
async function command(from: number, text: string): Promise<string> {
  const b = await bot();
  await b.handleUpdate(textUpdate({ id: from, first_name: 'Staff' }, text) as unknown as Update);
  return String(fake.callsTo('sendMessage', from).at(-1)?.params.text);
}

const auditOf = (actor: number) => db('staff_audit').where({ actor_telegram_id: actor }).orderBy('id');
const roleIn = async (id: number) => (await db('staff').where({ telegram_user_id: id }).first())?.role ?? null;

describe('staff commands', () => {
  it('the owner adds an admin; the admin adds a manager and an editor; each step recorded', async () => {
    const [admin, manager, editor] = [uniqueUserId(), uniqueUserId(), uniqueUserId()];
    expect(await command(owner, `/staff_add ${admin} admin`)).toBe(`✅ ${admin} теперь admin.`);
    expect(await command(admin, `/staff_add ${manager} manager`)).toBe(`✅ ${manager} теперь manager.`);
    expect(await command(admin, `/staff_add ${editor} editor`)).toBe(`✅ ${editor} теперь editor.`);
    expect([await roleIn(admin), await roleIn(manager), await roleIn(editor)]).toEqual(['admin', 'manager', 'editor']);
    expect((await auditOf(admin)).map((a) => [a.command, a.allowed])).toEqual([
      ['staff_add', true],
      ['staff_add', true],
    ]);
    expect(await command(owner, '/staff')).toContain(`• ${admin} — admin`);
  });

  it("an admin cannot make admins or touch the owner's admins; a manager and an editor can run no staff command", async () => {
    const [admin, other, manager] = [uniqueUserId(), uniqueUserId(), uniqueUserId()];
    await command(owner, `/staff_add ${admin} admin`);
    await command(owner, `/staff_add ${other} admin`);
    await command(admin, `/staff_add ${manager} manager`);
    expect(await command(admin, `/staff_add ${uniqueUserId()} admin`)).toBe('⛔ Ваша роль не может выдавать или снимать роль admin.');
    expect(await command(admin, `/staff_remove ${other}`)).toBe('⛔ Ваша роль не может выдавать или снимать роль admin.');
    expect(await roleIn(other)).toBe('admin');
    expect(await command(manager, `/staff_add ${uniqueUserId()} manager`)).toBe('⛔ Недостаточно прав для этой команды. Попытка записана.');
    const [refused] = await auditOf(manager);
    expect(refused).toMatchObject({ allowed: false, actor_role: 'manager', reason: 'role manager is below admin' });
  });

  it('a lead typing an admin command is refused, recorded, and the command never reaches the lead flow', async () => {
    const lead = uniqueUserId();
    expect(await command(lead, `/staff_add ${lead} admin`)).toBe('⛔ Недостаточно прав для этой команды. Попытка записана.');
    expect(await roleIn(lead)).toBeNull();
    expect((await auditOf(lead)).map((a) => [a.command, a.allowed, a.reason])).toEqual([['staff_add', false, 'not staff']]);
    expect(delivered).toEqual([]);
  });

  it('removing takes the role away; bad input gets the usage, recorded', async () => {
    const manager = uniqueUserId();
    await command(owner, `/staff_add ${manager} manager`);
    expect(await command(owner, `/staff_remove ${manager}`)).toBe(`✅ ${manager} больше не в команде.`);
    expect(await roleIn(manager)).toBeNull();
    expect(await command(owner, '/staff_add abc manager')).toMatch(/^Как добавить/);
    expect(await command(owner, `/staff_add ${manager} superuser`)).toMatch(/^Как добавить/);
    expect((await auditOf(owner)).filter((a) => !a.allowed).map((a) => a.reason)).toEqual(expect.arrayContaining(['bad arguments', 'bad role']));
  });
});

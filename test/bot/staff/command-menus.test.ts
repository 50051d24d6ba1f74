import type { Update } from 'grammy/types';
import pino from 'pino';
import { createBot } from '../../../bot/bot';
import { registerCommandMenus } from '../../../bot/command-menus';
import type { Db } from '../../../db/knex';
import { setStaffRole } from '../../../db/staff';
import type { InboundEvent } from '../../../domain/inbound-event';
import { commandsFor } from '../../../domain/staff/command-table';
import { defaultScenarioPath, loadScenarioFile } from '../../../scenarios/loader';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { testDb, uniqueUserId } from '../../support/db';
import { textUpdate } from '../../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
const silent = pino({ level: 'silent' });
const MANAGERS_CHAT = -1009876;
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

async function say(from: number, text: string): Promise<string> {
  const bot = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    logger: silent,
    conversations: { deliver: async (event) => void delivered.push(event) },
    staff: { db, owners: [owner], managersChatId: MANAGERS_CHAT, logger: silent },
  });
  await bot.init();
  await bot.handleUpdate(textUpdate({ id: from, first_name: 'Staff' }, text) as unknown as Update);
  return String(fake.callsTo('sendMessage', from).at(-1)?.params.text);
}

const scenarios = [loadScenarioFile(defaultScenarioPath('ru')), loadScenarioFile(defaultScenarioPath('en'))];
const names = (role: Parameters<typeof commandsFor>[0], where: 'private' | 'group' = 'private') => commandsFor(role, where).map((c) => c.command);

describe('command menus', () => {
  it('at start: leads see the scenario commands in their language, each staff member their role, the managers chat what works there', async () => {
    const [manager, editor, lead] = [uniqueUserId(), uniqueUserId(), uniqueUserId()];
    await setStaffRole(db, manager, 'manager', owner);
    await setStaffRole(db, editor, 'editor', owner);
    await registerCommandMenus({ db, owners: [owner], managersChatId: MANAGERS_CHAT, api: (await freshApi()).api, logger: silent }, scenarios);

    const leadMenu = ['start', 'menu', 'consult', 'contact', 'survey', 'help', 'stop', 'resume', 'reset'];
    expect(fake.menuSeenIn(lead, 'ru')).toEqual(leadMenu);
    expect(fake.menuSeenIn(lead, 'en')).toEqual(leadMenu);
    expect(fake.menuSeenIn(lead, 'de')).toEqual(leadMenu);
    const english = await (await freshApi()).api.getMyCommands({ scope: { type: 'all_private_chats' }, language_code: 'en' });
    expect(english.find((c) => c.command === 'reset')?.description).toBe('Delete my data');

    expect(fake.menuSeenIn(manager)).toEqual(names('manager'));
    expect(fake.menuSeenIn(manager)).not.toContain('broadcast');
    expect(fake.menuSeenIn(editor)).toEqual(expect.arrayContaining(['broadcast', 'templates', 'lead']));
    expect(fake.menuSeenIn(editor)).not.toContain('staff_add');
    expect(fake.menuSeenIn(owner)).toEqual(expect.arrayContaining(['staff_add', 'refund', 'broadcast', 'order_confirm']));
    const group = await (await freshApi()).api.getMyCommands({ scope: { type: 'chat', chat_id: MANAGERS_CHAT } });
    expect(group.map((c) => c.command)).toEqual(names('manager', 'group'));
    expect(group.map((c) => c.command)).toEqual(expect.arrayContaining(['r', 'close', 'order_confirm']));
    expect(group.map((c) => c.command)).not.toContain('dashboard');
  });

  it('a role given or taken away changes that person\'s menu at once', async () => {
    const person = uniqueUserId();
    await registerCommandMenus({ db, owners: [owner], api: (await freshApi()).api, logger: silent }, scenarios);
    expect(fake.menuSeenIn(person)).toContain('consult');
    await say(owner, `/staff_add ${person} editor`);
    expect(fake.menuSeenIn(person)).toEqual(names('editor'));
    await say(owner, `/staff_add ${person} manager`);
    expect(fake.menuSeenIn(person)).toEqual(names('manager'));
    await say(owner, `/staff_remove ${person}`);
    expect(fake.menuSeenIn(person)).toContain('consult');
    expect(fake.menuSeenIn(person)).not.toContain('lead');
  });
});

describe('staff /help and the lead flow', () => {
  it('/help lists exactly what the role can do, one line each', async () => {
    const [manager, editor] = [uniqueUserId(), uniqueUserId()];
    await setStaffRole(db, manager, 'manager', owner);
    await setStaffRole(db, editor, 'editor', owner);
    const managerHelp = await say(manager, '/help');
    expect(commandLines(managerHelp)).toEqual(names('manager'));
    expect(commandLines(await say(editor, '/help'))).toEqual(names('editor'));
    expect(commandLines(await say(owner, '/help'))).toEqual(names('owner'));
    expect(managerHelp).toContain('/lead — карточка лида');
    expect(delivered).toEqual([]);
  });

  it('staff typing /help, /start or anything else never reach the lead flow; a lead does', async () => {
    const [manager, lead] = [uniqueUserId(), uniqueUserId()];
    await setStaffRole(db, manager, 'manager', owner);
    await say(manager, '/help');
    await say(manager, '/start');
    expect(await say(manager, 'Здравствуйте, хочу курс')).toContain('/help');
    await say(owner, 'привет');
    expect(delivered).toEqual([]);
    await say(lead, '/help');
    await say(lead, 'хочу курс');
    expect(delivered.map((e) => e.kind)).toEqual(['command', 'text']);
  });
});

function commandLines(text: string): string[] {
  return text.split('\n').filter((line) => line.startsWith('/')).map((line) => line.slice(1).split(' ')[0]);
}

async function freshApi() {
  const bot = createBot({ token: TOKEN, apiRoot: fake.apiRoot, logger: silent, conversations: { deliver: async () => undefined } });
  return bot;
}

import type { Update } from 'grammy/types';
import pino from 'pino';
import { createBot } from '../../../bot/bot';
import type { Handoffs } from '../../../bot/handoffs/handoffs';
import type { CampaignWorkflowsPort } from '../../../api/campaign-workflows';
import type { Db } from '../../../db/knex';
import type { InboundEvent } from '../../../domain/inbound-event';
import { defaultScenarioPath, loadScenarioFile } from '../../../scenarios/loader';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { recordingPayments } from '../../support/security-bot';
import { testDb, uniqueUserId } from '../../support/db';
import { textUpdate } from '../../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
const silent = pino({ level: 'silent' });

let db: Db;
let fake: FakeTelegramServer;
let statements: string[] = [];
const delivered: InboundEvent[] = [];

beforeAll(async () => {
  db = testDb();
  db.on('query', (query: { sql: string }) => statements.push(query.sql));
  fake = await FakeTelegramServer.start({ token: TOKEN });
});
afterAll(async () => {
  await fake.stop();
  await db.destroy();
});

/** The bot with every feature, wired as system.ts wires it (owners configured, like production). */
function fullBot() {
  const access = { db, owners: [uniqueUserId()], managersChatId: -100_777 };
  const unused = {} as never;
  return createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    conversations: { deliver: async (event) => void delivered.push(event) },
    logger: silent,
    staff: { ...access, logger: silent },
    handoffs: unused as Handoffs,
    antiSpam: { ...access, logger: silent, timeZone: 'Europe/Moscow' },
    leadCard: { ...access, logger: silent, timeZone: 'Europe/Moscow' },
    payments: { ...access, logger: silent, workflows: recordingPayments() },
    dashboard: { ...access, logger: silent, timeZone: 'Europe/Moscow' },
    broadcasts: { ...access, logger: silent, workflows: unused as CampaignWorkflowsPort },
    campaigns: { ...access, timeZone: 'Europe/Moscow' },
    templates: { ...access, logger: silent, followUpDefaults: () => ({}) },
    panel: { ...access, logger: silent, timeZone: 'Europe/Moscow', followUpDefaults: () => ({}), scenario: (language) => loadScenarioFile(defaultScenarioPath(language)) },
  });
}

/**
 * Every Postgres round trip before a lead's update reaches Temporal is time the lead waits for the
 * answer (issue 23: the reply path). Who the sender is (staff or not) and whether a staff dialog is
 * open are looked up once per update, not by every feature again.
 */
describe('a lead update on its way to the conversation', () => {
  it.each([
    // The anti-spam transaction (4: begin, upsert returning the row, update, commit), the role, an open template draft.
    ['a command', 6, '/help'],
    // The same, and what a text could continue: a staff dialog, a manager's held dialogs, and whether it
    // answers a manager's one-off message (/sendto, Write: bot/handoffs/sendto-replies.ts, one indexed query).
    ['a text', 9, 'how much is the course?'],
  ])('%s reaches the conversation after at most %i Postgres statements, the role and staff dialog asked once', async (_kind, most, text) => {
    const bot = fullBot();
    await bot.init();
    const lead = { id: uniqueUserId(), first_name: 'Lead' };
    await bot.handleUpdate(textUpdate(lead, '/start') as unknown as Update);
    statements = [];
    await bot.handleUpdate(textUpdate(lead, text) as unknown as Update);
    expect(delivered.at(-1)).toMatchObject({ from: { id: lead.id } });
    expect(statements.length).toBeLessThanOrEqual(most);
    expect(statements.filter((sql) => sql.includes('from "staff"'))).toHaveLength(1);
    expect(statements.filter((sql) => sql.includes('from "staff_dialogs"')).length).toBeLessThanOrEqual(1);
  });
});

import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { launchCampaign } from '../../api/campaign-launch';
import { broadcastBatchSize, CampaignWorkflows } from '../../api/campaign-workflows';
import type { Db } from '../../db/knex';
import { startDevServer, type DevServer } from '../../scripts/dev-server';
import { temporalCliPath } from '../../scripts/temporal-binaries';
import { campaignWorkflowId, type CampaignProgress } from '../../workflows/broadcast-campaign/contract';
import { FakeTelegramServer } from '../fakes/telegram-server';
import { ownDatabase } from '../support/own-database';
import { WORKFLOW_BUNDLE_PATH } from '../support/paths';
import { startApp, type AppProcess } from '../support/processes';
import { reportScenario } from './support/report';
import { scaled } from './support/scale';

/**
 * Scenario 2: worker kills during a campaign. The worker process is SIGKILLed mid-send, several times,
 * and restarted each time: every reached lead gets the message exactly once, a send a kill cut off
 * (`unknown`, never resent) at most once, blocked leads are marked, manager dialogs skipped, 0 × 429.
 */
const TOKEN = '777777:CRASH-token-for-the-fake-bot-api';
const RECIPIENTS = Number(process.env.FAULTS_RECIPIENTS ?? scaled(1_000, 10_000));
const KILLS = Number(process.env.FAULTS_CAMPAIGN_KILLS ?? scaled(1, 5));
const FIRST_CHAT = 3_000_000_000;
/** Well above Telegram's 30 a second so 10,000 messages take seconds, not minutes; the fake allows a little more. */
const RATE = 200;
const FAKE_LIMIT = 250;
/** The most messages a worker can have claimed but not yet answered when it dies: one per send lane (rate / 10). */
const IN_FLIGHT_AT_MOST = RATE / 10;
/** Kills spread over the campaign: after each further share of the audience reached the fake. */
const KILL_EVERY = Math.floor(RECIPIENTS / (KILLS + 2));
// Bounds, not waits: on a loaded machine the worker alone may take a minute to start and bundle.
jest.setTimeout(600_000);

let devServer: DevServer;
let fake: FakeTelegramServer;
let db: Db;
let databaseUrl: string;
let client: Client;
let connection: Connection;
let worker: AppProcess | undefined;

beforeAll(async () => {
  let own: { db: Db; url: string };
  [devServer, fake, own] = await Promise.all([
    startDevServer({ cliPath: temporalCliPath() }),
    FakeTelegramServer.start({ token: TOKEN, floodControl: { messagesPerSecond: FAKE_LIMIT } }),
    ownDatabase('broadcast_crash'),
  ]);
  ({ db, url: databaseUrl } = own);
  connection = await Connection.connect({ address: devServer.address });
  client = new Client({ connection });
});

afterAll(async () => {
  await worker?.kill();
  await connection?.close();
  await Promise.all([devServer?.stop(), fake?.stop(), db?.destroy()]);
});

/** Every 100th lead blocked the bot (the fake answers 403); every 100th, offset by 50, is in a manager dialog. */
const isBlocker = (i: number) => i % 100 === 0;
const isWithManager = (i: number) => i % 100 === 50;

describe(`a broadcast to ${RECIPIENTS} recipients whose worker process is killed ${KILLS} times mid-campaign`, () => {
  it('resumes after each restart: every recipient gets the message exactly once (or, for a send a kill cut off, at most once), blocked leads marked, manager dialogs skipped', async () => {
    const started = Date.now();
    for (let start = 0; start < RECIPIENTS; start += 2000) {
      const rows = Array.from({ length: Math.min(2000, RECIPIENTS - start) }, (_, k) => {
        const i = start + k;
        const chat = FIRST_CHAT + i;
        if (isBlocker(i)) fake.blockUser(chat);
        return { telegram_user_id: chat, chat_id: chat, first_name: 'Лид', source: 'crash', segment: 'warm', mode: isWithManager(i) ? 'with_manager' : 'bot' };
      });
      await db('leads').insert(rows);
    }
    const taskQueue = `crash-${Date.now()}`;
    const env = {
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: fake.apiRoot,
      TEMPORAL_ADDRESS: devServer.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      DATABASE_URL: databaseUrl,
      BROADCAST_RATE_PER_SECOND: String(RATE),
      LOG_LEVEL: 'error',
      OPENAI_API_KEY: '',
      WORKFLOW_BUNDLE_PATH, // the run's prebuilt bundle: each restart is up in seconds
    };
    worker = startApp(['worker'], env);
    const workflows = new CampaignWorkflows(client, taskQueue, { queue: `${taskQueue}-broadcast`, batchSize: broadcastBatchSize(RATE) });
    const launched = await launchCampaign({ db, workflows, logger: pino({ level: 'silent' }) }, {
      name: 'Краш-тест',
      createdBy: null,
      content: { items: [{ kind: 'text', text: 'Открыт набор на новый поток!' }] },
      audience: { sources: ['crash'] },
      scheduledAt: null,
    });
    if (!launched.launched) throw new Error(launched.reason);

    let deliveredAtKill = 0;
    for (let kill = 1; kill <= KILLS; kill += 1) {
      await fake.waitFor(() => fake.delivered >= kill * KILL_EVERY, 300_000);
      await worker.kill(); // SIGKILL mid-batch: sends in flight, deliveries half settled, the pace row claimed ahead
      deliveredAtKill = fake.delivered;
      worker = startApp(['worker'], env);
    }
    const outcome = (await client.workflow.getHandle(campaignWorkflowId(launched.campaign.id)).result()) as CampaignProgress;
    await worker.terminate();
    worker = undefined;

    const sendable = RECIPIENTS - Math.ceil(RECIPIENTS / 100) - Math.ceil((RECIPIENTS - 50) / 100);
    expect(deliveredAtKill).toBeLessThan(sendable); // the kill came mid-campaign…
    expect(fake.delivered).toBeGreaterThan(deliveredAtKill); // …and the restarted worker carried on

    const deliveries: { lead_id: number; chat_id: number; status: string; reason: string | null }[] = await db('campaign_deliveries as d')
      .join('leads as l', 'l.id', 'd.lead_id')
      .where('d.campaign_id', launched.campaign.id)
      .select('d.lead_id', 'l.chat_id', 'd.status', 'd.reason');
    expect(deliveries).toHaveLength(RECIPIENTS);
    const byStatus = (status: string) => deliveries.filter((d) => d.status === status);
    const received = (d: { chat_id: number }) => fake.deliveredTo(d.chat_id);

    // Blocked and in a manager dialog: marked so, and nothing reached them.
    const blocked = byStatus('blocked');
    expect(blocked.map((d) => d.chat_id - FIRST_CHAT).every(isBlocker)).toBe(true);
    expect(blocked).toHaveLength(Math.ceil(RECIPIENTS / 100));
    expect(Number((await db('leads').where({ blocked: true }).count('* as n'))[0].n)).toBe(Math.ceil(RECIPIENTS / 100));
    const skipped = byStatus('skipped');
    expect(skipped).toHaveLength(Math.ceil((RECIPIENTS - 50) / 100));
    expect(skipped.every((d) => isWithManager(d.chat_id - FIRST_CHAT) && d.reason === 'in a manager dialog')).toBe(true);
    expect([...blocked, ...skipped].filter((d) => received(d) > 0)).toEqual([]);

    // Exactly once for every `sent`. A send the kill cut off between claiming it and hearing from
    // Telegram is `unknown` and never sent again: that lead has 0 or 1 messages, never 2.
    const sent = byStatus('sent');
    const unknown = byStatus('unknown');
    expect(sent.length + unknown.length).toBe(sendable);
    expect(sent.filter((d) => received(d) !== 1)).toEqual([]);
    expect(unknown.filter((d) => received(d) > 1)).toEqual([]);
    expect(unknown.length).toBeLessThanOrEqual(IN_FLIGHT_AT_MOST * KILLS);
    expect(Math.max(...fake.deliveries().values())).toBe(1);
    expect(fake.delivered).toBe(sent.length + unknown.filter((d) => received(d) === 1).length);

    expect(outcome).toMatchObject({ phase: 'completed', counts: { sent: sent.length, unknown: unknown.length, blocked: blocked.length, skipped: skipped.length, queued: 0, failed: 0 } });
    // The pace lives in Postgres, so each restarted worker kept it: the fake never had to refuse a message.
    expect(fake.tooManyRequests).toBe(0);
    reportScenario({
      scenario: '2. worker kills during a campaign',
      done: `${RECIPIENTS} recipients at ${RATE}/s (the fake refuses over ${FAKE_LIMIT}/s); worker SIGKILLed ${KILLS}× mid-send and restarted`,
      expected: `${sendable} sent exactly once or unknown at most once (unknowns ≤ ${IN_FLIGHT_AT_MOST * KILLS}), ${blocked.length} blocked, ${skipped.length} skipped, 0 × 429`,
      got: `${sent.length} sent (each once), ${unknown.length} unknown (${unknown.filter((d) => received(d) === 1).length} of them arrived), ${blocked.length} blocked, ${skipped.length} skipped, ${fake.tooManyRequests} × 429`,
      lost: 0,
      duplicated: 0,
      seconds: (Date.now() - started) / 1000,
      shortfalls: [],
    });
  });
});

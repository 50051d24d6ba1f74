/**
 * Records the event histories that the replay test replays (test/histories/*.json).
 * Run after a deliberate, patched change to a workflow:  npx tsx scripts/record-histories.ts
 * It drives each workflow through its paths on the time-skipping server with the fake Telegram
 * server and the test database, then saves each history as JSON.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { Api } from 'grammy';
import pino from 'pino';
import { createActivities } from '../activities';
import { LeadConversations } from '../bot/lead-conversations';
import { createDb, ensureDatabase, migrateLatest } from '../db/knex';
import { FakeTelegramServer } from '../test/fakes/telegram-server';
import { TEST_DATABASE_URL } from '../test/support/paths';
import { press, text } from '../test/support/updates';
import { leadWorkflowId } from '../workflows/lead-conversation/contract';
import { temporalTestServerPath } from './temporal-binaries';

const TOKEN = '123456:RECORDING-token-for-the-fake-server';
const OUT_DIR = join(__dirname, '..', 'test', 'histories');

async function main(): Promise<void> {
  await ensureDatabase(TEST_DATABASE_URL);
  const db = createDb(TEST_DATABASE_URL);
  await migrateLatest(db);
  const fake = await FakeTelegramServer.start({ token: TOKEN });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
  });
  const logger = pino({ level: 'silent' });
  const taskQueue = 'record-histories';
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities({ db, logger, api: new Api(TOKEN, { apiRoot: fake.apiRoot }), managersChatId: -100 }),
  });
  const lead = { id: 990_000_000 + Math.floor(Math.random() * 1000), first_name: 'Replay', language_code: 'ru' };
  const conversations = new LeadConversations(env.client, taskQueue, logger);
  const sentCount = () => fake.callsTo('sendMessage', lead.id).length;

  await worker.runUntil(async () => {
    const steps: [() => ReturnType<typeof text>, number][] = [
      [() => text(lead, '/start replay'), 1],
      [() => press(lead, 'greeting:bonus'), 1],
      [() => press(lead, 'opening:manage_money'), 3],
      [() => text(lead, 'сколько стоит обучение?'), 4],
      [() => press(lead, 'greeting:bonus'), 6], // stale
      [() => text(lead, '/reset'), 7],
      [() => press(lead, 'sys:reset_yes'), 9],
    ];
    for (const [event, expectedSends] of steps) {
      await conversations.deliver(event());
      if (expectedSends === 1 && sentCount() === 1) await env.sleep('3s'); // the bonus timer
      await fake.waitFor(() => sentCount() >= expectedSends, 20_000);
    }
    const history = await env.client.workflow.getHandle(leadWorkflowId(lead.id)).fetchHistory();
    const file = join(OUT_DIR, 'lead-conversation-journey.json');
    // protobufjs's own JSON form: the SDK's historyToJSON trips over two copies of protobufjs
    // in this dependency tree; the replay test reads it back with History.fromObject.
    writeFileSync(file, `${JSON.stringify(history, null, 1)}\n`);
    console.log(`recorded ${history.events?.length} events to ${file}`);
  });
  await env.teardown();
  await fake.stop();
  await db.destroy();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

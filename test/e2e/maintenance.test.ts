import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Api } from 'grammy';
import pino from 'pino';
import { createActivities } from '../../activities';
import type { Db } from '../../db/knex';
import { upsertLead } from '../../db/leads';
import { startDevServer, type DevServer } from '../../scripts/dev-server';
import { temporalCliPath } from '../../scripts/temporal-binaries';
import { ensureMaintenanceSchedules } from '../../worker/schedules';
import { CLEANUP_SCHEDULE_ID, DIGEST_SCHEDULE_ID } from '../../workflows/maintenance/contract';
import { FakeTelegramServer } from '../fakes/telegram-server';
import { testDb, uniqueUserId } from '../support/db';
import { WORKFLOW_BUNDLE_PATH } from '../support/paths';
import { quietRuntime } from '../support/temporal';

const TOKEN = '123456:MAINTENANCE-token-for-the-fake';
const MANAGERS = -100321;
const logger = pino({ level: 'silent' });
jest.setTimeout(120_000);

let devServer: DevServer;
let fake: FakeTelegramServer;
let db: Db;
let client: Client;
let connection: Connection;

beforeAll(async () => {
  quietRuntime();
  [devServer, fake] = await Promise.all([startDevServer({ cliPath: temporalCliPath() }), FakeTelegramServer.start({ token: TOKEN })]);
  db = testDb();
  connection = await Connection.connect({ address: devServer.address });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection?.close();
  await Promise.all([devServer?.stop(), fake?.stop(), db?.destroy()]);
});

/** Schedules need the real server (the time-skipping one has none): create them, trigger them, read what they did. */
describe('maintenance Schedules on the dev server', () => {
  it('are created once (idempotent), and the digest and the cleanup do their work when triggered', async () => {
    const taskQueue = `maintenance-${Date.now()}`;
    await ensureMaintenanceSchedules(client, { taskQueue, timeZone: 'Europe/Moscow' }, logger);
    await ensureMaintenanceSchedules(client, { taskQueue, timeZone: 'Europe/Moscow' }, logger); // a second worker start
    const digest = await client.schedule.getHandle(DIGEST_SCHEDULE_ID).describe();
    expect(digest.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 9, end: 9, step: 1 }] });
    expect(digest.spec.timezone).toBe('Europe/Moscow');
    expect(digest.policies.catchupWindow).toBe(86_400_000);

    // Handoffs as the handoff workflow leaves them: one waiting, one taken, one closed by the timeout untaken
    // 2 hours ago and one 30 hours ago (outside the last 24 hours).
    const handoff = (leadId: number, row: Record<string, unknown>) =>
      db('handoffs').insert({ workflow_id: `handoff-${leadId}-maintenance`, lead_id: leadId, trigger: 'manager_requested', priority: 70, ...row });
    const waiting = await upsertLead(db, { id: uniqueUserId(), firstName: 'Ждущий', username: 'waits' }, 1);
    // Waiting 90.5 minutes at the run's scheduled time (whole seconds, a few seconds from now): "1 ч 30 мин".
    await handoff(waiting.id, { status: 'waiting', created_at: db.raw(`now() - interval '90 minutes 30 seconds'`) });
    const taken = await upsertLead(db, { id: uniqueUserId(), firstName: 'Взятый' }, 1);
    await handoff(taken.id, { status: 'taken', priority: 100, manager_telegram_id: 777, created_at: db.raw(`now() - interval '2 hours'`), taken_at: db.raw(`now() - interval '1 hour'`) });
    const missed = await upsertLead(db, { id: uniqueUserId(), firstName: 'Пропущенный', username: 'missed' }, 1);
    await handoff(missed.id, {
      status: 'closed',
      outcome: 'timeout',
      trigger: 'purchase_intent',
      priority: 90,
      created_at: db.raw(`now() - interval '26 hours'`),
      closed_at: db.raw(`now() - interval '2 hours'`),
    });
    const old = await upsertLead(db, { id: uniqueUserId(), firstName: 'Вчерашний' }, 1);
    await handoff(old.id, { status: 'closed', outcome: 'timeout', created_at: db.raw(`now() - interval '54 hours'`), closed_at: db.raw(`now() - interval '30 hours'`) });
    const oldCall = await db('llm_calls')
      .insert({ lead_id: waiting.id, purpose: 'reply', model: 'm', outcome: 'ok', fallback: false, created_at: db.raw(`now() - interval '400 days'`) })
      .returning('id');
    const freshCall = await db('llm_calls').insert({ lead_id: waiting.id, purpose: 'reply', model: 'm', outcome: 'ok', fallback: false }).returning('id');
    // Updates the anti-spam guard dropped (deleted before the model calls, so waiting for those covers them).
    const droppedUpdate = (updateId: number, daysAgo: number) =>
      db('dropped_updates').insert({ telegram_user_id: waiting.telegram_user_id, update_id: updateId, reason: 'muted', update: {}, created_at: db.raw(`now() - make_interval(days => ?)`, [daysAgo]) });
    const oldUpdateId = Number(waiting.telegram_user_id) * 10 + 1;
    await droppedUpdate(oldUpdateId, 400);
    await droppedUpdate(oldUpdateId + 1, 1);

    const nativeConnection = await NativeConnection.connect({ address: devServer.address });
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH },
      activities: createActivities({ db, logger, api: new Api(TOKEN, { apiRoot: fake.apiRoot }), managersChatId: MANAGERS, retention: { days: 365 } }),
    });
    await worker.runUntil(async () => {
      await client.schedule.getHandle(DIGEST_SCHEDULE_ID).trigger();
      await client.schedule.getHandle(CLEANUP_SCHEDULE_ID).trigger();
      await fake.waitFor(() => fake.callsTo('sendMessage', MANAGERS).some((c) => String(c.params.text).startsWith('📋')), 30_000);
      for (let i = 0; i < 150 && (await db('llm_calls').where({ id: oldCall[0].id }).first()); i++) await new Promise((r) => setTimeout(r, 100));
    });
    await nativeConnection.close();

    const digestText = String(fake.callsTo('sendMessage', MANAGERS).find((c) => String(c.params.text).startsWith('📋'))?.params.text);
    const missedLine = `Пропущенный @missed (id ${missed.telegram_user_id}): purchase_intent, приоритет 90, не взят, закрыт по тайм-ауту`;
    const waitingLine = `Ждущий @waits (id ${waiting.telegram_user_id}): manager_requested, приоритет 70, ждёт 1 ч 30 мин`;
    expect(digestText).toMatch(/^📋 Лиды, не взятые менеджером: \d+\n\n1\. /);
    expect(digestText).toContain(missedLine);
    expect(digestText).toContain(waitingLine);
    expect(digestText.indexOf(missedLine)).toBeLessThan(digestText.indexOf(waitingLine)); // higher priority first
    expect(digestText).not.toContain('Взятый'); // a manager took it
    expect(digestText).not.toContain('Вчерашний'); // timed out more than 24 hours ago
    expect(await db('llm_calls').where({ id: oldCall[0].id }).first()).toBeUndefined();
    expect(await db('llm_calls').where({ id: freshCall[0].id }).first()).toBeDefined();
    expect((await db('dropped_updates').where({ telegram_user_id: waiting.telegram_user_id })).map((r) => Number(r.update_id))).toEqual([oldUpdateId + 1]);
  });
});

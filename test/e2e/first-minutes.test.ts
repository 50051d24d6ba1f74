import { execFileSync } from 'node:child_process';
import type { Db } from '../../db/knex';
import { freePort, startDevServer, type DevServer } from '../../scripts/dev-server';
import { temporalCliPath } from '../../scripts/temporal-binaries';
import { FakeTelegramServer } from '../fakes/telegram-server';
import { leadRows, testDb, uniqueUserId } from '../support/db';
import { TEST_DATABASE_URL } from '../support/paths';
import { startApp, waitForHttp, type AppProcess } from '../support/processes';

const TOKEN = '654321:E2E-token-for-the-fake-bot-api';
// Bounds against a hang, not waits: a loaded machine may take a minute to start the process and its first workflow.
jest.setTimeout(600_000);

let devServer: DevServer;
let fake: FakeTelegramServer;
let db: Db;
let app: AppProcess | undefined;
let env: Record<string, string>;
let apiPort: number;
let workerHealthPort: number;
let workerMetricsPort: number;

beforeAll(async () => {
  [devServer, fake] = await Promise.all([
    startDevServer({ cliPath: temporalCliPath() }),
    FakeTelegramServer.start({ token: TOKEN }),
  ]);
  db = testDb();
  [apiPort, workerHealthPort, workerMetricsPort] = [await freePort(), await freePort(), await freePort()];
  env = {
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: fake.apiRoot,
    TEMPORAL_ADDRESS: devServer.address,
    TEMPORAL_TASK_QUEUE: `e2e-${Date.now()}`,
    DATABASE_URL: TEST_DATABASE_URL,
    API_PORT: String(apiPort),
    WORKER_HEALTH_PORT: String(workerHealthPort),
    WORKER_METRICS_ADDRESS: `127.0.0.1:${workerMetricsPort}`,
    MANAGERS_CHAT_ID: '-100999',
    LOG_LEVEL: 'warn',
    OPENAI_API_KEY: '', // never the real model from a developer's shell
  };
});

afterAll(async () => {
  await app?.kill();
  await Promise.all([devServer?.stop(), fake?.stop(), db?.destroy()]);
});

async function startProcess(): Promise<AppProcess> {
  const started = startApp(['start'], env);
  await waitForHttp(`http://127.0.0.1:${apiPort}/health`, started);
  return started;
}

describe('the whole system in one process, on the dev server', () => {
  it('/start → greeting → bonus → (process killed) → opening question exactly once, all in Postgres', async () => {
    const lead = { id: uniqueUserId(), first_name: 'Ivan', username: 'ivan_e2e', language_code: 'ru' };
    const sends = (method: string) => fake.callsTo(method, lead.id);
    app = await startProcess();

    fake.pushText(lead, '/start e2e_source');
    await fake.waitFor(() => sends('sendMessage').length === 1, 120_000);
    const greeting = sends('sendMessage')[0];
    expect(greeting.params.text).toContain('Здравствуйте, Ivan!');
    const bonusButton = (greeting.params.reply_markup as { inline_keyboard: { callback_data: string }[][] }).inline_keyboard[0][0];
    const greetingId = (greeting.result as { message_id: number }).message_id;

    fake.pushCallback(lead, bonusButton.callback_data, { message_id: greetingId });
    await fake.waitFor(() => sends('sendDocument').length === 1, 120_000);
    await app.kill(); // mid-conversation: the 3-second timer is pending, no worker is left
    expect(sends('sendMessage')).toHaveLength(1);
    expect(fake.callsTo('answerCallbackQuery')).toHaveLength(1);

    app = await startProcess();
    // If the kill cut the bonus's send off before its outcome was logged, the retry (after the
    // activity's 30-second timeout) sends it again before the 3-second timer starts.
    await fake.waitFor(() => sends('sendMessage').length === 2, 120_000);
    expect(String(sends('sendMessage')[1].params.text)).toContain('управлять своими деньгами');

    // Nothing arrives twice. The conversation handles its inbox in order, each step after the previous
    // one's sends finished: once the answer to a later message is out, a redelivered update or a retried
    // send from before the kill would already have shown up.
    fake.pushText(lead, 'как начать?');
    await fake.waitFor(() => sends('sendMessage').length >= 3, 120_000);
    fake.pushText(lead, 'расскажите подробнее');
    await fake.waitFor(() => sends('sendMessage').length >= 4, 120_000);
    expect(sends('sendMessage')).toHaveLength(4);
    expect(new Set(sends('sendMessage').map((c) => c.params.text)).size).toBeGreaterThanOrEqual(3);
    expect(fake.callsTo('answerCallbackQuery')).toHaveLength(1);

    const { lead: row, messages, events } = await leadRows(db, lead.id);
    // The bonus went out once, or twice when the kill cut its send off between Telegram taking it and
    // the log hearing so (Telegram's API cannot tell; a second copy beats a lead stuck without it):
    // then its row says it was sent again.
    const resentBonus = messages.filter((m) => m.direction === 'out' && m.payload?.resentAfterCutOff).length;
    expect(resentBonus).toBeLessThanOrEqual(1);
    expect(sends('sendDocument')).toHaveLength(1 + resentBonus);
    expect(row).toMatchObject({ source: 'e2e_source', first_name: 'Ivan' });
    expect(messages.filter((m) => m.direction === 'in')).toHaveLength(4);
    // Each logged once, and sent.
    const outbound = messages.filter((m) => m.direction === 'out').map((m) => m.status);
    expect(outbound).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
    // The free question found no keyword and no model key: the templated answer, recorded as a fallback.
    expect(events.map((e) => [e.type, e.payload.reason])).toEqual([['greeted', undefined], ['bonus_taken', undefined], ['llm_fallback', 'no_key'], ['llm_fallback', 'no_key']]);

    // What an operator sees with the installed CLI: the conversation is a running workflow.
    const described = execFileSync(temporalCliPath(), ['workflow', 'describe', '--address', devServer.address, '-w', `lead-${lead.id}`, '-o', 'json']).toString();
    expect(JSON.parse(described).workflowExecutionInfo.status).toMatch(/RUNNING/);

    const health = await fetch(`http://127.0.0.1:${apiPort}/health`).then((r) => r.json());
    expect(health).toEqual({ status: 'ok' });
    // The worker's own health check and Temporal's worker metrics, for a deployment's probes and Prometheus.
    expect((await fetch(`http://127.0.0.1:${workerHealthPort}/health`)).status).toBe(200);
    const metrics = await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^temporal_workflow_completed|^temporal_activity_execution_latency|^temporal_num_pollers/m);
    const code = await app.terminate();
    if (code !== 0) console.log(app.output());
    expect(code).toBe(0); // SIGTERM shuts down cleanly
    expect(app.output()).not.toContain(TOKEN.split(':')[1]); // whatever the process logged
    app = undefined;
  });
});

/**
 * Benchmark of reply latency (issue 23, section 1), not part of the test suite. In one run, against
 * the fake Bot API (test/fakes/telegram-server.ts, in this process: it stands in for Telegram and only
 * hands out updates and records answers):
 *  - ours: `main.ts start` (worker, bot and api in one process, like `npm start`) on a Temporal dev
 *    server, through long polling and through the webhook;
 *  - the floor: a plain grammY bot answering /help with one message (bench-latency-floor.ts).
 * BENCH_LEADS leads with live conversations (each sent /start first) send `/help` in turn at each rate
 * of BENCH_RATES for BENCH_SECONDS. Printed per rate: the time from the update being available (handed
 * to a waiting getUpdates, or POSTed to the webhook) to the first answer in that chat, p50/p95/p99, and
 * the updates still unanswered 10 s after the load. The steps stop after the first rate whose p95
 * passes 1 s: the ceiling. Then, from the Temporal histories of a sample, where an update's time goes.
 *
 *   npm run bench:latency
 *   BENCH_RATES=20,35,50,100,150,200 BENCH_SECONDS=15 BENCH_LEADS=200
 *   BENCH_MODES=polling,webhook      BENCH_FLOOR=0 (ours only)
 *   BENCH_PORT=7600                  first of four ports (dev server, fake, api, floor webhook)
 *   BENCH_DATABASE_URL=…             scratch database (created, then dropped)
 *   BENCH_CPU_PROF=dir               run ours under node --cpu-prof, profiles written to dir
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { createDb, dropDatabase, ensureDatabase, migrateLatest, type Db } from '../db/knex';
import { FakeTelegramServer } from '../test/fakes/telegram-server';
import { leadWorkflowId } from '../workflows/lead-conversation/contract';
import { startDevServer } from './dev-server';
import { temporalCliPath } from './temporal-binaries';

const LEADS = Number(process.env.BENCH_LEADS ?? 200);
const RATES = (process.env.BENCH_RATES ?? '20,35,50,100,150,200').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const MODES = (process.env.BENCH_MODES ?? 'polling,webhook').split(',') as Mode[];
const WITH_FLOOR = process.env.BENCH_FLOOR !== '0';
const PORT = Number(process.env.BENCH_PORT ?? 7600);
const CPU_PROF = process.env.BENCH_CPU_PROF;
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/sales_bench_perf';
const TOKEN = '434343:BENCH-latency-token-for-the-fake';
const SECRET = 'bench-latency-webhook-secret';
const FIRST_USER = 3_000_000_000;
/** Updates still unanswered this long after the last one of a step are counted as unanswered. */
const GRACE_MS = 10_000;
const CEILING_P95_MS = 1000;
const ROOT = join(__dirname, '..');

type Mode = 'polling' | 'webhook';

interface Pushed {
  chatId: number;
  updateId: number;
  at: number;
}

interface StepFigures {
  rate: number;
  sent: number;
  p50: number;
  p95: number;
  p99: number;
  unanswered: number;
  /** Postgres transactions committed per update (every statement outside a transaction is one). */
  dbPerUpdate?: number;
  /** CPU milliseconds per update spent by each process of the system (ours, the dev server, Postgres). */
  cpuPerUpdate?: Record<string, number>;
}

/** Where updates come from and answers go: one fake Bot API per system under test. */
class Harness {
  private nextUser = 0;
  readonly pushed: Pushed[] = [];

  constructor(
    readonly fake: FakeTelegramServer,
    private readonly mode: Mode,
    private readonly webhookUrl?: string,
  ) {}

  /** Makes an update available: queued for the waiting getUpdates, or POSTed to the webhook (not awaited). */
  send(chatId: number, text: string): Pushed {
    const updateId = this.fake.pushText({ id: chatId, first_name: 'Lead', language_code: 'en' }, text);
    const pushed = { chatId, updateId, at: Date.now() };
    if (this.mode === 'webhook' && this.webhookUrl) {
      fetch(this.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
        body: JSON.stringify(this.fake.pushedUpdate(updateId)),
      })
        .then(async (res) => { if (res.status !== 200 && process.env.BENCH_DEBUG) console.log(res.status, await res.text()); })
        .catch(() => undefined);
    }
    return pushed;
  }

  /** Times of the messages each chat received, in order. */
  answers(): Map<number, number[]> {
    const byChat = new Map<number, number[]>();
    for (const call of this.fake.calls) {
      if (!call.method.startsWith('send') || call.result === undefined || typeof call.params.chat_id !== 'number') continue;
      const list = byChat.get(call.params.chat_id) ?? [];
      list.push(call.at);
      byChat.set(call.params.chat_id, list);
    }
    return byChat;
  }

  lead(i: number): number {
    // Leads of each mode are their own: the conversations the polling run started stay on its task
    // queue, which nobody polls once that run's process stopped, so the webhook run must not signal them.
    return FIRST_USER + MODES.indexOf(this.mode) * 1_000_000 + i;
  }

  nextLead(): number {
    return this.lead(this.nextUser++ % LEADS);
  }
}

async function main(): Promise<void> {
  const [load1] = loadavg();
  console.log(
    `latency benchmark: ${LEADS} leads sending /help, ${SECONDS} s per rate, rates ${RATES.join(', ')}/s; ` +
      `machine: ${cpus().length} cores, load average ${load1.toFixed(2)} at the start; ${new Date().toISOString()}`,
  );
  const devServer = await startDevServer({ cliPath: temporalCliPath(), port: PORT });
  const connection = await Connection.connect({ address: devServer.address });
  const client = new Client({ connection });
  try {
    for (const mode of MODES) {
      const ours = await runOurs(mode, client, devServer.address);
      const floor = WITH_FLOOR ? await runFloor(mode) : undefined;
      printTable(`${mode}`, ours.steps, floor);
      if (ours.breakdown) console.log(ours.breakdown);
    }
  } finally {
    await connection.close();
    await devServer.stop();
  }
}

async function runOurs(mode: Mode, client: Client, temporalAddress: string): Promise<{ steps: StepFigures[]; breakdown?: string }> {
  await dropDatabase(DATABASE_URL);
  await ensureDatabase(DATABASE_URL);
  const db = createDb(DATABASE_URL);
  await migrateLatest(db);
  const fake = await FakeTelegramServer.start({ token: TOKEN, port: PORT + 1 });
  const taskQueue = `bench-latency-${mode}-${Date.now()}`;
  const apiPort = PORT + 2;
  const harness = new Harness(fake, mode, `http://127.0.0.1:${apiPort}/telegram/webhook`);
  const system = spawnNode(['main.ts', 'start'], {
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: fake.apiRoot,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL,
    API_PORT: String(apiPort),
    LOG_LEVEL: 'warn',
    OPENAI_API_KEY: '',
    // Owners configured, as in production: the bot's staff checks then ask Postgres about every sender.
    ADMIN_TELEGRAM_IDS: '1000001',
    ...(mode === 'webhook' && { TELEGRAM_WEBHOOK_URL: `https://127.0.0.1:${apiPort}`, TELEGRAM_WEBHOOK_SECRET: SECRET }),
  }, CPU_PROF ? [`--cpu-prof`, `--cpu-prof-dir=${CPU_PROF}`] : []);
  try {
    await fake.waitFor(() => fake.callsTo(mode === 'webhook' ? 'setWebhook' : 'getUpdates').length > 0, 120_000);
    if (mode === 'webhook') await waitForHttp(`http://127.0.0.1:${apiPort}/health`);
    await warmUp(harness);
    const steps = await runSteps(harness, db, system.pid);
    const breakdown = [await timeBreakdown(client, harness), await roundTrips(client, db)].filter(Boolean).join('\n');
    return { steps, breakdown };
  } finally {
    await stop(system);
    await fake.stop();
    await db.destroy();
  }
}

async function runFloor(mode: Mode): Promise<StepFigures[]> {
  const fake = await FakeTelegramServer.start({ token: TOKEN, port: PORT + 1 });
  const harness = new Harness(fake, mode, `http://127.0.0.1:${PORT + 3}/`);
  const floor = fork(join(__dirname, 'bench-latency-floor.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_TOKEN: TOKEN, BENCH_API_ROOT: fake.apiRoot, BENCH_MODE: mode, BENCH_PORT: String(PORT + 3) },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      floor.once('message', () => resolve());
      floor.once('exit', (code) => reject(new Error(`the floor bot exited with ${code}`)));
    });
    await warmUp(harness);
    return await runSteps(harness);
  } finally {
    await stop(floor);
    await fake.stop();
  }
}

/** Every lead starts its conversation (/start), so the measured /help lands in a live one. */
async function warmUp(harness: Harness): Promise<void> {
  for (let i = 0; i < LEADS; i++) {
    harness.send(harness.lead(i), '/start');
    await sleep(1000 / 40);
  }
  const unanswered = () => {
    const answers = harness.answers();
    return Array.from({ length: LEADS }, (_, i) => harness.lead(i)).filter((lead) => !answers.get(lead)?.length).length;
  };
  // A greeting whose outcome was unknown (a send cut off on a loaded machine) is never repeated: its
  // lead's later /help are still answered, so the warm-up does not wait for it forever.
  await harness.fake.waitFor(() => unanswered() === 0, 180_000).catch(() => undefined);
  await quiet(harness);
  if (unanswered() > 0) console.log(`  (${unanswered()} of ${LEADS} /start greetings never arrived)`);
}

/** Waits until no message has gone out for 1.5 s (the last replies of the previous load are in). */
async function quiet(harness: Harness): Promise<void> {
  for (;;) {
    const before = harness.fake.calls.length;
    await sleep(1500);
    const sends = harness.fake.calls.slice(before).filter((c) => c.method.startsWith('send'));
    if (sends.length === 0) return;
  }
}

async function runSteps(harness: Harness, db?: Db, systemPid?: number): Promise<StepFigures[]> {
  const steps: StepFigures[] = [];
  for (const rate of RATES) {
    const committedBefore = db && (await transactions(db));
    const cpuBefore = systemPid ? systemCpu(systemPid) : undefined;
    const step: Pushed[] = [];
    const started = Date.now();
    const total = Math.round(rate * SECONDS);
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rate;
      if (due > Date.now()) await sleep(due - Date.now());
      // Numbered: the same text five times within 30 s is the anti-spam's `duplicates` rule, which from
      // 50/s on muted every lead (docs/protection.md#anti-spam); /help answers with or without it.
      step.push(harness.send(harness.nextLead(), `/help ${harness.pushed.length + i}`));
    }
    const last = step[step.length - 1].at;
    await harness.fake.waitFor(() => latencies(harness, step).unanswered === 0, GRACE_MS).catch(() => undefined);
    const waited = Date.now() - last;
    if (waited < GRACE_MS && latencies(harness, step).unanswered > 0) await sleep(GRACE_MS - waited);
    const { sorted, unanswered } = latencies(harness, step, last + GRACE_MS);
    harness.pushed.push(...step);
    const figures: StepFigures = { rate, sent: step.length, p50: pct(sorted, 0.5), p95: pct(sorted, 0.95), p99: pct(sorted, 0.99), unanswered };
    if (db && committedBefore !== undefined) figures.dbPerUpdate = ((await transactions(db)) - committedBefore) / step.length;
    if (cpuBefore && systemPid) {
      const after = systemCpu(systemPid);
      figures.cpuPerUpdate = Object.fromEntries(Object.entries(after).map(([name, msUsed]) => [name, (msUsed - (cpuBefore[name] ?? 0)) / step.length]));
    }
    steps.push(figures);
    const cpu = figures.cpuPerUpdate ? `; CPU per update: ${Object.entries(figures.cpuPerUpdate).map(([name, used]) => `${name} ${used.toFixed(1)} ms`).join(', ')}` : '';
    console.log(`  ${rate}/s: p50 ${ms(figures.p50)}, p95 ${ms(figures.p95)}, p99 ${ms(figures.p99)}, unanswered ${unanswered} of ${step.length} (load ${loadavg()[0].toFixed(2)})${cpu}`);
    await quiet(harness);
    if (figures.p95 > CEILING_P95_MS || unanswered > step.length / 10) break;
  }
  return steps;
}

/**
 * The time from each update to the first message its chat received after it. A chat's answers come
 * in order, so the n-th /help of a chat is paired with the first message after it that is not
 * earlier than the previous /help's answer.
 */
function latencies(harness: Harness, step: Pushed[], until = Number.POSITIVE_INFINITY): { sorted: number[]; unanswered: number } {
  const answers = harness.answers();
  const values: number[] = [];
  let unanswered = 0;
  const usedUpTo = new Map<number, number>();
  for (const pushed of step) {
    const list = answers.get(pushed.chatId) ?? [];
    const floor = Math.max(pushed.at, usedUpTo.get(pushed.chatId) ?? 0);
    const answer = list.find((at) => at >= floor && at <= until);
    if (answer === undefined) {
      unanswered += 1;
      continue;
    }
    usedUpTo.set(pushed.chatId, answer + 1);
    values.push(answer - pushed.at);
  }
  return { sorted: values.sort((a, b) => a - b), unanswered };
}

/**
 * Where an update's time goes, from the Temporal histories of a sample of the last step's chats:
 * bot (update available → signal recorded by the server: polling, middleware, signalWithStart),
 * the workflow task's wait and run, its start → the answer reaching the fake (a local send runs
 * inside it), and, when the answer came from an activity task, that activity's wait and run.
 */
async function timeBreakdown(client: Client, harness: Harness): Promise<string | undefined> {
  const sample = harness.pushed.slice(-400).filter((_, i) => i % 8 === 0);
  const spans: Record<string, number[]> = { bot: [], workflowTaskWait: [], workflowTaskRun: [], workflowTaskStartToAnswer: [], activityWait: [], activityToSend: [], total: [] };
  /** Per update, until the chat's next update arrived: the workflow tasks completed and the activities scheduled. */
  const counts = { workflowTasks: [] as number[], activities: [] as number[] };
  const answers = harness.answers();
  for (const pushed of sample) {
    const history = await client.workflow.getHandle(leadWorkflowId(pushed.chatId)).fetchHistory().catch(() => undefined);
    const events = history?.events ?? [];
    const time = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
    const signalIndex = events.findIndex((e) => {
      const payload = e.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0];
      return payload && (defaultPayloadConverter.fromPayload(payload) as { updateId?: number }).updateId === pushed.updateId;
    });
    if (signalIndex < 0) continue;
    const nextSignal = events.findIndex((e, i) => i > signalIndex && e.workflowExecutionSignaledEventAttributes);
    const handling = events.slice(signalIndex, nextSignal < 0 ? events.length : nextSignal);
    counts.workflowTasks.push(handling.filter((e) => e.workflowTaskCompletedEventAttributes).length);
    counts.activities.push(handling.filter((e) => e.activityTaskScheduledEventAttributes).length);
    const after = events.slice(signalIndex);
    const wtScheduled = after.find((e) => e.workflowTaskScheduledEventAttributes);
    const wtStarted = after.find((e) => e.workflowTaskStartedEventAttributes);
    const wtCompleted = after.find((e) => e.workflowTaskCompletedEventAttributes);
    const actScheduled = after.find((e) => e.activityTaskScheduledEventAttributes);
    const actStarted = after.find((e) => e.activityTaskStartedEventAttributes);
    const answer = (answers.get(pushed.chatId) ?? []).find((at) => at >= pushed.at);
    if (!wtStarted || !wtCompleted || !answer) continue;
    const signalAt = time(events[signalIndex]);
    spans.bot.push(signalAt - pushed.at);
    spans.workflowTaskWait.push(time(wtStarted) - Math.max(signalAt, wtScheduled ? time(wtScheduled) : signalAt));
    spans.workflowTaskRun.push(time(wtCompleted) - time(wtStarted));
    spans.workflowTaskStartToAnswer.push(answer - time(wtStarted));
    // A reply sent by a local activity (patch reply-sent-locally) has no activity task: its send is inside the workflow task.
    if (actScheduled && actStarted && time(actScheduled) <= answer) {
      spans.activityWait.push(time(actStarted) - time(actScheduled));
      spans.activityToSend.push(answer - time(actStarted));
    }
    spans.total.push(answer - pushed.at);
  }
  if (!spans.total.length) return undefined;
  const lines = Object.entries(spans).filter(([, values]) => values.length > 0).map(([name, values]) => {
    const sorted = values.sort((a, b) => a - b);
    return `    ${name.padEnd(25)} p50 ${ms(pct(sorted, 0.5)).padStart(7)}  p95 ${ms(pct(sorted, 0.95)).padStart(7)}`;
  });
  const mean = (values: number[]) => (values.reduce((a, b) => a + b, 0) / values.length).toFixed(1);
  const shape = `    per update: ${mean(counts.workflowTasks)} workflow tasks, ${mean(counts.activities)} activities (means)`;
  return [`  where the time goes (${spans.total.length} updates of the last step, from their Temporal histories):`, ...lines, shape].join('\n');
}

/**
 * The bot's share of "bot" above, measured alone while the system under test still runs (same load):
 * one Postgres statement (the bot makes 6 for a lead's command, 9 for a text: the round-trip test)
 * and one signalWithStart to the same dev server.
 */
async function roundTrips(client: Client, db: Db): Promise<string> {
  const timed = async (times: number, work: (i: number) => Promise<unknown>) => {
    const values: number[] = [];
    for (let i = 0; i < times; i++) {
      const started = performance.now();
      await work(i);
      values.push(performance.now() - started);
    }
    return values.sort((a, b) => a - b);
  };
  const statement = await timed(50, () => db.raw('select 1'));
  const queue = `bench-latency-nobody-${Date.now()}`;
  const signal = await timed(30, (i) =>
    client.workflow.signalWithStart('leadConversationWorkflow', { workflowId: `bench-round-trip-${queue}-${i % 3}`, taskQueue: queue, args: [{}], signal: 'inbound', signalArgs: [{}] }),
  );
  for (let i = 0; i < 3; i++) await client.workflow.getHandle(`bench-round-trip-${queue}-${i}`).terminate('bench').catch(() => undefined);
  const fine = (value: number) => `${value.toFixed(1)} ms`.padStart(8);
  const line = (name: string, values: number[]) => `    ${name.padEnd(25)} p50 ${fine(pct(values, 0.5))}  p95 ${fine(pct(values, 0.95))}`;
  return [`  round trips alone, after the steps (load ${loadavg()[0].toFixed(2)}):`, line('postgres statement', statement), line('signalWithStart', signal)].join('\n');
}

function printTable(title: string, ours: StepFigures[], floor?: StepFigures[]): void {
  const row = (f: StepFigures) => `${ms(f.p50)} | ${ms(f.p95)} | ${ms(f.p99)} | ${f.unanswered} of ${f.sent}`;
  console.log(`\n${title}: time from the update to the first answer (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${cpus().length} cores)`);
  console.log(`| rate | ours p50 | p95 | p99 | unanswered | db tx/update | plain grammY p50 | p95 | p99 | unanswered |`);
  console.log(`|---|---|---|---|---|---|---|---|---|---|`);
  for (const rate of RATES) {
    const o = ours.find((f) => f.rate === rate);
    const f = floor?.find((x) => x.rate === rate);
    if (!o && !f) continue;
    console.log(`| ${rate}/s | ${o ? row(o) : '— | — | — | —'} | ${o?.dbPerUpdate?.toFixed(1) ?? '—'} | ${f ? row(f) : '— | — | — | —'} |`);
  }
  const ceiling = (steps: StepFigures[]) => steps.find((s) => s.p95 > CEILING_P95_MS)?.rate;
  const said = (steps: StepFigures[] | undefined) => {
    if (!steps) return 'not run';
    const c = ceiling(steps);
    return c ? `p95 passes 1 s at ${c}/s` : `p95 under 1 s up to ${steps[steps.length - 1]?.rate}/s (the highest rate run)`;
  };
  console.log(`ceiling: ours ${said(ours)}; plain grammY ${said(floor)}`);
}

async function transactions(db: Db): Promise<number> {
  const { rows } = await db.raw<{ rows: { n: string }[] }>('select xact_commit::text as n from pg_stat_database where datname = current_database()');
  // The statistics are flushed by each backend about once a second.
  return Number(rows[0]?.n ?? 0);
}

/**
 * CPU time (ms) used so far by our system's process, the Temporal dev server and the Postgres
 * backends serving the benchmark's database (from /proc: other sessions' backends are not counted).
 */
function systemCpu(systemPid: number): Record<string, number> {
  const used: Record<string, number> = { ours: 0, 'dev server': 0, postgres: 0 };
  const database = new URL(DATABASE_URL).pathname.slice(1);
  const tick = 1000 / 100; // USER_HZ
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const name = Number(entry) === systemPid ? 'ours' : cmdline.includes('start-dev') && cmdline.includes(`--port ${PORT} `) ? 'dev server' : cmdline.includes(`: postgres ${database} `) ? 'postgres' : undefined;
      if (!name) continue;
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ');
      used[name] += (Number(fields[11]) + Number(fields[12])) * tick;
    } catch {
      // the process ended meanwhile
    }
  }
  return used;
}

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

function ms(value: number): string {
  if (Number.isNaN(value)) return '—';
  return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(url).then((r) => r.status < 500, () => false);
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`${url} never answered`);
}

function spawnNode(args: string[], env: Record<string, string>, nodeFlags: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${args[0]}] ${chunk.toString()}`));
  return child;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}


const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

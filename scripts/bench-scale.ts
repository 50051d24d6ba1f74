/**
 * Benchmark of scale and bursts of new leads (issue 23, section 2), not part of the test suite.
 * One run: a Temporal dev server, a scratch database, the fake Bot API in this process (it stands in
 * for Telegram: hands out updates, records answers), and our system as production splits it:
 * `main.ts worker` and `main.ts bot` (long polling), each a process of its own so each one's memory
 * is measured alone.
 *  1. Starts: BENCH_LEADS leads send /start in bursts of BENCH_BURST, each burst pushed at once (as
 *     after an ad); printed per burst: the time until every lead of it was greeted, the rate.
 *  2. The survey: every lead sends /survey and answers its 5 questions (the first option each time),
 *     BENCH_SURVEY_CONCURRENCY leads at a time, each pressing its next answer once the question came.
 *     Every conversation is then open with a follow-up timer pending (24 h after the lead's last message).
 *  3. With all of them open: the worker's, the bot's and the dev server's RSS (now and peak), the
 *     worker's RSS per open conversation (above its RSS before the first /start), the longest
 *     workflow history (events and bytes, from the server's visibility), and a sample's pending timer.
 *
 *   npm run bench:scale                 1,000 leads (BENCH_LEADS=10000 for the issue's figure)
 *   BENCH_BURST=1000                    /starts pushed at once
 *   BENCH_SURVEY=0                      leads only /start (no survey)
 *   BENCH_SURVEY_CONCURRENCY=50         leads walking the survey at the same time
 *   BENCH_WORKER_ENV='A=1 B=2'          extra settings for the worker (e.g. TEMPORAL_MAX_CACHED_WORKFLOWS=500)
 *   BENCH_PORT=7700                     the dev server's port (the fake takes the next one)
 *   BENCH_DATABASE_URL=…                scratch database (created, then dropped)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { dropDatabase, ensureDatabase, createDb, migrateLatest } from '../db/knex';
import { FakeTelegramServer, type RecordedCall } from '../test/fakes/telegram-server';
import { leadConversationWorkflowType, leadWorkflowId } from '../workflows/lead-conversation/contract';
import { startDevServer } from './dev-server';
import { temporalCliPath } from './temporal-binaries';

const LEADS = Number(process.env.BENCH_LEADS ?? 1000);
const BURST = Number(process.env.BENCH_BURST ?? 1000);
const WITH_SURVEY = process.env.BENCH_SURVEY !== '0';
const SURVEY_CONCURRENCY = Number(process.env.BENCH_SURVEY_CONCURRENCY ?? 50);
const PORT = Number(process.env.BENCH_PORT ?? 7700);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? `postgres://postgres@127.0.0.1:5432/sales_bench_scale_${process.pid}`;
const WORKER_ENV = Object.fromEntries((process.env.BENCH_WORKER_ENV ?? '').split(/\s+/).filter(Boolean).map((kv) => kv.split('=') as [string, string]));
const TOKEN = '454545:BENCH-scale-token-for-the-fake';
const FIRST_USER = 4_000_000_000;
/** A lead whose next message did not come within this time is counted as stuck (and left behind). */
const STEP_TIMEOUT_MS = Number(process.env.BENCH_STEP_TIMEOUT_MS ?? 600_000);
const SURVEY_QUESTIONS = 5;
const ROOT = join(__dirname, '..');
const MB = 1024 * 1024;

/** What the bot sent one chat, in order (from the fake's recorded calls). */
interface Sent {
  at: number;
  text: string;
  messageId?: number;
  firstButton?: string;
}

/** Reads the fake's calls as they come, per chat, and wakes whoever waits for a chat's next message. */
class Chats {
  private cursor = 0;
  private readonly byChat = new Map<number, Sent[]>();
  private readonly waiters = new Map<number, () => void>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly fake: FakeTelegramServer) {
    this.timer = setInterval(() => this.read(), 20);
  }

  sent(chatId: number): Sent[] {
    return this.byChat.get(chatId) ?? [];
  }

  /** Resolves with the chat's first message (from `from` on) that `match` accepts; undefined on timeout. */
  async next(chatId: number, from: number, match: (sent: Sent) => boolean): Promise<Sent | undefined> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const found = this.sent(chatId).slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline) return undefined;
      await new Promise<void>((resolve) => {
        this.waiters.set(chatId, resolve);
        setTimeout(resolve, 1000);
      });
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private read(): void {
    const calls = this.fake.calls;
    for (; this.cursor < calls.length; this.cursor++) {
      const call = calls[this.cursor];
      const chatId = call.params.chat_id;
      if (!call.method.startsWith('send') || call.result === undefined || typeof chatId !== 'number') continue;
      const list = this.byChat.get(chatId) ?? [];
      list.push(sentOf(call));
      this.byChat.set(chatId, list);
      const waiter = this.waiters.get(chatId);
      if (waiter) {
        this.waiters.delete(chatId);
        waiter();
      }
    }
  }
}

function sentOf(call: RecordedCall): Sent {
  const markup = call.params.reply_markup as { inline_keyboard?: Array<Array<{ callback_data?: string }>> } | undefined;
  const firstButton = markup?.inline_keyboard?.flat().find((b) => b.callback_data)?.callback_data;
  const text = String(call.params.text ?? call.params.caption ?? '');
  return { at: call.at, text, messageId: (call.result as { message_id?: number }).message_id, firstButton };
}

interface Memory {
  rss: number;
  peak: number;
}

async function main(): Promise<void> {
  console.log(
    `scale benchmark: ${LEADS.toLocaleString('en')} leads, /start in bursts of ${BURST.toLocaleString('en')}${WITH_SURVEY ? ', then the survey' : ''}; ` +
      `machine: ${cpus().length} cores, ${Math.round(totalmem() / 1024 / MB)} GB, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${new Date().toISOString()}`,
  );
  await dropDatabase(DATABASE_URL);
  await ensureDatabase(DATABASE_URL);
  const db = createDb(DATABASE_URL);
  await migrateLatest(db);
  const devServer = await startDevServer({ cliPath: temporalCliPath(), port: PORT });
  const connection = await Connection.connect({ address: devServer.address });
  const client = new Client({ connection });
  const fake = await FakeTelegramServer.start({ token: TOKEN, port: PORT + 1 });
  const chats = new Chats(fake);
  const taskQueue = `bench-scale-${Date.now()}`;
  const env = {
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: fake.apiRoot,
    TEMPORAL_ADDRESS: devServer.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL,
    LOG_LEVEL: 'warn',
    OPENAI_API_KEY: '',
  };
  const worker = spawnNode(['main.ts', 'worker'], { ...env, ...WORKER_ENV });
  const bot = spawnNode(['main.ts', 'bot'], env);
  const devServerPid = findDevServerPid();
  try {
    await fake.waitFor(() => fake.callsTo('getUpdates').length > 0, 180_000);
    // The worker is up once it polls: a first lead greeted proves the whole path, and is not counted.
    const warmUp = FIRST_USER - 1;
    fake.pushText(lead(warmUp), '/start');
    if (!(await chats.next(warmUp, 0, () => true))) throw new Error('the warm-up lead was never greeted');
    await sleep(2000);
    const before = { worker: memory(worker.pid), bot: memory(bot.pid), devServer: memory(devServerPid) };
    console.log(`  before the first /start: worker ${mb(before.worker.rss)}, bot ${mb(before.bot.rss)}, dev server ${mb(before.devServer.rss)}`);

    const pids = { worker: worker.pid, bot: bot.pid, devServer: devServerPid };
    // 1. Bursts of /start.
    const cpuBeforeStarts = cpuUsed(pids);
    const startPhase = Date.now();
    let greetedTotal = 0;
    const burstFigures: string[] = [];
    for (let first = 0; first < LEADS; first += BURST) {
      const ids = Array.from({ length: Math.min(BURST, LEADS - first) }, (_, i) => FIRST_USER + first + i);
      const pushedAt = Date.now();
      for (const id of ids) fake.pushText(lead(id), '/start');
      const greetings = await Promise.all(ids.map((id) => chats.next(id, 0, () => true)));
      const times = greetings.filter((g): g is Sent => !!g).map((g) => g.at);
      greetedTotal += times.length;
      const seconds = (Math.max(...times) - pushedAt) / 1000;
      const w = memory(worker.pid);
      const line = `  burst ${first / BURST + 1}: ${times.length} of ${ids.length} greeted, the last after ${seconds.toFixed(1)} s = ${(times.length / seconds).toFixed(1)} new conversations/s; worker RSS ${mb(w.rss)} (load ${loadavg()[0].toFixed(2)})`;
      console.log(line);
      burstFigures.push(line);
    }
    const startSeconds = (Date.now() - startPhase) / 1000;
    const afterStarts = memory(worker.pid);
    const cpuAfterStarts = cpuUsed(pids);

    // 2. The survey.
    let surveyed = 0;
    let surveySeconds = 0;
    if (WITH_SURVEY) {
      const surveyStart = Date.now();
      let next = 0;
      const walker = async () => {
        while (next < LEADS) {
          const id = FIRST_USER + next++;
          if (await walkSurvey(fake, chats, id)) surveyed += 1;
        }
      };
      const progress = setInterval(() => console.log(`    survey: ${surveyed} of ${LEADS} done, worker RSS ${mb(memory(worker.pid).rss)} (load ${loadavg()[0].toFixed(2)})`), 60_000);
      await Promise.all(Array.from({ length: SURVEY_CONCURRENCY }, walker));
      clearInterval(progress);
      surveySeconds = (Date.now() - surveyStart) / 1000;
    }
    await quiet(fake);
    const cpuAfterSurvey = cpuUsed(pids);
    await sleep(5000);

    // 3. With every conversation open.
    const open = { worker: memory(worker.pid), bot: memory(bot.pid), devServer: memory(devServerPid) };
    const histories = await historyFigures(client, taskQueue);
    const pending = await pendingTimers(client, [FIRST_USER, FIRST_USER + Math.floor(LEADS / 2), FIRST_USER + LEADS - 1]);

    console.log(`\nscale: ${LEADS.toLocaleString('en')} leads (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${cpus().length} cores)`);
    console.log(`| figure | value |`);
    console.log(`|---|---|`);
    console.log(`| greeted | ${greetedTotal} of ${LEADS} |`);
    console.log(`| new conversations/s (all ${LEADS.toLocaleString('en')} /starts) | ${(greetedTotal / startSeconds).toFixed(1)} (${startSeconds.toFixed(0)} s) |`);
    console.log(`| CPU per new conversation (all processes) | ${cpuSince(cpuBeforeStarts, cpuAfterStarts, greetedTotal)} |`);
    console.log(`| first burst of ${Math.min(BURST, LEADS)} /starts all greeted after | ${burstFigures[0]?.match(/after ([\d.]+ s)/)?.[1] ?? '—'} |`);
    if (WITH_SURVEY) {
      const updates = LEADS * (SURVEY_QUESTIONS + 1);
      console.log(`| survey completed | ${surveyed} of ${LEADS} in ${surveySeconds.toFixed(0)} s (${(updates / Math.max(surveySeconds, 1)).toFixed(1)} updates/s) |`);
      console.log(`| CPU per survey update (all processes) | ${cpuSince(cpuAfterStarts, cpuAfterSurvey, updates)} |`);
    }
    console.log(`| worker RSS: before / after the starts / all open (peak) | ${mb(before.worker.rss)} / ${mb(afterStarts.rss)} / ${mb(open.worker.rss)} (${mb(open.worker.peak)}) |`);
    console.log(`| worker RSS per open conversation | ${(((open.worker.rss - before.worker.rss) / LEADS) / 1024).toFixed(0)} KB (peak: ${(((open.worker.peak - before.worker.rss) / LEADS) / 1024).toFixed(0)} KB) |`);
    console.log(`| bot RSS: before / all open (peak) | ${mb(before.bot.rss)} / ${mb(open.bot.rss)} (${mb(open.bot.peak)}) |`);
    console.log(`| dev server RSS: before / all open (peak) | ${mb(before.devServer.rss)} / ${mb(open.devServer.rss)} (${mb(open.devServer.peak)}) |`);
    console.log(`| history per workflow: max events / max size / mean size | ${histories.maxEvents} / ${(histories.maxBytes / 1024).toFixed(0)} KB / ${(histories.meanBytes / 1024).toFixed(0)} KB (of ${histories.count}; Temporal's limits: 51,200 events, 50 MB) |`);
    console.log(`| follow-up timer pending (sample of 3) | ${pending} |`);
  } finally {
    chats.stop();
    await Promise.all([stop(bot), stop(worker)]);
    await fake.stop();
    await connection.close();
    await devServer.stop();
    await db.destroy();
    await dropDatabase(DATABASE_URL);
  }
}

function lead(id: number) {
  return { id, first_name: 'Lead', language_code: 'en' };
}

/** /survey, then the first option of each question as it comes; true once the result card came. */
async function walkSurvey(fake: FakeTelegramServer, chats: Chats, id: number): Promise<boolean> {
  let from = chats.sent(id).length;
  fake.pushText(lead(id), '/survey');
  for (let question = 1; question <= SURVEY_QUESTIONS; question++) {
    const asked = await chats.next(id, from, (s) => s.text.includes(`${question}/${SURVEY_QUESTIONS}`) && !!s.firstButton);
    if (!asked?.firstButton) return false;
    from = chats.sent(id).indexOf(asked) + 1;
    fake.pushCallback(lead(id), asked.firstButton, asked.messageId === undefined ? undefined : { message_id: asked.messageId });
  }
  return !!(await chats.next(id, from, (s) => s.text.includes('📋')));
}

/** Waits until no message has gone out for 3 s. */
async function quiet(fake: FakeTelegramServer): Promise<void> {
  for (;;) {
    const before = fake.calls.length;
    await sleep(3000);
    if (!fake.calls.slice(before).some((c) => c.method.startsWith('send'))) return;
  }
}

/** The longest and mean history of the run's conversations (describe: visibility has no length for open ones). */
async function historyFigures(client: Client, taskQueue: string): Promise<{ count: number; maxEvents: number; maxBytes: number; meanBytes: number }> {
  const ids: string[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowType = '${leadConversationWorkflowType}' AND TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` })) {
    ids.push(info.workflowId);
  }
  let maxEvents = 0;
  let maxBytes = 0;
  let totalBytes = 0;
  let next = 0;
  const reader = async () => {
    while (next < ids.length) {
      const described = await client.workflow.getHandle(ids[next++]).describe();
      maxEvents = Math.max(maxEvents, described.historyLength);
      maxBytes = Math.max(maxBytes, described.historySize ?? 0);
      totalBytes += described.historySize ?? 0;
    }
  };
  await Promise.all(Array.from({ length: 10 }, reader));
  return { count: ids.length, maxEvents, maxBytes, meanBytes: ids.length ? totalBytes / ids.length : 0 };
}

/** For a few leads: is a timer started in the current run and neither fired nor cancelled (the follow-up)? */
async function pendingTimers(client: Client, ids: number[]): Promise<string> {
  const answers: string[] = [];
  for (const id of ids) {
    const history = await client.workflow.getHandle(leadWorkflowId(id)).fetchHistory().catch(() => undefined);
    const events = history?.events ?? [];
    const started = new Set(events.filter((e) => e.timerStartedEventAttributes).map((e) => e.timerStartedEventAttributes?.timerId));
    for (const e of events) {
      started.delete(e.timerFiredEventAttributes?.timerId ?? e.timerCanceledEventAttributes?.timerId);
    }
    answers.push(started.size > 0 ? 'yes' : 'no');
  }
  return answers.join(', ');
}

function memory(pid: number | undefined): Memory {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/**
 * CPU time (ms) used so far by the worker, the bot, the dev server and the Postgres backends of the
 * benchmark's database (from /proc): on a shared machine, what a conversation costs is steadier than
 * how fast it went.
 */
function cpuUsed(pids: { worker?: number; bot?: number; devServer?: number }): Record<string, number> {
  const used: Record<string, number> = { worker: 0, bot: 0, 'dev server': 0, postgres: 0 };
  const database = new URL(DATABASE_URL).pathname.slice(1);
  const ticks = (pid: number | string) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ = 100
  };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const pid = Number(entry);
      const name =
        pid === pids.worker ? 'worker' : pid === pids.bot ? 'bot' : pid === pids.devServer ? 'dev server'
          : readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(` ${database} `) ? 'postgres' : undefined;
      if (name) used[name] += ticks(entry);
    } catch {
      // ended meanwhile
    }
  }
  return used;
}

/** CPU ms per item between two readings, in all and per process; and how many items a second the idle cores would take. */
function cpuSince(before: Record<string, number>, after: Record<string, number>, per: number): string {
  const parts = Object.entries(after).map(([name, ms]) => [name, (ms - (before[name] ?? 0)) / Math.max(per, 1)] as const);
  const total = parts.reduce((sum, [, ms]) => sum + ms, 0);
  const ceiling = total > 0 ? (cpus().length * 1000) / total : Number.POSITIVE_INFINITY;
  return `${total.toFixed(0)} ms (${parts.map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(', ')}): at most ${ceiling.toFixed(0)}/s on ${cpus().length} idle cores`;
}

function findDevServerPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes('start-dev') && cmdline.includes(`--port ${PORT} `)) return Number(entry);
    } catch {
      // ended meanwhile
    }
  }
  return undefined;
}

function mb(bytes: number): string {
  return `${Math.round(bytes / MB)} MB`;
}

function spawnNode(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${args[1]}] ${chunk.toString()}`));
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

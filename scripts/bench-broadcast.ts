/**
 * Benchmark of broadcast sending (issue 10), not part of the test suite. In one run, against two
 * fake Bot API servers that each enforce 30 messages a second with Telegram-like flood control:
 *  - ours: a campaign to every lead, run by `main.ts worker` (a process of its own) on a Temporal
 *    dev server, paced by BROADCAST_RATE_PER_SECOND through Postgres;
 *  - the plain loop grammY's documentation recommends (sendMessage in a loop, @grammyjs/auto-retry),
 *    also a process of its own.
 * Both run at the same time to the same number of chats, each fake in a process of its own. Printed for each: sustained rate (first to
 * last message) as a % of the limit, 429s received, chats that got nothing (lost) or more than one
 * message (duplicated), and the sender process's peak RSS.
 *
 *   npm run bench:broadcast                 10,000 leads (BENCH_LEADS=1000 for a quick run)
 *   BENCH_RATE=29 BENCH_LIMIT=30            our configured rate, the fake's limit
 *   BENCH_PLAIN=0                           ours only
 *   BENCH_CONVERSATIONS=1000                how many recipients get a live conversation first (each sends
 *                                           /start and is greeted; default: every recipient), so the
 *                                           campaign meets real lead workflows (it reads their mode from
 *                                           Postgres and never queries them); the rest are rows only
 *   BENCH_DATABASE_URL=…                    scratch database (created, then dropped)
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { launchCampaign } from '../api/campaign-launch';
import { parseLeadUpdate } from '../bot/leads/inbound-event';
import { LeadConversations } from '../bot/leads/lead-conversations';
import { broadcastBatchSize, CampaignWorkflows } from '../api/campaign-workflows';
import { broadcastTaskQueue } from '../config';
import { createDb, dropDatabase, ensureDatabase, migrateLatest, type Db } from '../db/knex';
import { campaignWorkflowId } from '../workflows/broadcast-campaign/contract';
import type { FakeReport } from './bench-broadcast-fake';
import { startDevServer } from './dev-server';
import { temporalCliPath } from './temporal-binaries';

const LEADS = Number(process.env.BENCH_LEADS ?? 10_000);
const RATE = Number(process.env.BENCH_RATE ?? 29);
const LIMIT = Number(process.env.BENCH_LIMIT ?? 30);
/** BENCH_PLAIN=0 leaves the plain loop out (a quick check of ours while tuning). */
const WITH_PLAIN_LOOP = process.env.BENCH_PLAIN !== '0';
const CONVERSATIONS = Math.min(LEADS, Number(process.env.BENCH_CONVERSATIONS ?? LEADS));
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? `postgres://postgres@127.0.0.1:5432/sales_bench_broadcast_${process.pid}`;
const TOKEN = '424242:BENCH-broadcast-token-for-the-fake';
const FIRST_CHAT = 2_000_000_000;
const TEXT = 'Открыт набор на новый поток!';
const ROOT = join(__dirname, '..');

interface Figures {
  name: string;
  configured?: number;
  delivered: number;
  seconds: number;
  tooManyRequests: number;
  lost: number;
  duplicated: number;
  peakRssBytes: number;
  /** The most messages the fake accepted in any sliding second. */
  busiestSecond: number;
  /** For the first 429: the gaps (ms) between the accepted arrivals of the second before it, and the refused one. */
  firstRefusal?: string;
}

async function main(): Promise<void> {
  console.log(`broadcast benchmark: ${LEADS.toLocaleString('en')} chats each, fake limit ${LIMIT}/s with flood control, our rate ${RATE}/s`);
  const db = await scratchDatabase(DATABASE_URL);
  const devServer = await startDevServer({ cliPath: temporalCliPath() });
  const [oursFake, plainFake] = await Promise.all([startFake(), startFake()]);
  const connection = await Connection.connect({ address: devServer.address });
  const client = new Client({ connection });
  let worker: ChildProcess | undefined;
  try {
    const taskQueue = `bench-${Date.now()}`;
    await seedLeads(db, CONVERSATIONS, LEADS);
    worker = spawnNode(['main.ts', 'worker'], {
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: oursFake.apiRoot,
      TEMPORAL_ADDRESS: devServer.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      DATABASE_URL,
      BROADCAST_RATE_PER_SECOND: String(RATE),
      LOG_LEVEL: 'warn',
      OPENAI_API_KEY: '',
    });
    if (CONVERSATIONS > 0) await seedConversations(db, new LeadConversations(client, taskQueue, pino({ level: 'silent' })), CONVERSATIONS);
    const workflows = new CampaignWorkflows(client, taskQueue, {
      queue: broadcastTaskQueue({ TEMPORAL_TASK_QUEUE: taskQueue, BROADCAST_TASK_QUEUE: undefined }),
      batchSize: broadcastBatchSize(RATE),
    });
    const launched = await launchCampaign({ db, workflows, logger: pino({ level: 'silent' }) }, {
      name: 'bench',
      createdBy: null,
      content: { items: [{ kind: 'text', text: TEXT }] },
      audience: { sources: ['bench'] },
      scheduledAt: null,
    });
    if (!launched.launched) throw new Error(`campaign not launched: ${launched.reason}`);

    const plainDone = WITH_PLAIN_LOOP
      ? outputOf(
          spawnNode(['scripts/bench-broadcast-plain-loop.ts'], {
            BENCH_API_ROOT: plainFake.apiRoot,
            BENCH_TOKEN: TOKEN,
            BENCH_CHAT_IDS: `${FIRST_CHAT}+${LEADS}`,
            BENCH_TEXT: TEXT,
          }),
        )
      : undefined;

    const running = worker;
    let oursPeak = 0;
    const sampler = setInterval(() => (oursPeak = Math.max(oursPeak, peakRss(running))), 1000);
    await client.workflow.getHandle(campaignWorkflowId(launched.campaign.id)).result();
    oursPeak = Math.max(oursPeak, peakRss(running));
    clearInterval(sampler);
    print(figures('ours (campaign workflow, Postgres pacer)', await oursFake.report(), oursPeak, RATE));
    await stop(worker);
    worker = undefined;
    if (!plainDone) return;
    console.log('  … waiting for the plain loop');
    const plainResult = JSON.parse((await plainDone).trim().split('\n').at(-1) ?? '{}') as { failed: number; maxRssBytes: number };
    print(figures('plain grammY loop + auto-retry', await plainFake.report(), plainResult.maxRssBytes));
  } finally {
    if (worker) await stop(worker);
    await connection.close();
    await Promise.all([devServer.stop(), stop(oursFake.child), stop(plainFake.child)]);
    await db.destroy();
    await dropDatabase(DATABASE_URL);
  }
}

function figures(name: string, report: FakeReport, peakRssBytes: number, configured?: number): Figures {
  const times = [...report.times].sort((a, b) => a - b);
  const seconds = times.length > 1 ? (times[times.length - 1] - times[0]) / 1000 : 0;
  const received = new Map(report.deliveries);
  let lost = 0;
  let duplicated = 0;
  for (let chat = FIRST_CHAT; chat < FIRST_CHAT + LEADS; chat++) {
    const got = received.get(chat) ?? 0;
    if (got === 0) lost += 1;
    if (got > 1) duplicated += 1;
  }
  let busiestSecond = 0;
  for (let first = 0, last = 0; last < times.length; last++) {
    while (times[first] <= times[last] - 1000) first++;
    busiestSecond = Math.max(busiestSecond, last - first + 1);
  }
  const refused = report.refusedTimes[0];
  let firstRefusal: string | undefined;
  if (refused !== undefined) {
    const before = times.filter((at) => at > refused - 1000 && at <= refused);
    const gaps = [...before, refused].map((at, i, all) => (i === 0 ? 0 : at - all[i - 1])).slice(1);
    firstRefusal = `${before.length} accepted in the second before it; gaps ${gaps.join(' ')} ms`;
  }
  return { name, configured, delivered: times.length, seconds, tooManyRequests: report.tooManyRequests, lost, duplicated, peakRssBytes, busiestSecond, firstRefusal };
}

function print(f: Figures): void {
  const rate = f.seconds > 0 ? (f.delivered - 1) / f.seconds : 0;
  const ofConfigured = f.configured ? `, ${((rate / f.configured) * 100).toFixed(1)} % of the configured ${f.configured}/s` : '';
  console.log(
    [
      `${f.name}:`,
      `  sustained rate   ${rate.toFixed(2)} msg/s = ${((rate / LIMIT) * 100).toFixed(1)} % of the ${LIMIT}/s limit${ofConfigured} (${f.delivered} messages in ${f.seconds.toFixed(1)} s)`,
      `  429s received    ${f.tooManyRequests} (busiest second: ${f.busiestSecond} messages)`,
      ...(f.firstRefusal ? [`  the first 429    ${f.firstRefusal}`] : []),
      `  lost             ${f.lost}`,
      `  duplicated       ${f.duplicated}`,
      `  peak RSS         ${(f.peakRssBytes / 1024 / 1024).toFixed(0)} MB`,
    ].join('\n'),
  );
}

interface ForkedFake {
  child: ChildProcess;
  apiRoot: string;
  report(): Promise<FakeReport>;
}

/** A fake Bot API with the flood control, in a process of its own (see bench-broadcast-fake.ts). */
async function startFake(): Promise<ForkedFake> {
  const child = fork(join(__dirname, 'bench-broadcast-fake.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_TOKEN: TOKEN, BENCH_LIMIT: String(LIMIT), BENCH_TEXT: TEXT },
  });
  // The fake stands in for Telegram, whose servers do not share this machine's CPUs: on a busy box it
  // runs ahead of the senders, so the load does not delay its clock and turn punctual sends into bursts.
  try {
    setPriority(child.pid ?? 0, -10);
  } catch {
    console.log('  (could not raise the fake server\'s priority; on a busy machine its clock may lag)');
  }
  const { apiRoot } = await new Promise<{ apiRoot: string }>((resolve, reject) => {
    child.once('message', (message) => resolve(message as { apiRoot: string }));
    child.once('exit', (code) => reject(new Error(`the fake exited with ${code}`)));
  });
  return {
    child,
    apiRoot,
    report: () =>
      new Promise<FakeReport>((resolve) => {
        child.once('message', (message) => resolve(message as FakeReport));
        child.send('report');
      }),
  };
}

/** The process's peak resident set (VmHWM), while it still runs. */
function peakRss(child: ChildProcess): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

function spawnNode(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${args[0]}] ${chunk.toString()}`));
  return child;
}

function outputOf(child: ChildProcess): Promise<string> {
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exited with ${code}: ${out}`)))));
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * The first `count` recipients start a conversation as a lead does (/start with the campaign's
 * source), and the campaign waits until every one was greeted and wrote its mode to its row.
 */
async function seedConversations(db: Db, conversations: LeadConversations, count: number): Promise<void> {
  const started = Date.now();
  let next = 0;
  const pusher = async () => {
    while (next < count) {
      const id = FIRST_CHAT + next++;
      await conversations.deliver(toEventOrThrow(id));
    }
  };
  await Promise.all(Array.from({ length: 20 }, pusher));
  for (;;) {
    const [{ written }] = await db('leads').where({ source: 'bench' }).whereNotNull('conversation_mode').count({ written: '*' });
    if (Number(written) >= count) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  console.log(`  ${count.toLocaleString('en')} live conversations seeded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

function toEventOrThrow(id: number) {
  const parsed = parseLeadUpdate({
    update_id: id,
    message: { message_id: 1, date: Math.floor(Date.now() / 1000), chat: { id, type: 'private', first_name: 'Lead' }, from: { id, is_bot: false, first_name: 'Lead' }, text: '/start bench', entities: [{ type: 'bot_command', offset: 0, length: 6 }] },
  });
  if (!parsed.ok) throw new Error(`bench update refused: ${parsed.reason}`);
  return parsed.event;
}

/** Rows only for the recipients after the first `from` (those have conversations that made their own). */
async function seedLeads(db: Db, from: number, count: number): Promise<void> {
  for (let start = from; start < count; start += 2000) {
    const rows = Array.from({ length: Math.min(2000, count - start) }, (_, i) => {
      const id = FIRST_CHAT + start + i;
      return { telegram_user_id: id, chat_id: id, first_name: 'Lead', source: 'bench', segment: 'warm' };
    });
    await db('leads').insert(rows);
  }
}

async function scratchDatabase(url: string): Promise<Db> {
  await dropDatabase(url);
  await ensureDatabase(url);
  const db = createDb(url);
  await migrateLatest(db);
  return db;
}


main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../../../db/knex';
import { seedCatalogue } from '../../../db/seed';
import { startDevServer, type DevServer } from '../../../scripts/dev-server';
import { temporalCliPath } from '../../../scripts/temporal-binaries';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { ownDatabase } from '../../support/own-database';
import { WORKFLOW_BUNDLE_PATH } from '../../support/paths';
import { PostgresProxy } from '../../support/postgres-proxy';
import { startApp, waitForHttp, type AppProcess } from '../../support/processes';
import { portBlock } from './ports';

export const BOT_TOKEN = '818181:FAULTS-token-for-the-fake-bot-api';
export const WEBHOOK_SECRET = 'faults-webhook-secret-0123456789';
export const MANAGERS_CHAT_ID = -100_818_181;

export type Part = 'worker' | 'bot' | 'api';

const LOG_DIR = join(__dirname, '..', '..', '..', '.tools', 'faults', 'logs');

export interface RunningSystemOptions {
  /** Names the test file's own database and task queue. */
  name: string;
  /** Which block of 20 ports (see ports.ts) this file's servers take. */
  portBlock: number;
  /** Extra environment for every process. */
  env?: Record<string, string>;
  /** Temporal keeps its state in a file, so it survives being killed and started again (restartTemporal). */
  temporalOnDisk?: boolean;
}

/**
 * The whole system as an operator runs it: a Temporal dev server, Postgres (behind a proxy the
 * test can cut), the fake Telegram, and `main.ts worker | bot | api` as separate processes that a
 * test kills (SIGKILL) and restarts. Every server listens on 127.0.0.1 on this file's own ports.
 */
export class RunningSystem {
  private readonly processes = new Map<Part, AppProcess>();
  private readonly logFiles: string[] = [];
  /** How many times each part was killed. */
  readonly kills: Record<Part, number> = { worker: 0, bot: 0, api: 0 };

  private constructor(
    readonly name: string,
    private temporal: { server: DevServer; port: number; dbFile?: string },
    readonly telegram: FakeTelegramServer,
    readonly db: Db,
    readonly proxy: PostgresProxy,
    readonly env: Record<string, string>,
    readonly ports: { api: number; workerHealth: number },
  ) {}

  static async start(options: RunningSystemOptions): Promise<RunningSystem> {
    const nextPort = portBlock(options.portBlock);
    const [temporalPort, telegramPort, apiPort, workerHealthPort, proxyPort] = [nextPort(), nextPort(), nextPort(), nextPort(), nextPort()];
    const dbFile = options.temporalOnDisk ? join(LOG_DIR, options.name, 'temporal.db') : undefined;
    if (dbFile) rmSync(dbFile, { force: true });
    const [devServer, telegram, own] = await Promise.all([
      startDevServer({ cliPath: temporalCliPath(), port: temporalPort, dbFile }),
      FakeTelegramServer.start({ token: BOT_TOKEN, port: telegramPort }),
      ownDatabase(options.name),
    ]);
    for (const file of existsSync(join(LOG_DIR, options.name)) ? readdirSync(join(LOG_DIR, options.name)) : []) {
      if (file.endsWith('.log')) rmSync(join(LOG_DIR, options.name, file), { force: true });
    }
    await seedCatalogue(own.db); // the products a survey's result card offers
    const proxy = await PostgresProxy.start(own.url, proxyPort);
    const env: Record<string, string> = {
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      TEMPORAL_ADDRESS: devServer.address,
      TEMPORAL_TASK_QUEUE: `faults-${options.name}`,
      DATABASE_URL: proxy.urlFor(own.url),
      API_PORT: String(apiPort),
      WORKER_HEALTH_PORT: String(workerHealthPort),
      MANAGERS_CHAT_ID: String(MANAGERS_CHAT_ID),
      LOG_LEVEL: 'warn',
      OPENAI_API_KEY: '', // never the real model from a developer's shell
      // The run's prebuilt bundle: a worker the suite (re)starts skips bundling the workflows again.
      WORKFLOW_BUNDLE_PATH,
      // The fake answers within moments even on a loaded box (a bonus document's upload included): a send it
      // never answers (scenario 6) holds its conversation 10 s, not 25; a cut-off send is resent after 15 s.
      TELEGRAM_REQUEST_TIMEOUT_SECONDS: '10',
      ...options.env,
    };
    return new RunningSystem(options.name, { server: devServer, port: temporalPort, dbFile }, telegram, own.db, proxy, env, { api: apiPort, workerHealth: workerHealthPort });
  }

  get devServer(): DevServer {
    return this.temporal.server;
  }

  /** SIGKILLs the Temporal dev server (the app's processes keep running and keep trying). */
  async killTemporal(): Promise<void> {
    await this.temporal.server.kill();
  }

  /** Starts Temporal again on the same port, from its file when `temporalOnDisk` (else it starts empty). */
  async startTemporal(): Promise<void> {
    this.temporal.server = await startDevServer({ cliPath: temporalCliPath(), port: this.temporal.port, dbFile: this.temporal.dbFile });
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.ports.api}`;
  }

  /**
   * The api's environment for receiving Telegram's updates on its webhook route (the test posts
   * them, as Telegram would; the fake does not call webhooks). Meanwhile a `bot` part may still poll.
   */
  get webhookEnv(): Record<string, string> {
    return { TELEGRAM_WEBHOOK_URL: this.apiUrl, TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET };
  }

  /** Starts a part and waits until it is ready (its health check answers; the bot: its first poll). */
  async startPart(part: Part, extraEnv: Record<string, string> = {}): Promise<void> {
    if (this.processes.has(part)) throw new Error(`${part} is already running`);
    const polls = this.polls();
    const env = { ...this.env, ...extraEnv };
    const app = startApp([part], env);
    this.processes.set(part, app);
    // Each process's whole output, for a look after a failed run (startApp keeps only the tail).
    mkdirSync(join(LOG_DIR, this.name), { recursive: true });
    const logFile = join(LOG_DIR, this.name, `${part}-${this.kills[part]}.log`);
    this.logFiles.push(logFile);
    const log = createWriteStream(logFile);
    app.child.stdout?.pipe(log);
    app.child.stderr?.pipe(log);
    if (part === 'worker') await waitForHttp(`http://127.0.0.1:${this.ports.workerHealth}/health`, app);
    if (part === 'api') await waitForHttp(`${this.apiUrl}/health`, app);
    if (part === 'bot' && !env.TELEGRAM_WEBHOOK_URL) {
      await this.telegram.waitFor(() => this.polls() > polls || app.child.exitCode !== null, 90_000);
      if (app.child.exitCode !== null) throw new Error(`bot exited with ${app.child.exitCode}:\n${app.output()}`);
    }
  }

  /** getUpdates calls begun (a long poll is recorded as it starts; `callsTo` lists only answered calls). */
  private polls(): number {
    return this.telegram.calls.filter((call) => call.method === 'getUpdates').length;
  }

  /** SIGKILL: no shutdown hooks, like a crashed machine. */
  async killPart(part: Part): Promise<void> {
    const app = this.processes.get(part);
    if (!app) return;
    this.processes.delete(part);
    await app.kill();
    this.kills[part] += 1;
  }

  async restartPart(part: Part, extraEnv: Record<string, string> = {}): Promise<void> {
    await this.killPart(part);
    await this.startPart(part, extraEnv);
  }

  /** What a part printed (the last 20,000 characters), e.g. to look for unhandled rejections. */
  output(part: Part): string {
    return this.processes.get(part)?.output() ?? '';
  }

  /** Everything every process printed so far (their pino JSON lines and any crash), for counting log lines. */
  logs(): string {
    return this.logFiles.map((file) => (existsSync(file) ? readFileSync(file, 'utf8') : '')).join('\n');
  }

  /** The parts started and not killed since. */
  runningParts(): Part[] {
    return [...this.processes.keys()];
  }

  /** Whether the part's process is still alive (a crash shows here). */
  isRunning(part: Part): boolean {
    const app = this.processes.get(part);
    return !!app && app.child.exitCode === null && app.child.signalCode === null;
  }

  async stop(): Promise<void> {
    for (const part of [...this.processes.keys()]) await this.killPart(part);
    await Promise.all([this.devServer.stop(), this.telegram.stop(), this.proxy.stop(), this.db.destroy()]);
  }
}

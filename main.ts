import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { lineScrubber } from './log-redaction';
import { ConfigError, configuredSecrets, loadConfig, requireBotToken, requireDatabaseUrl, type Config } from './config';
import { createDb } from './db/knex';
import { seedSandboxStaff, startSandbox, wantsSandbox, type Sandbox } from './sandbox/sandbox';
import { createLogger, type Logger } from './logging';
import { ScenarioError } from './scenarios/loader';
import { DEV_SERVER_RETENTION_MS, startDevServer, type DevServer } from './scripts/dev-server';
import { EmbeddedPostgresError, startEmbeddedPostgres } from './scripts/embedded-postgres';
import { TemporalBinaryMissingError, temporalCliPath } from './scripts/temporal-binaries';
import { DatabaseUnusableError, safeUrl } from './db/database-errors';
import { MaterialsFileError } from './db/materials-import';
import { checkScenarioFile, checkScenarios, formatImportReport, importMaterials, migrate, startSystem, type Part } from './system';
import { formatKnowledgeReport, importKnowledgeFile } from './db/knowledge-file';

const USAGE = `usage: tsx main.ts <command>
  start            everything in one process (starts a Temporal dev server when TEMPORAL_ADDRESS is unset;
                   without TELEGRAM_BOT_TOKEN, or with SANDBOX=1, the sandbox: a web chat at /sandbox on API_PORT)
  worker           the Temporal worker (workflows and activities)
  bot              the Telegram bot (long polling, or registers the webhook when TELEGRAM_WEBHOOK_URL is set)
  api              the HTTP api (/health, /metrics, the Telegram webhook)
  migrate          create the database if needed and apply migrations
                   (start, migrate and materials import run an embedded PostgreSQL when DATABASE_URL is unset)
  scenarios check [file...]  validate the scenario files (default: the shipped ones)
  materials import <file> [key-prefix]  delta-sync the materials catalogue from a CSV or JSON export of the sheet
  knowledge import <file.csv>  add and update knowledge-base entries from a CSV sheet (docs/knowledge-base.md)`;

/** A command line that cannot be run as typed. */
class UsageError extends Error {}

/**
 * Without DATABASE_URL, the embedded PostgreSQL in DATA_DIR/postgres, started for this command and
 * stopped with it; the config and logger that come back point at it (its password scrubbed).
 */
async function database(config: Config, logger: Logger): Promise<{ config: Config; logger: Logger; stop(): Promise<void> }> {
  if (config.DATABASE_URL) return { config, logger, stop: async () => undefined };
  const dir = join(resolve(config.DATA_DIR), 'postgres');
  const embedded = await startEmbeddedPostgres({ dir, onLog: (message) => logger.info(message) });
  const withDb = { ...config, DATABASE_URL: embedded.url };
  const scrubbing = createLogger({ level: config.LOG_LEVEL, secrets: configuredSecrets(withDb) });
  scrubbing.info({ url: safeUrl(embedded.url), dir }, 'embedded PostgreSQL running (DATABASE_URL is not set)');
  return { config: withDb, logger: scrubbing, stop: () => embedded.stop() };
}

/** The sandbox's manager gets the manager role in the (migrated) database. */
async function seedSandbox(config: Config): Promise<void> {
  const db = createDb(requireDatabaseUrl(config));
  try {
    await seedSandboxStaff(db, config.ADMIN_TELEGRAM_IDS);
  } finally {
    await db.destroy();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, sub] = argv;
  let config = loadConfig();
  let logger = createLogger({ level: config.LOG_LEVEL, secrets: configuredSecrets(config) });

  if (command === 'migrate' || ((command === 'materials' || command === 'knowledge') && sub === 'import')) {
    const [file, scope] = argv.slice(2);
    if (command === 'materials' && !file) throw new UsageError('materials import <file.csv|file.json> [key-prefix]');
    if (command === 'knowledge' && !file) throw new UsageError('knowledge import <file.csv>');
    const db = await database(config, logger);
    try {
      if (command === 'migrate') await migrate(db.config, db.logger);
      else if (command === 'knowledge') console.log(formatKnowledgeReport(await importKnowledgeFile(db.config, file)));
      else console.log(formatImportReport(await importMaterials(db.config, file, scope)));
    } finally {
      await db.stop();
    }
    return;
  }
  if (command === 'scenarios' && sub === 'check') {
    const files = argv.slice(2);
    for (const path of files.length ? files.map(checkScenarioFile) : checkScenarios()) console.log(`ok  ${path}`);
    return;
  }
  const parts: Record<string, Part[]> = { start: ['worker', 'bot', 'api'], worker: ['worker'], bot: ['bot'], api: ['api'] };
  if (!command || !parts[command]) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }

  // `npm start` without a token (or SANDBOX=1): the bot talks to a Telegram of its own, in the browser.
  let sandbox: Sandbox | undefined;
  if (command === 'start' && wantsSandbox(config)) {
    sandbox = await startSandbox(config);
    config = sandbox.config;
    logger.info({ chat: `http://127.0.0.1:${config.API_PORT}/sandbox` }, 'sandbox: no TELEGRAM_BOT_TOKEN (or SANDBOX=1), the bot runs against a Telegram of its own; open the web chat');
  }
  // Fail before starting anything when the token the worker and bot need is missing.
  if (command !== 'api' || config.TELEGRAM_WEBHOOK_URL) requireBotToken(config);
  checkScenarios();
  let devServer: DevServer | undefined;
  let temporalAddress = config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_DEV_SERVER_PORT}`;
  // Whatever start-up fails on (a migration above all), the servers it started stop with it, so the
  // next start does not find their ports busy.
  let stopDatabase = async () => undefined as void;
  const stopStarted = async () => {
    await devServer?.stop();
    await stopDatabase();
    await sandbox?.stop();
  };
  let system: Awaited<ReturnType<typeof startSystem>>;
  try {
    if (command === 'start') {
      const db = await database(config, logger);
      ({ config, logger } = db);
      stopDatabase = db.stop;
      if (!config.TEMPORAL_ADDRESS) {
        devServer = await startDevServer({
          cliPath: temporalCliPath(),
          port: config.TEMPORAL_DEV_SERVER_PORT,
          uiPort: config.TEMPORAL_UI_PORT,
          dbFile: join(resolve(config.DATA_DIR), 'temporal.db'),
          namespace: config.TEMPORAL_NAMESPACE,
          retentionMs: DEV_SERVER_RETENTION_MS,
        });
        temporalAddress = devServer.address;
        logger.info({ address: temporalAddress, ui: `http://127.0.0.1:${config.TEMPORAL_UI_PORT}` }, 'temporal dev server running');
      }
      await migrate(config, logger);
      if (sandbox) await seedSandbox(config);
    }
    const page = sandbox && {
      telegram: sandbox.telegram,
      people: sandbox.people,
      owners: config.ADMIN_TELEGRAM_IDS,
      managersChatId: config.MANAGERS_CHAT_ID,
      temporalUi: devServer ? `http://127.0.0.1:${config.TEMPORAL_UI_PORT}` : undefined,
      namespace: config.TEMPORAL_NAMESPACE,
    };
    const workflowBundle = config.WORKFLOW_BUNDLE_PATH ? { codePath: resolve(config.WORKFLOW_BUNDLE_PATH) } : undefined;
    system = await startSystem({ config, logger, temporalAddress, parts: parts[command], sandbox: page, workflowBundle });
  } catch (error) {
    await stopStarted();
    throw error;
  }
  if (command === 'bot' && config.TELEGRAM_WEBHOOK_URL) {
    // Webhook mode: registering the webhook is the bot's whole job; the api receives the updates.
    await system.stop();
    return;
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await system.stop();
    await stopStarted();
    logger.info('stopped');
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    await system.done;
  } finally {
    await shutdown('part stopped');
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // Known start-up problems get one clear message, not a stack trace.
  if (error instanceof UsageError) {
    console.error(`usage: ${error.message}`);
    process.exit(2);
  }
  if (error instanceof ConfigError || error instanceof ScenarioError || error instanceof TemporalBinaryMissingError || error instanceof MaterialsFileError || error instanceof DatabaseUnusableError || error instanceof EmbeddedPostgresError) {
    console.error(`cannot start: ${error.message}`);
  } else {
    // A failed start-up call to Telegram can quote the URL with the token: scrubbed like every log line.
    console.error(lineScrubber()(inspect(error)));
  }
  process.exit(1);
});

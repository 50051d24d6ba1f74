import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker, type WorkerOptions } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { Api, type Bot } from 'grammy';
import { createActivities } from './activities';
import { createOpenAI } from './activities/llm';
import { telegramHttpAgent } from './activities/telegram-http-agent';
import { telegramFileDownloader } from './bot/telegram-files';
import { buildApi } from './api/app';
import type { SandboxPageDeps } from './sandbox/sandbox-routes';
import { broadcastBatchSize, CampaignWorkflows } from './api/campaign-workflows';
import { createMetrics } from './api/metrics';
import { TELEGRAM_WEBHOOK_PATH } from './api/telegram-webhook-routes';
import { startLongPolling } from './bot/long-polling';
import { createBot } from './bot/bot';
import { registerCommandMenus } from './bot/command-menus';
import type { BotContext } from './bot/context';
import { draftApprovalDeps } from './bot/handoffs/draft-approval-deps';
import { Handoffs } from './bot/handoffs/handoffs';
import { LeadConversations } from './bot/leads/lead-conversations';
import { PaymentWorkflows } from './bot/payments/payment-workflows';
import { warnAboutStaffAccess } from './bot/staff-access';
import { scenarioVocabulary } from './domain/broadcasts/broadcast-input';
import { broadcastTaskQueue, clickTracking, requireBotToken, requireDatabaseUrl, telegramPaymentSettings, type Config } from './config';
import { explainingDatabaseErrors } from './db/database-errors';
import { createDb, ensureDatabase, migrateLatest, type Db } from './db/knex';
import { readMaterialsFile, syncMaterials, type ImportReport } from './db/materials-import';
import { seedCatalogue } from './db/seed';
import { defaultKnowledgePath, loadKnowledgeFile } from './scenarios/knowledge-loader';
import type { Logger } from './logging';
import { defaultScenarioPath, loadScenarioFile } from './scenarios/loader';
import { defaultProductsPath, loadProductsFile } from './scenarios/products-loader';
import { defaultSchedulePath, loadSchedule } from './scenarios/schedule-loader';
import { createBroadcastWorker } from './worker/broadcast-worker';
import { startWorkerHealth } from './worker/health';
import { createSalesWorker } from './worker/run-worker';
import { installTemporalRuntime } from './worker/temporal-runtime';
import { YooKassaApi } from './api/payments/yookassa-api';
import { botReturnUrl, yooKassaPaymentLinks } from './api/payments/yookassa-links';
import { ensureDialogMirror, ensureMaintenanceSchedules } from './worker/schedules';

export type Part = 'worker' | 'bot' | 'api';

/** Messages a second Telegram takes from a bot for free (its broadcast FAQ says about 30). */
const TELEGRAM_BROADCAST_LIMIT = 30;

/** grammY answers a webhook after 10 s; give up on Temporal before that so the error reaches Telegram. */
const WEBHOOK_DELIVERY_DEADLINE_MS = 8_000;

export interface RunningSystem {
  /** Resolves when a part stops by itself (e.g. the worker fails); rejects with its error. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export interface SystemOptions {
  config: Config;
  logger: Logger;
  temporalAddress: string;
  parts: Part[];
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The sandbox's web chat, served by the api. */
  sandbox?: SandboxPageDeps;
}

/** Creates the database if needed and applies pending migrations. */
export async function migrate(config: Config, logger: Logger): Promise<void> {
  const url = requireDatabaseUrl(config);
  await explainingDatabaseErrors(url, () => ensureDatabase(url));
  const db = createDb(url);
  try {
    const applied = await explainingDatabaseErrors(url, () => migrateLatest(db));
    logger.info({ applied }, applied.length ? 'migrations applied' : 'database up to date');
    const seeded = await seedCatalogue(db);
    if (seeded.products || seeded.materials || seeded.knowledge) logger.info(seeded, 'catalogue seeded from scenarios/default');
  } finally {
    await db.destroy();
  }
}

/**
 * Imports a materials sheet (Excel .xlsx, CSV or JSON export) with delta sync: new rows added, changed rows
 * as a new version, rows gone from the file archived (within `scope`, a key prefix).
 */
export async function importMaterials(config: Config, file: string, scope?: string): Promise<ImportReport> {
  const { rows, errors } = await readMaterialsFile(basename(file), readFileSync(file));
  const db = createDb(requireDatabaseUrl(config));
  try {
    return await syncMaterials(db, rows, { source: basename(file), scope, errors });
  } finally {
    await db.destroy();
  }
}

export function formatImportReport(report: ImportReport): string {
  const list = (keys: string[]) => (keys.length ? keys.join(', ') : '—');
  return [
    `added (${report.added.length}): ${list(report.added)}`,
    `updated (${report.updated.length}): ${list(report.updated)}`,
    `archived (${report.archived.length}): ${list(report.archived)}`,
    `unchanged: ${report.unchanged}`,
    ...report.errors.map((e) => `row ${e.row}${e.key ? ` (${e.key})` : ''}: ${e.reason}`),
  ].join('\n');
}

/** Checks one scenario file; throws a ScenarioError listing every problem as file:line:column. */
export function checkScenarioFile(path: string): string {
  loadScenarioFile(path);
  return path;
}

/** Loads every shipped scenario; throws a ScenarioError naming file:line on the first broken one. */
export function checkScenarios(): string[] {
  const scenarios = (['ru', 'en'] as const).map((language) => {
    const path = defaultScenarioPath(language);
    loadScenarioFile(path);
    return path;
  });
  loadProductsFile(defaultProductsPath());
  loadSchedule(defaultSchedulePath(), 'ru');
  const knowledge = (['ru', 'en'] as const).map((language) => {
    const path = defaultKnowledgePath(language);
    loadKnowledgeFile(path);
    return path;
  });
  return [...scenarios, defaultProductsPath(), defaultSchedulePath(), ...knowledge];
}

/**
 * Runs the chosen parts in this process: the worker (workflows and activities), the bot (long
 * polling, or the webhook route when TELEGRAM_WEBHOOK_URL is set), and the api.
 */
export async function startSystem({ config, logger, temporalAddress, parts, workflowBundle, sandbox }: SystemOptions): Promise<RunningSystem> {
  const stops: (() => Promise<unknown>)[] = [];
  const running: Promise<unknown>[] = [];
  const db: Db = createDb(requireDatabaseUrl(config));
  stops.push(() => db.destroy());
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch((error) => logger.error({ err: String(error) }, 'shutdown step failed'));
  };

  try {
    const wantsBot = parts.includes('bot') || (parts.includes('api') && !!config.TELEGRAM_WEBHOOK_URL);
    const token = parts.includes('worker') || wantsBot ? requireBotToken(config) : undefined;

    if (parts.includes('worker')) {
      installTemporalRuntime({ logger, metricsAddress: config.WORKER_METRICS_ADDRESS });
      const connection = await NativeConnection.connect({ address: temporalAddress });
      // Every request ends within this time, so a retry can tell a cut-off send from a slow one (activities/telegram.ts);
      // its own agent drops idle connections before Telegram closes them under a send (telegram-http-agent.ts).
      const api = new Api(token as string, {
        apiRoot: config.TELEGRAM_API_ROOT,
        timeoutSeconds: config.TELEGRAM_REQUEST_TIMEOUT_SECONDS,
        baseFetchConfig: { agent: telegramHttpAgent(config.TELEGRAM_API_ROOT), compress: true },
      });
      const schedulesConnection = await Connection.connect({ address: temporalAddress });
      stops.push(() => schedulesConnection.close());
      const workerClient = new Client({ connection: schedulesConnection, namespace: config.TEMPORAL_NAMESPACE });
      const activities = createActivities({
        db,
        logger,
        api,
        managersChatId: config.MANAGERS_CHAT_ID,
        requestTimeoutSeconds: config.TELEGRAM_REQUEST_TIMEOUT_SECONDS,
        openai: createOpenAI({ apiKey: config.OPENAI_API_KEY, baseURL: config.OPENAI_BASE_URL }),
        model: config.LLM_MODEL,
        timeoutMs: config.LLM_TIMEOUT_MS,
        downloadFile: telegramFileDownloader(token as string, config.TELEGRAM_API_ROOT),
        sttModel: config.STT_MODEL,
        maxSeconds: config.STT_MAX_SECONDS,
        approval: { enabled: config.LLM_APPROVAL_MODE, timeoutSeconds: config.LLM_APPROVAL_TIMEOUT_S },
        retention: { days: config.RETENTION_DAYS },
        owners: config.ADMIN_TELEGRAM_IDS,
        leadWorkflows: workerClient.workflow,
        clickTracking: clickTracking(config),
        frequencyCapHours: config.BROADCAST_FREQUENCY_CAP_HOURS,
        broadcastRatePerSecond: config.BROADCAST_RATE_PER_SECOND,
        paymentLinks:
          config.YOOKASSA_SHOP_ID && config.YOOKASSA_SECRET_KEY
            ? yooKassaPaymentLinks(
                new YooKassaApi({ shopId: config.YOOKASSA_SHOP_ID, secretKey: config.YOOKASSA_SECRET_KEY, apiBase: config.YOOKASSA_API_BASE }),
                botReturnUrl(async () => ({ username: (await api.getMe()).username })),
              )
            : undefined,
        telegramPayments: telegramPaymentSettings(config),
        dialogsChatId: config.DIALOGS_CHAT_ID,
        timeZone: config.TZ_DEFAULT,
      });
      const invoices = telegramPaymentSettings(config);
      // Which shop takes the money: a TEST token in production takes none, so say which one is on.
      if (invoices) logger.info({ currencies: invoices.currencies, receipt: !!invoices.receipt, mode: invoices.providerToken.includes(':TEST:') ? 'test' : 'live' }, 'Telegram Payments on');
      const worker: Worker = await createSalesWorker({
        connection,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        activities,
        workflowBundle,
        maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
      });
      // Campaign sends run on their own queue and worker, so a broadcast never takes a live reply's slot.
      const broadcastWorker: Worker = await createBroadcastWorker({
        connection,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: broadcastTaskQueue(config),
        activities,
        ratePerSecond: config.BROADCAST_RATE_PER_SECOND,
      });
      const workers = [worker, broadcastWorker];
      running.push(...workers.map((w) => w.run()));
      stops.push(async () => {
        for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
        await Promise.allSettled(running);
        await connection.close();
      });
      if (config.WORKER_HEALTH_PORT) {
        const health = await startWorkerHealth(workers, config.WORKER_HEALTH_PORT);
        stops.push(() => new Promise((resolve) => health.close(resolve)));
      }
      logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker running');
      logger.info({ taskQueue: broadcastTaskQueue(config), ratePerSecond: config.BROADCAST_RATE_PER_SECOND }, 'broadcast worker running');
      if (config.BROADCAST_RATE_PER_SECOND > TELEGRAM_BROADCAST_LIMIT) {
        logger.warn({ ratePerSecond: config.BROADCAST_RATE_PER_SECOND }, "BROADCAST_RATE_PER_SECOND is above Telegram's limit of about 30 a second; expect 429s from the real Bot API");
      }
      await ensureMaintenanceSchedules(
        workerClient,
        { taskQueue: config.TEMPORAL_TASK_QUEUE, timeZone: config.TZ_DEFAULT },
        logger,
      );
      // The live dialogs' mirror (docs/manager-handoff.md#live-dialogs): one workflow, started once.
      if (config.DIALOGS_CHAT_ID !== undefined) await ensureDialogMirror(workerClient, config.TEMPORAL_TASK_QUEUE, logger);
    }

    let bot: Bot<BotContext> | undefined;
    let conversations: LeadConversations | undefined;
    let client: Client | undefined;
    if (wantsBot || parts.includes('api')) {
      const connection = await Connection.connect({ address: temporalAddress });
      client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
      stops.push(() => connection.close());
    }
    if (wantsBot && client) {
      const followUpDefaults = (language: 'ru' | 'en') =>
        Object.fromEntries((loadScenarioFile(defaultScenarioPath(language)).followUps?.sequence ?? []).map((s) => [s.id, s.text]));
      // A webhook must answer before Telegram's timeout, which then redelivers; long polling waits
      // for Temporal as long as it takes, while the updates wait at Telegram.
      conversations = new LeadConversations(client, config.TEMPORAL_TASK_QUEUE, logger, {
        deadlineMs: config.TELEGRAM_WEBHOOK_URL ? WEBHOOK_DELIVERY_DEADLINE_MS : Number.POSITIVE_INFINITY,
        timeZone: config.TZ_DEFAULT,
      });
      const botCampaigns = campaignWorkflows(client, config);
      warnAboutStaffAccess(logger, { owners: config.ADMIN_TELEGRAM_IDS, managersChatId: config.MANAGERS_CHAT_ID });
      // Who counts as staff, in which chat: shared by every feature's check (bot/staff-access.ts).
      const access = { db, owners: config.ADMIN_TELEGRAM_IDS, managersChatId: config.MANAGERS_CHAT_ID };
      bot = createBot({
        token: token as string,
        apiRoot: config.TELEGRAM_API_ROOT,
        conversations,
        logger,
        whoami: { db, logger },
        staff: { ...access, logger },
        handoffs: new Handoffs(client),
        dialogsChatId: config.DIALOGS_CHAT_ID,
        antiSpam: { ...access, logger, timeZone: config.TZ_DEFAULT, whitelist: config.ANTI_SPAM_WHITELIST },
        leadCard: { ...access, logger, timeZone: config.TZ_DEFAULT },
        payments: { ...access, logger, workflows: new PaymentWorkflows(client, config.TEMPORAL_TASK_QUEUE) },
        dashboard: { ...access, logger, timeZone: config.TZ_DEFAULT },
        broadcasts: {
          ...access,
          logger,
          timeZone: config.TZ_DEFAULT,
          workflows: botCampaigns,
          vocabulary: () => scenarioVocabulary([loadScenarioFile(defaultScenarioPath('ru')), loadScenarioFile(defaultScenarioPath('en'))]),
        },
        campaigns: { ...access, timeZone: config.TZ_DEFAULT, campaigns: botCampaigns },
        templates: { ...access, logger, followUpDefaults },
        panel: {
          ...access,
          logger,
          timeZone: config.TZ_DEFAULT,
          followUpDefaults,
          scenario: (language) => loadScenarioFile(defaultScenarioPath(language)),
        },
        approvals:
          config.MANAGERS_CHAT_ID === undefined
            ? undefined
            : draftApprovalDeps(db, client, config.MANAGERS_CHAT_ID, config.ADMIN_TELEGRAM_IDS, logger),
      });
    }

    if (parts.includes('api') && client) {
      const temporal = client;
      const paymentNotices = { db, logger, workflows: new PaymentWorkflows(temporal, config.TEMPORAL_TASK_QUEUE) };
      const app: FastifyInstance = buildApi({
        logger,
        metrics: createMetrics(),
        health: {
          postgres: async () => void (await db.raw('select 1')),
          temporal: async () => void (await temporal.workflowService.getSystemInfo({})),
        },
        analytics: { db, token: config.API_TOKEN, readToken: config.DASHBOARD_TOKEN, timeZone: config.TZ_DEFAULT },
        campaigns: { db, token: config.API_TOKEN, readToken: config.DASHBOARD_TOKEN, logger, workflows: campaignWorkflows(temporal, config) },
        metricsToken: config.METRICS_TOKEN,
        trustProxy: config.TRUST_PROXY,
        clicks: { db, secret: clickTracking(config).secret },
        webhook: bot && config.TELEGRAM_WEBHOOK_SECRET && config.TELEGRAM_WEBHOOK_URL ? { bot, secretToken: config.TELEGRAM_WEBHOOK_SECRET } : undefined,
        sandbox,
        payments: config.PAYMENT_WEBHOOK_SECRET ? { secret: config.PAYMENT_WEBHOOK_SECRET, ...paymentNotices } : undefined,
        cloudPayments: config.CLOUDPAYMENTS_API_SECRET ? { apiSecret: config.CLOUDPAYMENTS_API_SECRET, ...paymentNotices } : undefined,
        prodamus: config.PRODAMUS_SECRET_KEY ? { secretKey: config.PRODAMUS_SECRET_KEY, ...paymentNotices } : undefined,
        yooKassa: config.YOOKASSA_SHOP_ID && config.YOOKASSA_SECRET_KEY
          ? {
              api: new YooKassaApi({ shopId: config.YOOKASSA_SHOP_ID, secretKey: config.YOOKASSA_SECRET_KEY, apiBase: config.YOOKASSA_API_BASE }),
              checkIp: config.YOOKASSA_CHECK_IP,
              ...paymentNotices,
            }
          : undefined,
      });
      await app.listen({ port: config.API_PORT, host: '0.0.0.0' });
      stops.push(() => app.close());
      logger.info({ port: config.API_PORT }, 'api listening');
    }

    if (bot && parts.includes('bot')) {
      const telegramBot = bot;
      // my_chat_member: the bot learns who added it to a group, and leaves when it was not staff.
      const allowed_updates = ['message', 'callback_query', 'pre_checkout_query', 'my_chat_member'] as const;
      if (config.TELEGRAM_WEBHOOK_URL) {
        const url = new URL(TELEGRAM_WEBHOOK_PATH, config.TELEGRAM_WEBHOOK_URL).toString();
        await telegramBot.api.setWebhook(url, { secret_token: config.TELEGRAM_WEBHOOK_SECRET, allowed_updates });
        logger.info({ url }, 'bot on webhook (served by the api)');
      }
      // The menus Telegram shows: leads per language, each staff member their role's commands (bot/command-menus.ts).
      // A failure is logged, never fatal: the bot works without menus.
      await registerCommandMenus(
        { db, owners: config.ADMIN_TELEGRAM_IDS, managersChatId: config.MANAGERS_CHAT_ID, api: telegramBot.api, logger },
        [loadScenarioFile(defaultScenarioPath('ru')), loadScenarioFile(defaultScenarioPath('en'))],
      ).catch((error: unknown) => logger.warn({ err: String(error) }, 'command menus not registered'));
      if (!config.TELEGRAM_WEBHOOK_URL) {
        await telegramBot.init();
        const handedOver = conversations;
        // An update waiting for Temporal at shutdown stays at Telegram for the next start.
        const polling = startLongPolling(telegramBot, { allowedUpdates: allowed_updates, logger, onStop: () => handedOver?.close() });
        running.push(polling.done);
        stops.push(() => polling.stop());
        logger.info({ username: telegramBot.botInfo.username }, 'bot polling');
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return { done: Promise.race(running).then(() => undefined), stop };
}

/** Campaigns start on the main queue and send their batches on the broadcast queue, at the configured pace. */
function campaignWorkflows(client: Client, config: Config): CampaignWorkflows {
  return new CampaignWorkflows(client, config.TEMPORAL_TASK_QUEUE, {
    queue: broadcastTaskQueue(config),
    batchSize: broadcastBatchSize(config.BROADCAST_RATE_PER_SECOND),
  });
}

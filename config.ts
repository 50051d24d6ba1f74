import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { isTimeZone } from './domain/time-zone';
import type { TelegramPaymentSettings } from './domain/payments/provider-invoice';
import { isTelegramPaymentsCurrency } from './domain/payments/telegram-currencies';

/** Comma-separated Telegram user ids, e.g. "111,222". */
const telegramIdList = z
  .string()
  .transform((raw, ctx) => {
    const parts = raw.split(',').map((part) => part.trim()).filter(Boolean);
    const ids = parts.map(Number);
    if (ids.some((id) => !Number.isSafeInteger(id) || id <= 0)) {
      ctx.addIssue({ code: 'custom', message: `expected comma-separated positive Telegram user ids, got "${raw}"` });
      return z.NEVER;
    }
    return ids;
  });

/**
 * TRUST_PROXY: how many proxies stand in front of the api ("1") or their addresses ("10.0.0.1, 10.0.0.0/8").
 * Never "true": that would let any client name its own address in X-Forwarded-For and dodge the limits.
 */
const trustedProxies = z.string().transform((raw, ctx): number | string[] => {
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops >= 1 && hops <= 10) return hops;
  }
  const addresses = raw.split(',').map((part) => part.trim()).filter(Boolean);
  const isAddressOrRange = (entry: string) => {
    const [address, bits, extra] = entry.split('/');
    if (extra !== undefined || isIP(address) === 0) return false;
    const maxBits = isIP(address) === 4 ? 32 : 128;
    return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits);
  };
  if (addresses.length > 0 && addresses.every(isAddressOrRange)) return addresses;
  ctx.addIssue({ code: 'custom', message: `expected the number of proxies (1-10) or their addresses such as "10.0.0.1, 10.0.0.0/8", got "${raw}"` });
  return z.NEVER;
});

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const port = z.coerce.number({ error: 'expected a port number' }).int().min(1).max(65535);

/**
 * Every environment variable the system reads. Empty strings count as unset so that
 * `FOO=` in a .env file behaves like no FOO at all.
 */
export const configSchema = z
  .object({
    TELEGRAM_BOT_TOKEN: optionalString.pipe(
      z.string().regex(/^\d+:[\w-]{20,}$/, 'expected a bot token like 123456:ABC-DEF… from @BotFather').optional(),
    ),
    // 1: `npm start` runs the sandbox (a Telegram of its own in the browser) even with a token set.
    SANDBOX: z.enum(['', '0', '1', 'true', 'false']).optional().transform((v) => v === '1' || v === 'true'),
    TELEGRAM_API_ROOT: z.url().default('https://api.telegram.org'),
    // The longest one Bot API request of the worker may take; a send claimed longer ago than this plus 5 s
    // is known to be cut off and is sent again (activities/telegram.ts). At most 25, so a send ends inside
    // its activity's 30 s. Shorter only where Telegram answers fast, e.g. the fault suite's fake.
    TELEGRAM_REQUEST_TIMEOUT_SECONDS: z.coerce.number({ error: 'expected seconds' }).int().min(1).max(25).default(25),
    TELEGRAM_WEBHOOK_URL: optionalString.pipe(z.url().optional()),
    TELEGRAM_WEBHOOK_SECRET: optionalString.pipe(
      z.string().regex(/^[A-Za-z0-9_-]{16,256}$/, 'expected 16-256 characters A-Z, a-z, 0-9, _ or - (it is all that proves an update came from Telegram)').optional(),
    ),
    MANAGERS_CHAT_ID: optionalString.pipe(
      z.string().regex(/^-?\d+$/, 'expected a chat id such as -1001234567890').transform(Number).optional(),
    ),
    /** A forum supergroup where each lead's dialog is mirrored into a topic of its own (docs/manager-handoff.md#live-dialogs). */
    DIALOGS_CHAT_ID: optionalString.pipe(
      z.string().regex(/^-100\d+$/, 'expected a supergroup id such as -1001234567890 (a forum: topics on)').transform(Number).optional(),
    ),
    ADMIN_TELEGRAM_IDS: optionalString.pipe(telegramIdList.optional()).transform((ids) => ids ?? []),
    /** Telegram user ids anti-spam never judges (docs/protection.md#anti-spam). */
    ANTI_SPAM_WHITELIST: optionalString.pipe(telegramIdList.optional()).transform((ids) => ids ?? []),
    // Unset: `npm start`, `npm run migrate` and `materials import` run an embedded PostgreSQL (DATA_DIR/postgres).
    DATABASE_URL: optionalString,
    TEMPORAL_ADDRESS: optionalString,
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('sales'),
    // `npm start` without TEMPORAL_ADDRESS: the embedded dev server's port and its Web UI's.
    TEMPORAL_DEV_SERVER_PORT: port.default(7233),
    TEMPORAL_UI_PORT: port.default(8233),
    TEMPORAL_CLI_PATH: optionalString,
    TEMPORAL_TEST_SERVER_PATH: optionalString,
    OPENAI_API_KEY: optionalString,
    OPENAI_BASE_URL: optionalString.pipe(z.url().optional()),
    LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
    LLM_APPROVAL_MODE: z.enum(['on', 'off', 'true', 'false', '1', '0']).default('off').transform((v) => v === 'on' || v === 'true' || v === '1'),
    LLM_APPROVAL_TIMEOUT_S: z.coerce.number({ error: 'expected seconds' }).int().min(10).max(3600).default(300),
    // Speech to text for voice and video notes (docs/lead-journey.md): the provider's model and the longest note sent to it.
    STT_MODEL: z.string().min(1).default('whisper-1'),
    STT_MAX_SECONDS: z.coerce.number({ error: 'expected seconds' }).int().min(1).max(3600).default(300),
    LLM_TIMEOUT_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(1000).max(120_000).default(15_000),
    API_PORT: port.default(3000),
    // The reverse proxies in front of the api, so that limits and logs see each client's own address.
    TRUST_PROXY: optionalString.pipe(trustedProxies.optional()),
    API_TOKEN: optionalString.pipe(z.string().min(16, 'expected at least 16 characters (it guards every analytics figure and export)').optional()),
    PAYMENT_WEBHOOK_SECRET: optionalString.pipe(z.string().min(16, 'expected at least 16 characters (it is all that proves a payment came from the provider)').optional()),
    // Provider adapters (api/payments/): each route exists only with its provider's secret set.
    CLOUDPAYMENTS_API_SECRET: optionalString.pipe(z.string().regex(/^\S{16,200}$/, 'expected the site\'s API secret from the CloudPayments dashboard (at least 16 characters, no spaces; it is all that proves a notification came from CloudPayments)').optional()),
    PRODAMUS_SECRET_KEY: optionalString.pipe(z.string().regex(/^\S{16,200}$/, 'expected the payment page\'s secret key from the Prodamus dashboard (at least 16 characters, no spaces; it is all that proves a notification came from Prodamus)').optional()),
    YOOKASSA_SHOP_ID: optionalString.pipe(z.string().regex(/^\d{1,20}$/, 'expected the shopId from the YooKassa dashboard, digits only').optional()),
    YOOKASSA_SECRET_KEY: optionalString.pipe(z.string().regex(/^(live|test)_[\w-]{11,200}$/, 'expected a YooKassa secret key such as live_… or test_… (Integration → API keys)').optional()),
    YOOKASSA_API_BASE: z.url({ protocol: /^https?$/, error: 'expected the YooKassa API address, e.g. https://api.yookassa.ru/v3' }).default('https://api.yookassa.ru/v3'),
    // On: YooKassa notifications are accepted only from YooKassa's published addresses (behind a proxy, set TRUST_PROXY).
    YOOKASSA_CHECK_IP: z.enum(['on', 'off', 'true', 'false', '1', '0']).default('on').transform((v) => v === 'on' || v === 'true' || v === '1'),
    // Telegram Payments: the provider token BotFather gives (Payments → a provider such as ЮKassa); unset: no invoices in roubles.
    TELEGRAM_PAYMENT_PROVIDER_TOKEN: optionalString.pipe(z.string().regex(/^\d{5,15}:(TEST|LIVE):\S{1,200}$/, 'expected the provider token from BotFather (Payments), such as 381764678:TEST:… or …:LIVE:…').optional()),
    // Products priced in these currencies are paid by an invoice inside Telegram (the rest keep their links).
    TELEGRAM_PAYMENT_CURRENCIES: z
      .string()
      .default('RUB')
      .transform((raw, ctx) => {
        const codes = raw.split(',').map((part) => part.trim().toUpperCase()).filter(Boolean);
        const unknown = codes.filter((code) => !isTelegramPaymentsCurrency(code) || code === 'XTR');
        if (codes.length === 0 || unknown.length > 0) {
          ctx.addIssue({ code: 'custom', message: `expected comma-separated currency codes Telegram Payments takes (e.g. RUB,KZT), got "${raw}"` });
          return z.NEVER;
        }
        return codes;
      }),
    // on: the invoice asks for the payer's e-mail and hands the provider a receipt (54-FZ): needed when the provider prints the cheque.
    TELEGRAM_PAYMENT_RECEIPT: z.enum(['on', 'off', 'true', 'false', '1', '0']).default('off').transform((v) => v === 'on' || v === 'true' || v === '1'),
    // The receipt's VAT code as ЮKassa numbers them: 1 no VAT, 2 0%, 3 10%, 4 20%, 5 10/110, 6 20/120.
    TELEGRAM_PAYMENT_VAT_CODE: z.coerce.number({ error: 'expected a VAT code 1-6' }).int().min(1, 'expected a VAT code 1-6').max(6, 'expected a VAT code 1-6').default(1),
    // The shop's tax system (1-6 as ЮKassa numbers them); unset: the one set in the provider's dashboard.
    TELEGRAM_PAYMENT_TAX_SYSTEM_CODE: optionalString.pipe(z.string().regex(/^[1-6]$/, 'expected a tax system code 1-6').transform(Number).optional()),
    // Read-only: analytics, exports and campaign reports, never a launch or any other write. Unset: API_TOKEN reads too.
    DASHBOARD_TOKEN: optionalString.pipe(z.string().min(16, 'expected at least 16 characters (it reads every analytics figure and export)').optional()),
    // Set: /metrics answers only to this bearer token; unset: /metrics is public (keep the port private then).
    METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'expected at least 16 characters').optional()),
    PUBLIC_BASE_URL: optionalString.pipe(z.url({ protocol: /^https?$/, error: 'expected the api\'s public address, e.g. https://bot.example.com' }).optional()),
    CLICK_SIGNING_SECRET: optionalString.pipe(z.string().min(16, 'expected at least 16 characters').optional()),
    BROADCAST_FREQUENCY_CAP_HOURS: z.coerce.number({ error: 'expected hours' }).int().min(0).max(720).default(24),
    // Telegram's free limit is about 30 a second; more only for a Bot API server that allows it (tests, paid broadcasts).
    BROADCAST_RATE_PER_SECOND: z.coerce.number({ error: 'expected messages per second' }).positive().max(1000).default(25),
    BROADCAST_TASK_QUEUE: optionalString,
    TZ_DEFAULT: z
      .string()
      .default('Europe/Moscow')
      .refine(isTimeZone, 'expected an IANA time zone such as Europe/Moscow'),
    RETENTION_DAYS: z.coerce.number({ error: 'expected a number of days' }).int().min(30).max(3650).default(365),
    // Temporal's own worker metrics (Prometheus, served by the SDK's core) and a worker health check.
    WORKER_METRICS_ADDRESS: optionalString.pipe(z.string().regex(/^[\w.-]+:\d{1,5}$/, 'expected host:port, e.g. 0.0.0.0:9464').optional()),
    // A workflow bundle built beforehand from this same code (the test suites build one per run), so a restarted
    // worker skips bundling the workflows again; unset → bundled at every start.
    WORKFLOW_BUNDLE_PATH: optionalString,
    WORKER_HEALTH_PORT: optionalString.pipe(z.string().regex(/^\d{1,5}$/, 'expected a port number').transform(Number).pipe(z.number().int().min(1, 'expected a port number').max(65535, 'expected a port number')).optional()),
    // Conversations a worker keeps in memory (Temporal's sticky cache); the rest are replayed from their history when they next move (docs/configuration.md).
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number({ error: 'expected a number of workflows' }).int().min(2).max(100_000).default(1000),
    // Where `npm start` keeps what its embedded servers store (Temporal's SQLite file, the embedded PostgreSQL).
    DATA_DIR: z.string().min(1).default('data'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((config, ctx) => {
    if (config.PUBLIC_BASE_URL && !config.CLICK_SIGNING_SECRET && !config.TELEGRAM_BOT_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['CLICK_SIGNING_SECRET'],
        message: 'required when PUBLIC_BASE_URL is set in a process without TELEGRAM_BOT_TOKEN (tracked links are signed with it)',
      });
    }
    if ((config.YOOKASSA_SHOP_ID === undefined) !== (config.YOOKASSA_SECRET_KEY === undefined)) {
      const missing = config.YOOKASSA_SHOP_ID === undefined ? 'YOOKASSA_SHOP_ID' : 'YOOKASSA_SECRET_KEY';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'YooKassa needs both YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY (every notification is confirmed through its API)' });
    }
    if (config.TELEGRAM_WEBHOOK_URL && !config.TELEGRAM_WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['TELEGRAM_WEBHOOK_SECRET'],
        message: 'required when TELEGRAM_WEBHOOK_URL is set (Telegram sends it back so forged webhooks can be refused)',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

/** Thrown when the environment is unusable; the message is one line per problem, naming the variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // `FOO=` (a copied .env.example line left empty) is no FOO at all: its default applies.
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const parsed = configSchema.safeParse(set);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const variable = issue.path.join('.') || 'environment';
    return `${variable}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

/** The token is required only by the processes that talk to Telegram. */
export function requireBotToken(config: Config): string {
  if (!config.TELEGRAM_BOT_TOKEN) {
    throw new ConfigError([
      'TELEGRAM_BOT_TOKEN: not set. Create a bot with @BotFather and export TELEGRAM_BOT_TOKEN=<token> ' +
        '(for a local fake Bot API server also set TELEGRAM_API_ROOT)',
    ]);
  }
  return config.TELEGRAM_BOT_TOKEN;
}

/** The database of a process that needs one; only `npm start` and `migrate` run the embedded one when unset. */
export function requireDatabaseUrl(config: Pick<Config, 'DATABASE_URL'>): string {
  if (!config.DATABASE_URL) {
    throw new ConfigError([
      'DATABASE_URL: not set. `npm start` runs an embedded PostgreSQL without it; the worker, bot and api run as ' +
        'separate processes need the address of a shared one, e.g. postgres://user:password@127.0.0.1:5432/sales',
    ]);
  }
  return config.DATABASE_URL;
}

/**
 * Tracked broadcast links (`/c/...` on the api) are signed so click counts cannot be forged. The
 * secret is CLICK_SIGNING_SECRET, or one derived from the bot token, which every process has.
 */
export function clickTracking(config: Config): { publicBaseUrl?: string; secret: string } {
  const secret = config.CLICK_SIGNING_SECRET ?? (config.TELEGRAM_BOT_TOKEN ? createHash('sha256').update(`clicks:${config.TELEGRAM_BOT_TOKEN}`).digest('hex') : '');
  return { publicBaseUrl: config.PUBLIC_BASE_URL, secret };
}

/** Telegram Payments as the payment activities take them; undefined without a provider token. */
export function telegramPaymentSettings(config: Config): TelegramPaymentSettings | undefined {
  if (!config.TELEGRAM_PAYMENT_PROVIDER_TOKEN) return undefined;
  return {
    providerToken: config.TELEGRAM_PAYMENT_PROVIDER_TOKEN,
    currencies: config.TELEGRAM_PAYMENT_CURRENCIES,
    ...(config.TELEGRAM_PAYMENT_RECEIPT && {
      receipt: { vatCode: config.TELEGRAM_PAYMENT_VAT_CODE, ...(config.TELEGRAM_PAYMENT_TAX_SYSTEM_CODE !== undefined && { taxSystemCode: config.TELEGRAM_PAYMENT_TAX_SYSTEM_CODE }) },
    }),
  };
}

/** Every configured secret's value, for the logger to scrub wherever one would appear. */
export function configuredSecrets(config: Config): (string | undefined)[] {
  return [
    config.TELEGRAM_BOT_TOKEN,
    config.TELEGRAM_WEBHOOK_SECRET,
    config.API_TOKEN,
    config.DASHBOARD_TOKEN,
    config.METRICS_TOKEN,
    config.PAYMENT_WEBHOOK_SECRET,
    config.CLOUDPAYMENTS_API_SECRET,
    config.PRODAMUS_SECRET_KEY,
    config.YOOKASSA_SECRET_KEY,
    config.TELEGRAM_PAYMENT_PROVIDER_TOKEN,
    config.CLICK_SIGNING_SECRET,
    config.OPENAI_API_KEY,
    databasePassword(config.DATABASE_URL),
  ];
}

function databasePassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/** The task queue of campaign send batches: BROADCAST_TASK_QUEUE, or the main queue's name with `-broadcast`. */
export function broadcastTaskQueue(config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'BROADCAST_TASK_QUEUE'>): string {
  return config.BROADCAST_TASK_QUEUE ?? `${config.TEMPORAL_TASK_QUEUE}-broadcast`;
}

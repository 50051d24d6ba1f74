import { broadcastTaskQueue, ConfigError, configuredSecrets, loadConfig, requireBotToken, requireDatabaseUrl, telegramPaymentSettings } from '../../config';
import { problemsOf } from '../support/config';

describe('configuration', () => {
  it('has working defaults for a laptop', () => {
    const config = loadConfig({});
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
    expect(config.TELEGRAM_API_ROOT).toBe('https://api.telegram.org');
    expect(config.TZ_DEFAULT).toBe('Europe/Moscow');
    expect(config.BROADCAST_RATE_PER_SECOND).toBe(25);
  });

  it('DATABASE_URL unset means the embedded PostgreSQL, which a separate worker, bot or api cannot share', () => {
    expect(loadConfig({}).DATABASE_URL).toBeUndefined();
    expect(() => requireDatabaseUrl(loadConfig({}))).toThrow(ConfigError);
    expect(() => requireDatabaseUrl(loadConfig({}))).toThrow(/^DATABASE_URL: not set\. `npm start` runs an embedded PostgreSQL/);
    expect(requireDatabaseUrl(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/sales' }))).toBe('postgres://u:p@db:5432/sales');
  });

  it('names each malformed variable in one line', () => {
    const problems = problemsOf({ API_PORT: 'eighty', ADMIN_TELEGRAM_IDS: '1, two', TZ_DEFAULT: 'Mars/Olympus', TELEGRAM_API_ROOT: 'not a url' });
    expect(problems).toHaveLength(4);
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['ADMIN_TELEGRAM_IDS', 'API_PORT', 'TELEGRAM_API_ROOT', 'TZ_DEFAULT']);
    expect(problems.every((p) => !p.includes('\n'))).toBe(true);
  });

  it('broadcasts: the send queue follows the main one unless named; the rate must be a positive number up to 1000', () => {
    expect(broadcastTaskQueue(loadConfig({ TEMPORAL_TASK_QUEUE: 'school' }))).toBe('school-broadcast');
    expect(broadcastTaskQueue(loadConfig({ TEMPORAL_TASK_QUEUE: 'school', BROADCAST_TASK_QUEUE: 'school-campaigns' }))).toBe('school-campaigns');
    expect(loadConfig({ BROADCAST_RATE_PER_SECOND: '29' }).BROADCAST_RATE_PER_SECOND).toBe(29);
    expect(problemsOf({ BROADCAST_RATE_PER_SECOND: '0' })).toEqual([expect.stringMatching(/^BROADCAST_RATE_PER_SECOND: /)]);
    expect(problemsOf({ BROADCAST_RATE_PER_SECOND: '5000' })).toEqual([expect.stringMatching(/^BROADCAST_RATE_PER_SECOND: /)]);
    expect(problemsOf({ BROADCAST_RATE_PER_SECOND: 'fast' })).toEqual([expect.stringMatching(/^BROADCAST_RATE_PER_SECOND: /)]);
  });

  it('TRUST_PROXY: a number of proxies or their addresses; never "true", which would let clients name their own address', () => {
    expect(loadConfig({}).TRUST_PROXY).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 10.0.0.0/8, ::1' }).TRUST_PROXY).toEqual(['10.0.0.1', '10.0.0.0/8', '::1']);
    for (const bad of ['true', '0', '11', '10.0.0.0/33', 'proxy.example.com', '10.0.0.1/8/2']) {
      expect(problemsOf({ TRUST_PROXY: bad })).toEqual([expect.stringMatching(/^TRUST_PROXY: expected the number of proxies/)]);
    }
  });

  it('a short API_TOKEN is refused; a long one is kept', () => {
    expect(problemsOf({ API_TOKEN: 'secret' })).toEqual(['API_TOKEN: expected at least 16 characters (it guards every analytics figure and export)']);
    expect(loadConfig({ API_TOKEN: 'a-long-enough-analytics-token' }).API_TOKEN).toBe('a-long-enough-analytics-token');
  });

  it('a short PAYMENT_WEBHOOK_SECRET, DASHBOARD_TOKEN or METRICS_TOKEN is refused; long ones are kept', () => {
    expect(problemsOf({ PAYMENT_WEBHOOK_SECRET: 'provider-secret' })).toEqual(['PAYMENT_WEBHOOK_SECRET: expected at least 16 characters (it is all that proves a payment came from the provider)']);
    expect(problemsOf({ DASHBOARD_TOKEN: 'short', METRICS_TOKEN: 'short' })).toEqual([
      'DASHBOARD_TOKEN: expected at least 16 characters (it reads every analytics figure and export)',
      'METRICS_TOKEN: expected at least 16 characters',
    ]);
    const config = loadConfig({ PAYMENT_WEBHOOK_SECRET: 'a-long-provider-secret', DASHBOARD_TOKEN: 'a-long-dashboard-token', METRICS_TOKEN: 'a-long-metrics-token' });
    expect([config.PAYMENT_WEBHOOK_SECRET, config.DASHBOARD_TOKEN, config.METRICS_TOKEN]).toEqual(['a-long-provider-secret', 'a-long-dashboard-token', 'a-long-metrics-token']);
  });

  it('payment providers: each route only with its secret; malformed settings are refused at start; YooKassa needs its shop id and key together', () => {
    const none = loadConfig({});
    expect([none.CLOUDPAYMENTS_API_SECRET, none.PRODAMUS_SECRET_KEY, none.YOOKASSA_SHOP_ID, none.YOOKASSA_SECRET_KEY]).toEqual([undefined, undefined, undefined, undefined]);
    expect([none.YOOKASSA_API_BASE, none.YOOKASSA_CHECK_IP]).toEqual(['https://api.yookassa.ru/v3', true]);
    expect(problemsOf({ CLOUDPAYMENTS_API_SECRET: 'short', PRODAMUS_SECRET_KEY: 'has spaces in the middle of it' }).map((p) => p.split(':')[0])).toEqual([
      'CLOUDPAYMENTS_API_SECRET',
      'PRODAMUS_SECRET_KEY',
    ]);
    expect(problemsOf({ YOOKASSA_SHOP_ID: '506751' })).toEqual([expect.stringMatching(/^YOOKASSA_SECRET_KEY: YooKassa needs both/)]);
    expect(problemsOf({ YOOKASSA_SECRET_KEY: 'live_0123456789abcdef' })).toEqual([expect.stringMatching(/^YOOKASSA_SHOP_ID: YooKassa needs both/)]);
    expect(problemsOf({ YOOKASSA_SHOP_ID: 'shop-1', YOOKASSA_SECRET_KEY: 'password123' }).map((p) => p.split(':')[0])).toEqual(['YOOKASSA_SHOP_ID', 'YOOKASSA_SECRET_KEY']);
    expect(problemsOf({ YOOKASSA_CHECK_IP: 'maybe' }).map((p) => p.split(':')[0])).toEqual(['YOOKASSA_CHECK_IP']);
    expect(problemsOf({ YOOKASSA_API_BASE: 'ftp://api.yookassa.ru' }).map((p) => p.split(':')[0])).toEqual(['YOOKASSA_API_BASE']);
    const config = loadConfig({
      CLOUDPAYMENTS_API_SECRET: '0123456789abcdef0123456789abcdef',
      PRODAMUS_SECRET_KEY: 'a6f1e0b9c2d34e5f8a7b6c5d4e3f2a1b',
      YOOKASSA_SHOP_ID: '506751',
      YOOKASSA_SECRET_KEY: 'live_0123456789abcdef',
      YOOKASSA_CHECK_IP: 'off',
    });
    expect([config.YOOKASSA_SHOP_ID, config.YOOKASSA_SECRET_KEY, config.YOOKASSA_CHECK_IP]).toEqual(['506751', 'live_0123456789abcdef', false]);
  });

  it('Telegram Payments: off without a provider token; the token, currencies, receipt and codes are checked at start', () => {
    expect(telegramPaymentSettings(loadConfig({}))).toBeUndefined();
    expect(telegramPaymentSettings(loadConfig({ TELEGRAM_PAYMENT_PROVIDER_TOKEN: '381764678:TEST:100037' }))).toEqual({ providerToken: '381764678:TEST:100037', currencies: ['RUB'] });
    expect(
      telegramPaymentSettings(
        loadConfig({ TELEGRAM_PAYMENT_PROVIDER_TOKEN: '381764678:LIVE:abc', TELEGRAM_PAYMENT_CURRENCIES: 'rub, kzt', TELEGRAM_PAYMENT_RECEIPT: 'on', TELEGRAM_PAYMENT_VAT_CODE: '4', TELEGRAM_PAYMENT_TAX_SYSTEM_CODE: '2' }),
      ),
    ).toEqual({ providerToken: '381764678:LIVE:abc', currencies: ['RUB', 'KZT'], receipt: { vatCode: 4, taxSystemCode: 2 } });
    expect(
      problemsOf({ TELEGRAM_PAYMENT_PROVIDER_TOKEN: 'sk_live_123', TELEGRAM_PAYMENT_CURRENCIES: 'RUB,XTR', TELEGRAM_PAYMENT_RECEIPT: 'yes', TELEGRAM_PAYMENT_VAT_CODE: '7', TELEGRAM_PAYMENT_TAX_SYSTEM_CODE: '0' }).map((p) => p.split(':')[0]),
    ).toEqual(['TELEGRAM_PAYMENT_PROVIDER_TOKEN', 'TELEGRAM_PAYMENT_CURRENCIES', 'TELEGRAM_PAYMENT_RECEIPT', 'TELEGRAM_PAYMENT_VAT_CODE', 'TELEGRAM_PAYMENT_TAX_SYSTEM_CODE']);
    expect(configuredSecrets(loadConfig({ TELEGRAM_PAYMENT_PROVIDER_TOKEN: '381764678:TEST:100037' }))).toContain('381764678:TEST:100037');
  });

  it('a webhook needs its secret', () => {
    expect(problemsOf({ TELEGRAM_WEBHOOK_URL: 'https://bot.example.com' })).toEqual([expect.stringMatching(/^TELEGRAM_WEBHOOK_SECRET: required/)]);
    expect(problemsOf({ TELEGRAM_WEBHOOK_URL: 'https://bot.example.com', TELEGRAM_WEBHOOK_SECRET: 'short' })).toEqual([
      expect.stringMatching(/^TELEGRAM_WEBHOOK_SECRET: expected 16-256 characters/),
    ]);
    expect(loadConfig({ TELEGRAM_WEBHOOK_URL: 'https://bot.example.com', TELEGRAM_WEBHOOK_SECRET: 'a-long-webhook-secret' }).TELEGRAM_WEBHOOK_SECRET).toBe('a-long-webhook-secret');
  });

  it('parses lists and treats empty values as unset', () => {
    const config = loadConfig({ ADMIN_TELEGRAM_IDS: '11, 22', MANAGERS_CHAT_ID: '-1001234', OPENAI_API_KEY: '' });
    expect(config.ADMIN_TELEGRAM_IDS).toEqual([11, 22]);
    expect(config.MANAGERS_CHAT_ID).toBe(-1001234);
    expect(config.OPENAI_API_KEY).toBeUndefined();
  });

  it('says plainly that the bot token is missing, and refuses a malformed one', () => {
    expect(() => requireBotToken(loadConfig({}))).toThrow(/^TELEGRAM_BOT_TOKEN: not set/);
    expect(problemsOf({ TELEGRAM_BOT_TOKEN: 'oops' })[0]).toMatch(/^TELEGRAM_BOT_TOKEN: expected a bot token/);
  });
});

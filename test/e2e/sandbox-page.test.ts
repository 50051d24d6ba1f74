import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Db } from '../../db/knex';
import { freePort, startDevServer, type DevServer } from '../../scripts/dev-server';
import { temporalCliPath } from '../../scripts/temporal-binaries';
import { SANDBOX_MANAGER, SANDBOX_MANAGERS_CHAT } from '../../sandbox/sandbox-world';
import { ownDatabase } from '../support/own-database';
import { startApp, waitForHttp, type AppProcess } from '../support/processes';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it when missing). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// UPDATE_SCREENSHOTS=1 writes the screenshots over the README's tour (docs/images); otherwise they are
// test artifacts, so an ordinary run never changes a tracked file.
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(__dirname, '..', '..', 'docs', 'images') : join(__dirname, '..', 'artifacts');
// Every wait is on something the page shows; these bound them on a loaded machine.
const STEP_MS = 60_000;
jest.setTimeout(420_000);

let devServer: DevServer;
let db: Db;
let app: AppProcess | undefined;
let browser: Browser;
let page: Page;
let base: string;
const problems: string[] = [];

beforeAll(async () => {
  devServer = await startDevServer({ cliPath: temporalCliPath() });
  const own = await ownDatabase('sandbox_page');
  db = own.db;
  const apiPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'sandbox-page-'));
  chmodSync(dataDir, 0o755);
  // `npm start` as a newcomer runs it: no token, so the sandbox (SANDBOX=1 in case the shell has one).
  app = startApp(['start'], {
    TELEGRAM_BOT_TOKEN: '',
    SANDBOX: '1',
    ADMIN_TELEGRAM_IDS: '',
    MANAGERS_CHAT_ID: '',
    TEMPORAL_ADDRESS: devServer.address,
    TEMPORAL_TASK_QUEUE: `sandbox-page-${Date.now()}`,
    DATABASE_URL: own.url,
    DATA_DIR: dataDir,
    API_PORT: String(apiPort),
    LOG_LEVEL: 'warn',
    OPENAI_API_KEY: '', // the scripted scenario, never a real model
  });
  base = `http://127.0.0.1:${apiPort}`;
  await waitForHttp(`${base}/health`, app, 180_000);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // A script error or a blocked resource (the page must need nothing from outside) fails the test.
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('requestfailed', (request) => {
    // The event stream is cut when the page goes away; anything else failing is a problem.
    if (!request.url().endsWith('/sandbox/api/events')) problems.push(`request failed: ${request.url()}`);
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(base)) problems.push(`external request: ${request.url()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  const code = await app?.terminate();
  if (code !== 0 && app) console.warn(`sandbox process exited with ${code}:\n${app.output().slice(-3000)}`);
  await Promise.all([devServer?.stop(), db?.destroy()]);
});

/** The last message in the open chat that shows `text`. */
const messageWith = (text: string) => page.locator('[data-message]', { hasText: text }).last();

/** Waits for a message showing `text`; on timeout the error lists what the chat shows. */
async function seen(text: string): Promise<void> {
  try {
    await messageWith(text).waitFor({ timeout: STEP_MS });
  } catch (error) {
    const shown = await page.locator('[data-message]').allInnerTexts();
    throw new Error(`${String(error)}\nthe chat shows:\n${shown.map((t) => `  | ${t.replace(/\n/g, ' ⏎ ')}`).join('\n')}`);
  }
}
const lastMessage = () => page.locator('[data-message]').last();

/**
 * A person's pace: the anti-spam guard mutes anyone with 8 updates in 10 seconds (domain/anti-spam.ts),
 * presses included, and a script clicks faster than that. Not a wait for anything to happen: a floor
 * under the time between two actions, which a slower machine only lengthens.
 */
let lastAction = 0;
async function humanPace(): Promise<void> {
  const due = lastAction + 1500 - Date.now();
  if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
  lastAction = Date.now();
}

async function press(button: string, inMessage = lastMessage()): Promise<void> {
  const target = inMessage.locator(`[data-button="${button}"]`);
  await target.waitFor({ timeout: STEP_MS });
  await humanPace();
  await target.click();
}

async function say(text: string): Promise<void> {
  await humanPace();
  await page.fill('#text', text);
  await page.click('#composer button[type="submit"]');
  await messageWith(text).waitFor({ timeout: STEP_MS });
}

async function actAs(userId: number, chatId: number = userId): Promise<void> {
  await page.selectOption('#act-as', String(userId));
  await page.locator(`[data-chat="${chatId}"]`).click();
  await page.locator(`[data-chat="${chatId}"].current`).waitFor({ timeout: STEP_MS });
}

async function screenshot(name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `sandbox-${name}.png`) });
}

describe('the sandbox: the real bot against a Telegram of its own, in the browser', () => {
  it('the owner opens /admin; a lead walks /start → bonus → survey → result card and asks for a manager; the manager takes the dialog and replies; the lead reads the reply', async () => {
    await page.goto(`${base}/sandbox`);
    // The first visitor is the owner: the staff panel answers them in their private chat.
    await page.locator('#act-as option:checked', { hasText: 'owner' }).waitFor({ state: 'attached', timeout: STEP_MS });
    await say('/admin');
    await seen('🛠 Панель управления (ваша роль: owner)');
    await screenshot('owner-admin-panel');

    // A new lead.
    await page.click('#new-user summary');
    await page.fill('#new-user-form input[name="first_name"]', 'Ivan');
    await page.fill('#new-user-form input[name="username"]', 'ivan_sandbox');
    await page.click('#new-user-form button[type="submit"]');
    await page.locator('#act-as option:checked', { hasText: 'Ivan' }).waitFor({ state: 'attached', timeout: STEP_MS });
    const leadId = Number(await page.locator('#act-as').inputValue());
    await page.locator('#workflow code', { hasText: `lead-${leadId}` }).waitFor({ timeout: STEP_MS });

    await say('/start');
    await press('🎁 Получить бонус', messageWith('Здравствуйте, Ivan!'));
    await page.locator('[data-document="bonus.pdf"]').waitFor({ timeout: STEP_MS });
    const pdf = await page.request.get(`${base}${await page.locator('[data-document="bonus.pdf"]').getAttribute('href')}`);
    expect(pdf.status()).toBe(200);
    expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');

    await press('💼 Хочу управлять капиталом', messageWith('Скажите честно'));
    await press('📝 Пройти опрос (5 вопросов)', messageWith('короткий опрос'));
    for (let question = 1; question <= 5; question++) {
      const asked = messageWith(`Вопрос ${question}/5`);
      await seen(`Вопрос ${question}/5`);
      await humanPace();
      await asked.locator('[data-button]').first().click();
    }
    await seen('📋 Ваш профиль');
    await screenshot('lead-result-card');

    await say('позовите менеджера');
    await seen('Передал ваш запрос менеджеру');

    // The manager, in the managers' chat: the lead's card, Take.
    await actAs(SANDBOX_MANAGER.id, SANDBOX_MANAGERS_CHAT.id);
    const card = messageWith(`(id ${leadId})`);
    await seen(`(id ${leadId})`);
    await screenshot('managers-chat-card');
    await press('🙋 Взять', card);

    // In private with the bot, the manager holds the lead and writes to them.
    await actAs(SANDBOX_MANAGER.id);
    await seen('✅ Вы взяли лида');
    await say('Здравствуйте, Иван! Я Мария, помогу выбрать программу.');

    await actAs(leadId);
    await seen('Я Мария, помогу выбрать программу');
    expect(await messageWith('Я Мария, помогу выбрать программу').getAttribute('data-from')).toBe('bot');
    await screenshot('lead-reads-reply');
    expect(problems).toEqual([]);
  });
});

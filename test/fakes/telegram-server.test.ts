import { Api, Bot, GrammyError, HttpError, InputFile } from 'grammy';
import { FloodControl } from './flood-control';
import { FakeTelegramServer } from './telegram-server';

const TOKEN = '123456:TEST-token';
const USER = { id: 42, first_name: 'Anna', username: 'anna' };

let fake: FakeTelegramServer;
let api: Api;

beforeEach(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  api = new Api(TOKEN, { apiRoot: fake.apiRoot });
});

afterEach(() => fake.stop());

/** The GrammyError an API call fails with (fails the test if it succeeds). */
async function grammyError(call: Promise<unknown>): Promise<GrammyError> {
  const error: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GrammyError)) throw new Error(`expected a GrammyError, got ${String(error)}`);
  return error;
}

/** Why an API call failed on the wire (fails the test if it succeeds or Telegram answered). */
async function networkCause(call: Promise<unknown>): Promise<string> {
  const error: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof HttpError)) throw new Error(`expected an HttpError, got ${String(error)}`);
  return String(error.error);
}

describe('FakeTelegramServer', () => {
  it('answers sendMessage with a Message and records the call', async () => {
    const keyboard = { inline_keyboard: [[{ text: 'Buy', callback_data: 'buy:1' }]] };
    const first = await api.sendMessage(USER.id, 'Hello', { reply_markup: keyboard });
    const second = await api.sendMessage(USER.id, 'Again');

    expect(first).toMatchObject({
      message_id: 1,
      chat: { id: USER.id, type: 'private' },
      from: { is_bot: true, id: 123456 },
      text: 'Hello',
      reply_markup: keyboard,
    });
    expect(second.message_id).toBe(2);
    expect(fake.callsTo('sendMessage', USER.id).map((c) => c.params.text)).toEqual(['Hello', 'Again']);
    expect(fake.callsTo('sendMessage', 7)).toEqual([]);
    expect(await api.getMe()).toMatchObject({ id: 123456, is_bot: true, username: 'test_bot' });
  });

  it('injects a 429 with retry_after, then succeeds', async () => {
    fake.failNext('sendMessage', { code: 429, retryAfter: 3 });

    const error = await grammyError(api.sendMessage(USER.id, 'Hi'));
    expect(error.error_code).toBe(429);
    expect(error.description).toBe('Too Many Requests: retry after 3');
    expect(error.parameters.retry_after).toBe(3);
    await expect(api.sendMessage(USER.id, 'Hi')).resolves.toMatchObject({ message_id: 1 });
    expect(fake.calls.map((c) => c.error?.error_code)).toEqual([429, undefined]);
    expect(fake.calls[0].params.text).toBe('Hi');
  });

  it('a fault injector decides per call: an error answer, a processed call never answered, or one reset', async () => {
    const faults = ['no-answer', 'reset-after', { code: 500 }] as const;
    let next = 0;
    fake.setFaultInjector(({ method }) => (method === 'sendMessage' ? faults[next++] : undefined));
    const quick = new Api(TOKEN, { apiRoot: fake.apiRoot, timeoutSeconds: 1 });

    expect(await networkCause(quick.sendMessage(USER.id, 'Unanswered'))).toMatch(/timed out|abort/i);
    expect(await networkCause(quick.sendMessage(USER.id, 'Reset'))).toMatch(/ECONNRESET|socket hang up/i);
    expect((await grammyError(quick.sendMessage(USER.id, 'Refused'))).error_code).toBe(500);
    await expect(quick.sendMessage(USER.id, 'Through')).resolves.toMatchObject({ text: 'Through' });
    // The unanswered and the reset ones are in the chat all the same; the refused one is not.
    expect(fake.chatMessages(USER.id).map((m) => m.text)).toEqual(['Unanswered', 'Reset', 'Through']);
    expect(fake.calls.map((c) => c.fault ?? c.error?.error_code ?? 'ok')).toEqual(['no-answer', 'reset-after', 500, 'ok']);
    fake.setFaultInjector();
  });

  it('refuses connections for a while, then listens again on the same port', async () => {
    const down = fake.refuseConnectionsFor(500);
    expect(await networkCause(api.getMe())).toMatch(/ECONNREFUSED/);
    await down;
    await expect(api.getMe()).resolves.toMatchObject({ id: 123456 });
  });

  it('answers 403 for a user who blocked the bot', async () => {
    fake.blockUser(USER.id);
    const error = await grammyError(api.sendMessage(USER.id, 'Hi'));
    expect(error.error_code).toBe(403);
    expect(error.description).toBe('Forbidden: bot was blocked by the user');
    expect(fake.callsTo('sendMessage')).toEqual([]);
  });

  it('validates texts like Telegram', async () => {
    await expect(api.sendMessage(USER.id, 'x'.repeat(4096))).resolves.toBeDefined();
    const tooLong = await grammyError(api.sendMessage(USER.id, 'x'.repeat(4097)));
    expect(tooLong.error_code).toBe(400);
    expect(tooLong.description).toBe('Bad Request: message is too long');
    expect((await grammyError(api.sendMessage(USER.id, '  '))).description).toBe('Bad Request: message text is empty');
    const sent = await api.sendMessage(USER.id, 'Same');
    const notModified = await grammyError(api.editMessageText(USER.id, sent.message_id, 'Same'));
    expect(notModified.description).toMatch(/^Bad Request: message is not modified/);
  });

  it('records a multipart document upload and rejects oversized callback_data', async () => {
    const file = new InputFile(Buffer.from('%PDF-1.4 fake'), 'price list.pdf');
    const sent = await api.sendDocument(USER.id, file, { caption: 'Prices' });

    const [call] = fake.callsTo('sendDocument', USER.id);
    expect(call.files.document).toEqual({ filename: 'price list.pdf', size: 13 });
    expect(call.params).toMatchObject({ chat_id: USER.id, caption: 'Prices' });
    expect(sent.document).toMatchObject({ file_id: 'doc-1', file_name: 'price list.pdf', file_size: 13 });
    const again = await api.sendDocument(USER.id, 'doc-1');
    expect(again.document?.file_id).toBe('doc-1');

    const tooLong = { inline_keyboard: [[{ text: 'Pay', callback_data: 'x'.repeat(65) }]] };
    const error = await grammyError(api.sendMessage(USER.id, 'Pay?', { reply_markup: tooLong }));
    expect(error.description).toBe('Bad Request: BUTTON_DATA_INVALID');
    expect(fake.calls.at(-1)?.params.reply_markup).toEqual(tooLong);
  });

  it('serves a file a user sent: getFile names its path, the file route its bytes; an unknown file_id or token is refused', async () => {
    const document = fake.addUserFile('sheet.csv', 'key,title\nа,Б\n');
    const file = await api.getFile(document.file_id);
    expect(file).toMatchObject({ file_id: document.file_id, file_size: document.file_size, file_path: expect.stringMatching(/\.csv$/) });
    const response = await fetch(`${fake.apiRoot}/file/bot${TOKEN}/${file.file_path}`);
    expect(await response.text()).toBe('key,title\nа,Б\n');
    expect((await fetch(`${fake.apiRoot}/file/bot123456:wrong/${file.file_path}`)).status).toBe(404);
    expect((await grammyError(api.getFile('no-such-file'))).description).toBe('Bad Request: invalid file_id');
  });

  it('answers 401 for a wrong token and 404 for an unknown method', async () => {
    expect((await grammyError(new Api('999:wrong', { apiRoot: fake.apiRoot }).getMe())).error_code).toBe(401);
    const response = await fetch(`${fake.apiRoot}/bot${TOKEN}/sendTelepathy`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ ok: false, error_code: 404, description: 'Not Found' });
  });

  it('long-polls getUpdates, wakes on a pushed update and drops confirmed ones', async () => {
    const started = Date.now();
    const poll = api.getUpdates({ timeout: 5 });
    setTimeout(() => fake.pushText(USER, '/start promo_1'), 50);
    const [update] = await poll;

    expect(Date.now() - started).toBeLessThan(2000);
    expect(update.message).toMatchObject({
      text: '/start promo_1',
      from: { id: USER.id, is_bot: false, first_name: 'Anna' },
      chat: { id: USER.id, type: 'private' },
      entities: [{ type: 'bot_command', offset: 0, length: 6 }],
    });
    // Unconfirmed updates come again; confirming by offset drops them.
    expect((await api.getUpdates({ timeout: 0 })).map((u) => u.update_id)).toEqual([update.update_id]);
    expect(await api.getUpdates({ offset: update.update_id + 1, timeout: 0 })).toEqual([]);
  });

  it('redelivers an already confirmed update', async () => {
    const id = fake.pushCallback(USER, 'buy:1', { message_id: 5 });
    await api.getUpdates({ offset: id + 1, timeout: 0 });
    fake.redeliver(id);

    const [again] = await api.getUpdates({ offset: id + 1, timeout: 0 });
    expect(again.update_id).toBe(id);
    expect(again.callback_query).toMatchObject({ data: 'buy:1', message: { message_id: 5, chat: { id: USER.id } } });
    expect(await api.getUpdates({ offset: id + 1, timeout: 0 })).toEqual([]);
  });

  it('ends a pending long poll with [] on stop', async () => {
    const poll = api.getUpdates({ timeout: 30 });
    await fake.waitFor(() => fake.calls.some((c) => c.method === 'getUpdates'));
    await fake.stop();
    await expect(poll).resolves.toEqual([]);
  });

  it('serves a grammY Bot with long polling', async () => {
    const bot = new Bot(TOKEN, { client: { apiRoot: fake.apiRoot } });
    bot.command('start', (ctx) => ctx.reply(`welcome ${ctx.match}`));
    bot.on('callback_query:data', (ctx) => ctx.answerCallbackQuery('ok'));
    const running = bot.start();

    fake.pushText(USER, '/start promo_1');
    fake.pushCallback(USER, 'buy:1', { message_id: 1 });
    await fake.waitFor(
      () => fake.callsTo('sendMessage', USER.id).length === 1 && fake.callsTo('answerCallbackQuery').length === 1,
    );
    await bot.stop();
    await running;

    expect(fake.callsTo('sendMessage', USER.id)[0].params.text).toBe('welcome promo_1');
    // bot.stop() confirms what it handled, so nothing is delivered again.
    expect(await api.getUpdates({ offset: 0, timeout: 0 })).toEqual([]);
    // Answering the same callback query twice is refused.
    const queryId = String(fake.callsTo('answerCallbackQuery')[0].params.callback_query_id);
    const twice = await grammyError(api.answerCallbackQuery(queryId));
    expect(twice.error_code).toBe(400);
  });

  describe('payments (Telegram Stars)', () => {
    it('sends a Stars invoice and refuses one with a provider token, several prices or no title', async () => {
      const sent = await api.sendInvoice(USER.id, 'Course', 'Access to the course', 'order:1', 'XTR', [{ label: 'Course', amount: 500 }]);
      expect(sent.invoice).toMatchObject({ title: 'Course', currency: 'XTR', total_amount: 500 });
      const withToken = await grammyError(api.sendInvoice(USER.id, 'Course', 'd', 'order:1', 'XTR', [{ label: 'C', amount: 5 }], { provider_token: 'tok' }));
      expect(withToken.description).toBe('Bad Request: PROVIDER_TOKEN_INVALID');
      const twoPrices = await grammyError(api.sendInvoice(USER.id, 'Course', 'd', 'order:1', 'XTR', [{ label: 'A', amount: 5 }, { label: 'B', amount: 5 }]));
      expect(twoPrices.description).toBe('Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID');
      expect((await grammyError(api.sendInvoice(USER.id, '', 'd', 'order:1', 'XTR', [{ label: 'C', amount: 5 }]))).description).toBe('Bad Request: INVOICE_TITLE_INVALID');
    });

    it('accepts one answer per pre-checkout query; a refusal needs an error message', async () => {
      const { queryId } = fake.pushPreCheckout(USER, { payload: 'order:1', total_amount: 500 });
      expect((await grammyError(api.answerPreCheckoutQuery(queryId, false))).description).toBe('Bad Request: ERROR_MESSAGE_EMPTY');
      expect(await api.answerPreCheckoutQuery(queryId, true)).toBe(true);
      expect((await grammyError(api.answerPreCheckoutQuery(queryId, true))).error_code).toBe(400);
      expect((await grammyError(api.answerPreCheckoutQuery('never-sent', true))).error_code).toBe(400);
    });

    it('refunds a Stars charge once, only to the user who paid it', async () => {
      const { chargeId, updateId } = fake.pushSuccessfulPayment(USER, { payload: 'order:1', total_amount: 500 });
      const [update] = await api.getUpdates({ offset: updateId, timeout: 0 });
      expect(update.message?.successful_payment).toMatchObject({ telegram_payment_charge_id: chargeId, total_amount: 500, currency: 'XTR' });
      expect((await grammyError(api.refundStarPayment(USER.id + 1, chargeId))).description).toBe('Bad Request: CHARGE_NOT_FOUND');
      expect((await grammyError(api.refundStarPayment(USER.id, 'unknown-charge'))).description).toBe('Bad Request: CHARGE_NOT_FOUND');
      expect(await api.refundStarPayment(USER.id, chargeId)).toBe(true);
      expect((await grammyError(api.refundStarPayment(USER.id, chargeId))).description).toBe('Bad Request: CHARGE_ALREADY_REFUNDED');
    });
  });

  describe('payments (Telegram Payments with a provider token)', () => {
    const PROVIDER = '381764678:TEST:100037';
    const rub = (amount: number) => [{ label: 'Курс', amount }];

    it('sends a rouble invoice only with a provider token, a known currency, prices in kopecks within the limits and JSON provider data', async () => {
      const sent = await api.sendInvoice(USER.id, 'Курс', 'Доступ', 'order:7', 'RUB', rub(490_000), {
        provider_token: PROVIDER,
        need_email: true,
        send_email_to_provider: true,
        provider_data: JSON.stringify({ receipt: { items: [] } }),
      });
      expect(sent.invoice).toMatchObject({ currency: 'RUB', total_amount: 490_000 });
      const refused = async (...args: Parameters<typeof api.sendInvoice>) => (await grammyError(api.sendInvoice(...args))).description;
      expect(await refused(USER.id, 'Курс', 'Доступ', 'order:7', 'RUB', rub(490_000))).toBe('Bad Request: PAYMENT_PROVIDER_INVALID');
      expect(await refused(USER.id, 'Курс', 'Доступ', 'order:7', 'RUB', rub(490_000), { provider_token: 'not-a-token' })).toBe('Bad Request: PAYMENT_PROVIDER_INVALID');
      expect(await refused(USER.id, 'Курс', 'Доступ', 'order:7', 'ZZZ', rub(490_000), { provider_token: PROVIDER })).toBe('Bad Request: CURRENCY_INVALID');
      // 4 900.00 in roubles instead of kopecks, a fraction, too much.
      expect(await refused(USER.id, 'Курс', 'Доступ', 'order:7', 'RUB', rub(4_900), { provider_token: PROVIDER })).toBe('Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID');
      expect(await refused(USER.id, 'Курс', 'Доступ', 'order:7', 'RUB', rub(4_900.5), { provider_token: PROVIDER })).toBe('Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID');
      expect(await refused(USER.id, 'Курс', 'Доступ', 'order:7', 'RUB', rub(1_000_000_000), { provider_token: PROVIDER })).toBe('Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID');
      expect(await refused(USER.id, 'Курс', 'Доступ', '', 'RUB', rub(490_000), { provider_token: PROVIDER })).toBe('Bad Request: INVOICE_PAYLOAD_INVALID');
      expect(await refused(USER.id, 'Курс', 'Доступ', 'я'.repeat(65), 'RUB', rub(490_000), { provider_token: PROVIDER })).toBe('Bad Request: INVOICE_PAYLOAD_INVALID');
      expect(await refused(USER.id, 'Курс', 'Доступ', 'order:7', 'RUB', rub(490_000), { provider_token: PROVIDER, provider_data: '{receipt' })).toBe('Bad Request: DATA_JSON_INVALID');
    });

    it('takes only the tokens connected to the bot when told which', async () => {
      const strict = await FakeTelegramServer.start({ token: TOKEN, paymentProviderTokens: [PROVIDER] });
      try {
        const strictApi = new Api(TOKEN, { apiRoot: strict.apiRoot });
        await strictApi.sendInvoice(USER.id, 'Курс', 'Доступ', 'order:7', 'RUB', rub(490_000), { provider_token: PROVIDER });
        const other = await grammyError(strictApi.sendInvoice(USER.id, 'Курс', 'Доступ', 'order:7', 'RUB', rub(490_000), { provider_token: '381764678:LIVE:other' }));
        expect(other.description).toBe('Bad Request: PAYMENT_PROVIDER_INVALID');
      } finally {
        await strict.stop();
      }
    });

    it('simulates the payment with both charge ids and the e-mail asked for; the Bot API cannot refund it', async () => {
      const { chargeId, providerChargeId, updateId } = fake.pushSuccessfulPayment(USER, { payload: 'order:7', total_amount: 490_000, currency: 'RUB', providerChargeId: 'yk-1', email: 'a@example.com' });
      expect(providerChargeId).toBe('yk-1');
      const [update] = await api.getUpdates({ offset: updateId, timeout: 0 });
      expect(update.message?.successful_payment).toMatchObject({
        currency: 'RUB',
        total_amount: 490_000,
        telegram_payment_charge_id: chargeId,
        provider_payment_charge_id: 'yk-1',
        order_info: { email: 'a@example.com' },
      });
      expect((await grammyError(api.refundStarPayment(USER.id, chargeId))).description).toBe('Bad Request: CHARGE_NOT_FOUND');
      const { queryId, updateId: checkId } = fake.pushPreCheckout(USER, { payload: 'order:7', total_amount: 490_000, currency: 'RUB', email: 'a@example.com' });
      const [check] = await api.getUpdates({ offset: checkId, timeout: 0 });
      expect(check.pre_checkout_query).toMatchObject({ id: queryId, currency: 'RUB', total_amount: 490_000, order_info: { email: 'a@example.com' } });
    });
  });
});

describe('flood control (a global send limit like Telegram’s)', () => {
  it('takes 30 messages in any sliding second; the next gets 429, and every 429 within 5 s doubles the wait', () => {
    const flood = new FloodControl({ messagesPerSecond: 30 });
    for (let i = 0; i < 30; i++) expect(flood.admit(1000 + i)).toEqual({ allowed: true });
    expect(flood.admit(1100)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    // Pushing on during the wait: 2, then 4 seconds, each from the time of the 429.
    expect(flood.admit(1500)).toEqual({ allowed: false, retryAfterSeconds: 2 });
    expect(flood.admit(1600)).toEqual({ allowed: false, retryAfterSeconds: 4 });
    // Waited the last retry_after out (the window has long emptied): allowed again.
    expect(flood.admit(5600)).toEqual({ allowed: true });
  });

  it('forgets 429s older than its memory, and a sender at 29 a second is never refused', () => {
    const flood = new FloodControl({ messagesPerSecond: 30 });
    for (let i = 0; i < 31; i++) flood.admit(i);
    expect(flood.admit(20_000)).toEqual({ allowed: true });
    for (let i = 0; i < 29; i++) flood.admit(20_001);
    // Full again: the old 429s are forgotten, so the wait starts at 1 second once more.
    expect(flood.admit(20_002)).toEqual({ allowed: false, retryAfterSeconds: 1 });

    const paced = new FloodControl({ messagesPerSecond: 30 });
    const refused = Array.from({ length: 2900 }, (_, i) => paced.admit(Math.round((i * 1000) / 29))).filter((v) => !v.allowed);
    expect(refused).toEqual([]);
  });

  it('answers 429 with parameters.retry_after over the limit, and counts what each chat received', async () => {
    await fake.stop();
    fake = await FakeTelegramServer.start({ token: TOKEN, floodControl: { messagesPerSecond: 5 } });
    api = new Api(TOKEN, { apiRoot: fake.apiRoot });
    fake.blockUser(7);
    for (let i = 0; i < 4; i++) await api.sendMessage(USER.id, `m${i}`);
    await expect(api.sendMessage(7, 'blocked')).rejects.toMatchObject({ error_code: 403 }); // the fifth in the window
    const refused = await grammyError(api.sendMessage(USER.id, 'one too many'));
    expect(refused).toMatchObject({ error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
    const again = await grammyError(api.sendPhoto(8, 'photo-1'));
    expect(again.parameters.retry_after).toBe(2);
    expect(fake.tooManyRequests).toBe(2);
    expect(fake.deliveredTo(USER.id)).toBe(4);
    expect(fake.deliveredTo(7)).toBe(0);
    expect(fake.deliveredTo(8)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await api.sendPhoto(8, 'photo-1');
    expect([...fake.deliveries()]).toEqual([[USER.id, 4], [8, 1]]);
  });
});

describe('FakeTelegramServer command menus', () => {
  it('keeps a menu per scope and language, resolves what a private chat sees, and deletes like Telegram', async () => {
    await api.setMyCommands([{ command: 'start', description: 'Начать' }], { scope: { type: 'all_private_chats' } });
    await api.setMyCommands([{ command: 'start', description: 'Start' }, { command: 'help', description: 'Help' }], { scope: { type: 'all_private_chats' }, language_code: 'en' });
    await api.setMyCommands([{ command: 'staff', description: 'Команда' }], { scope: { type: 'chat', chat_id: USER.id } });
    expect(await api.getMyCommands({ scope: { type: 'all_private_chats' }, language_code: 'en' })).toEqual([
      { command: 'start', description: 'Start' },
      { command: 'help', description: 'Help' },
    ]);
    expect(fake.menuSeenIn(USER.id, 'en')).toEqual(['staff']);
    expect(fake.menuSeenIn(7, 'en')).toEqual(['start', 'help']);
    expect(fake.menuSeenIn(7, 'de')).toEqual(['start']);
    await api.deleteMyCommands({ scope: { type: 'chat', chat_id: USER.id } });
    expect(fake.menuSeenIn(USER.id)).toEqual(['start']);
    expect(await api.getMyCommands({ scope: { type: 'chat', chat_id: USER.id } })).toEqual([]);
  });

  it('refuses what Telegram refuses: bad names, empty or long descriptions, more than 100 commands, bad scopes', async () => {
    const set = (commands: { command: string; description: string }[], scope: object = { type: 'default' }) =>
      grammyError(api.setMyCommands(commands, { scope: scope as { type: 'default' } }));
    expect((await set([{ command: 'Start', description: 'x' }])).description).toContain('BOT_COMMAND_INVALID');
    expect((await set([{ command: 'a'.repeat(33), description: 'x' }])).description).toContain('BOT_COMMAND_INVALID');
    expect((await set([{ command: 'ok', description: ' ' }])).description).toContain('BOT_COMMAND_DESCRIPTION_INVALID');
    expect((await set([{ command: 'ok', description: 'x'.repeat(257) }])).description).toContain('BOT_COMMAND_DESCRIPTION_INVALID');
    const many = Array.from({ length: 101 }, (_, i) => ({ command: `c${i}`, description: 'x' }));
    expect((await set(many)).description).toContain('BOT_COMMANDS_TOO_MUCH');
    expect((await set([{ command: 'ok', description: 'x' }], { type: 'everyone' })).description).toContain('BOT_COMMAND_SCOPE_INVALID');
    await api.setMyCommands(many.slice(0, 100).map((c) => ({ ...c, description: 'y'.repeat(256) })), { scope: { type: 'default' } });
    expect(fake.menuSeenIn(1)).toHaveLength(100);
  });
});

describe('FakeTelegramServer forums (topics in a supergroup)', () => {
  const FORUM = -100_123_456;
  const GROUP = -100_654_321;

  it('creates topics in a forum, posts into one with message_thread_id, and refuses what Telegram refuses', async () => {
    fake.addGroup(FORUM, 'Dialogs', { forum: true });
    fake.addGroup(GROUP, 'Plain group');
    const topic = await api.createForumTopic(FORUM, 'Anna #7');
    expect(topic).toMatchObject({ name: 'Anna #7' });
    const sent = await api.sendMessage(FORUM, 'hello', { message_thread_id: topic.message_thread_id });
    expect(sent).toMatchObject({ message_thread_id: topic.message_thread_id, is_topic_message: true });
    expect(fake.topicMessages(FORUM, topic.message_thread_id).map((m) => m.text ?? m.forum_topic_created)).toEqual([{ name: 'Anna #7', icon_color: 7322096 }, 'hello']);
    await api.editForumTopic(FORUM, topic.message_thread_id, { name: 'Anna Petrova #7' });
    expect(fake.forumTopics(FORUM)).toEqual([{ threadId: topic.message_thread_id, name: 'Anna Petrova #7' }]);

    expect((await grammyError(api.createForumTopic(GROUP, 'x'))).description).toBe('Bad Request: the chat is not a forum');
    expect((await grammyError(api.createForumTopic(FORUM, ''))).error_code).toBe(400);
    expect((await grammyError(api.sendMessage(FORUM, 'lost', { message_thread_id: 999_999 }))).description).toBe('Bad Request: message thread not found');
    expect((await grammyError(api.sendMessage(GROUP, 'lost', { message_thread_id: 1 }))).description).toBe('Bad Request: message thread not found');
  });

  it('takes at most the per-group limit in its window (topics count), then answers 429 until the oldest leaves it', async () => {
    await fake.stop();
    fake = await FakeTelegramServer.start({ token: TOKEN, groupLimit: { messagesPerWindow: 3, windowMs: 60_000 } });
    api = new Api(TOKEN, { apiRoot: fake.apiRoot });
    fake.addGroup(FORUM, 'Dialogs', { forum: true });
    const topic = await api.createForumTopic(FORUM, 'Anna');
    await api.sendMessage(FORUM, 'one', { message_thread_id: topic.message_thread_id });
    await api.sendMessage(FORUM, 'two');
    const refused = await grammyError(api.sendMessage(FORUM, 'three'));
    expect(refused.error_code).toBe(429);
    expect(refused.parameters.retry_after).toBeGreaterThan(50);
    expect(fake.tooManyRequests).toBe(1);
    await api.sendMessage(USER.id, 'a private chat is not limited by the group');
  });
});

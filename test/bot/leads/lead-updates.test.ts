import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import pino from 'pino';
import { createBot } from '../../../bot/bot';
import type { BotContext } from '../../../bot/context';
import { parseLeadUpdate } from '../../../bot/leads/inbound-event';
import type { InboundEvent } from '../../../domain/inbound-event';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { uniqueUserId } from '../../support/db';
import { textUpdate, type TestUser } from '../../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
const logger = pino({ level: 'silent' });

let fake: FakeTelegramServer;
let bot: Bot<BotContext>;
let delivered: InboundEvent[];
/** How many answerCallbackQuery calls the fake had answered when each event was delivered. */
let answeredBeforeDelivery: number[];

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  bot = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    conversations: {
      deliver: async (event) => {
        answeredBeforeDelivery.push(fake.callsTo('answerCallbackQuery').length);
        delivered.push(event);
      },
    },
    logger,
  });
  await bot.init();
});

afterAll(async () => {
  await fake?.stop();
});

beforeEach(() => {
  delivered = [];
  answeredBeforeDelivery = [];
});

const newUser = (): TestUser => ({ id: uniqueUserId(), first_name: 'Anna', username: 'anna_learns' });
const handle = (update: object) => bot.handleUpdate(update as Update);

/** A private-chat message of the user with the given fields instead of text. */
function messageUpdate(user: TestUser, fields: Record<string, unknown>, overrides: { chat?: object; from?: object } = {}) {
  const base = textUpdate(user, 'placeholder');
  const { text: _text, ...message } = base.message;
  return { update_id: base.update_id, message: { ...message, ...overrides, ...fields } };
}

describe('leadUpdates composer', () => {
  it('answers a button press at once and delivers it as a button event', async () => {
    const user = newUser();
    // Pushed through the fake so it knows the query and accepts exactly one answer, like Telegram.
    const updateId = fake.pushCallback(user, 'greeting:bonus', { message_id: 1 });
    const [update] = await bot.api.getUpdates({ offset: updateId, limit: 1, timeout: 0 });
    expect(update.update_id).toBe(updateId);
    const answeredBefore = fake.callsTo('answerCallbackQuery').length;

    await handle(update);

    const answers = fake.callsTo('answerCallbackQuery').slice(answeredBefore);
    expect(answers.map((call) => call.params.callback_query_id)).toEqual([update.callback_query?.id]);
    expect(answeredBeforeDelivery).toEqual([answeredBefore + 1]); // the spinner stopped before Temporal was asked
    expect(delivered).toEqual([
      expect.objectContaining({
        kind: 'button',
        updateId,
        chatId: user.id,
        data: 'greeting:bonus',
        callbackQueryId: update.callback_query?.id,
        from: expect.objectContaining({ id: user.id, firstName: 'Anna' }),
      }),
    ]);
  });

  it('delivers /start abc as the start command with payload abc', async () => {
    const user = newUser();

    await handle(textUpdate(user, '/start abc'));

    expect(delivered).toEqual([expect.objectContaining({ kind: 'command', command: 'start', payload: 'abc', text: '/start abc', chatId: user.id })]);
  });

  it('delivers /start@test_bot xyz as the start command with payload xyz', async () => {
    const user = newUser();

    await handle(textUpdate(user, '/start@test_bot xyz'));

    expect(delivered).toEqual([expect.objectContaining({ kind: 'command', command: 'start', payload: 'xyz' })]);
  });

  it('delivers plain text as a text event', async () => {
    const user = newUser();
    const update = textUpdate(user, 'How much is it?');

    await handle(update);

    expect(delivered).toEqual([expect.objectContaining({ kind: 'text', text: 'How much is it?', updateId: update.update_id, messageId: update.message.message_id })]);
  });

  it('delivers a photo as media: the largest size\'s file id and the caption', async () => {
    const user = newUser();

    await handle(messageUpdate(user, { photo: [{ file_id: 'p1', file_unique_id: 'up1', width: 90, height: 90 }, { file_id: 'p2', file_unique_id: 'up2', width: 800, height: 800 }], caption: 'my receipt' }));

    expect(delivered).toEqual([expect.objectContaining({ kind: 'media', messageType: 'photo', fileId: 'p2', caption: 'my receipt', chatId: user.id })]);
  });

  it('delivers a voice note and a video note as voice, with the file id, length and size; a document as media with its name', async () => {
    const user = newUser();

    await handle(messageUpdate(user, { voice: { file_id: 'v1', file_unique_id: 'uv1', duration: 12, mime_type: 'audio/ogg', file_size: 4000 } }));
    await handle(messageUpdate(user, { video_note: { file_id: 'vn1', file_unique_id: 'uvn1', duration: 5, length: 240 } }));
    await handle(messageUpdate(user, { document: { file_id: 'd1', file_unique_id: 'ud1', file_name: 'check.pdf' } }));

    expect(delivered).toEqual([
      expect.objectContaining({ kind: 'voice', messageType: 'voice', fileId: 'v1', durationSeconds: 12, fileSize: 4000 }),
      expect.objectContaining({ kind: 'voice', messageType: 'video_note', fileId: 'vn1', durationSeconds: 5 }),
      expect.objectContaining({ kind: 'media', messageType: 'document', fileId: 'd1', fileName: 'check.pdf' }),
    ]);
  });

  it('does not deliver a message in a group chat', async () => {
    const user = newUser();

    await handle(messageUpdate(user, { text: 'hello group' }, { chat: { id: -1001234, type: 'supergroup', title: 'Managers' } }));

    expect(delivered).toEqual([]);
  });

  it('does not deliver an edited message', async () => {
    const user = newUser();
    const { update_id, message } = textUpdate(user, 'edited text');

    await handle({ update_id, edited_message: { ...message, edit_date: message.date + 5 } });

    expect(delivered).toEqual([]);
  });

  it('does not deliver a message from a bot', async () => {
    const user = newUser();

    await handle(messageUpdate(user, { text: 'I am a bot' }, { from: { id: user.id, is_bot: true, first_name: 'Spam Bot' } }));

    expect(delivered).toEqual([]);
  });
});

describe('parseLeadUpdate', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'update'],
    ['an empty object', {}],
    ['a non-numeric update_id', { update_id: 'x' }],
    ['a negative update_id', { update_id: -1 }],
    ['an empty message', { update_id: 1, message: {} }],
    ['a null message', { update_id: 1, message: null }],
    ['a callback query without id', { update_id: 1, callback_query: { from: { id: 1, is_bot: false, first_name: 'A' } } }],
    ['only an edited message', { update_id: 1, edited_message: { message_id: 1 } }],
    ['only an update_id', { update_id: 1 }],
  ])('refuses %s with a reason and does not throw', (_name, raw) => {
    const parsed = parseLeadUpdate(raw);

    expect(parsed.ok).toBe(false);
    expect(parsed.ok === false && parsed.reason.length > 0).toBe(true);
  });
});

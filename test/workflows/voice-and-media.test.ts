import type { Update } from 'grammy/types';
import OpenAI from 'openai';
import { createBot } from '../../bot/bot';
import { Handoffs } from '../../bot/handoffs/handoffs';
import { setStaffRole } from '../../db/staff';
import { leadStateQuery, leadWorkflowId } from '../../workflows/lead-conversation/contract';
import { FAKE_AUDIO_PREFIX, FakeOpenAIServer, realmSafeFetch, type ScriptedTranscription } from '../fakes/openai-server';
import { leadRows, uniqueUserId } from '../support/db';
import { buttonsOf, MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { text, toEvent, type TestUser } from '../support/updates';

const KEY = 'sk-test-key';
const h = useLeadHarness({ serverPerTest: true });
let openaiFake: FakeOpenAIServer;

beforeAll(async () => {
  openaiFake = await FakeOpenAIServer.start({ apiKey: KEY });
});
afterAll(() => openaiFake?.stop());

const client = () => new OpenAI({ apiKey: KEY, baseURL: openaiFake.baseUrl, maxRetries: 0, fetch: realmSafeFetch });
const modelReply = (reply: string) => ({
  kind: 'json' as const,
  content: { reply, intent: 'question', next_action: 'answer', confidence: 0.9, profile_updates: {}, readiness: 40, stage: 'frame' },
});

/** A voice (or video) note the lead records: the file is on the fake Bot API, the message goes to the conversation. */
function voiceNote(lead: TestUser, spoken: string | Buffer, options: { duration?: number; type?: 'voice' | 'video_note' } = {}) {
  const type = options.type ?? 'voice';
  const file = h.fake.addUserFile(type === 'voice' ? 'voice.oga' : 'note.mp4', typeof spoken === 'string' ? `${FAKE_AUDIO_PREFIX}${spoken}` : spoken);
  const note = { file_id: file.file_id, file_unique_id: file.file_unique_id, duration: options.duration ?? 4, file_size: file.file_size, ...(type === 'voice' ? { mime_type: 'audio/ogg' } : { length: 240 }) };
  const updateId = h.fake.pushMessage(lead, { [type]: note });
  return { event: toEvent(h.fake.pushedUpdate(updateId)), fileId: file.file_id, messageId: Number(h.fake.pushedUpdate(updateId).message?.message_id) };
}

function photo(lead: TestUser, caption?: string) {
  const updateId = h.fake.pushMessage(lead, { photo: [{ file_id: 'ph-small', file_unique_id: 'u1', width: 90, height: 90 }, { file_id: 'ph-large', file_unique_id: 'u2', width: 800, height: 800 }], ...(caption ? { caption } : {}) });
  return { event: toEvent(h.fake.pushedUpdate(updateId)), messageId: Number(h.fake.pushedUpdate(updateId).message?.message_id) };
}

const copiesToManagers = () => h.fake.callsTo('copyMessage', MANAGERS_CHAT);
const inboundRows = async (lead: TestUser) => {
  const { lead: row } = await leadRows(h.db, lead.id);
  return h.db('messages').where({ lead_id: row.id, direction: 'in' }).orderBy('id').select('text', 'payload');
};

describe('voice notes', () => {
  it('a voice note is transcribed and answered like typed text; the transcript is logged with the file id and length; "typing…" comes before the answer', async () => {
    const lead = h.newLead();
    openaiFake.script(modelReply('Курс длится 8 недель.'));
    const transcriptionsBefore = openaiFake.transcriptions.length;
    await (await h.worker({ openai: client(), model: 'test-model' })).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      const voice = voiceNote(lead, 'Сколько длится обучение?', { duration: 7 });
      await h.conversations().deliver(voice.event);
      await h.until('sendMessage', lead, 2);
      await h.idle(lead);

      expect(h.texts(lead)[1]).toBe('Курс длится 8 недель.');
      expect(openaiFake.transcriptions.slice(transcriptionsBefore)).toEqual([expect.objectContaining({ model: 'whisper-1', fileName: 'voice.oga', language: 'ru', status: 200 })]);
      expect(openaiFake.calls.at(-1)!.body.messages.at(-1)).toEqual({ role: 'user', content: 'Сколько длится обучение?' });
      const rows = await inboundRows(lead);
      expect(rows.at(-1)).toEqual({
        text: '[voice 0:07] Сколько длится обучение?',
        payload: expect.objectContaining({ kind: 'voice', fileId: voice.fileId, durationSeconds: 7, transcript: 'Сколько длится обучение?' }),
      });
      // "typing…" reached the lead before the answer did (how many depends on the clock: not asserted).
      const answerAt = h.fake.calls.findIndex((c) => c.method === 'sendMessage' && c.params.chat_id === lead.id && c.params.text === 'Курс длится 8 недель.');
      const typingAt = h.fake.calls.findIndex((c) => c.method === 'sendChatAction' && c.params.chat_id === lead.id && c.params.action === 'typing');
      expect(typingAt).toBeGreaterThanOrEqual(0);
      expect(typingAt).toBeLessThan(answerAt);
    });
  });

  it('a spoken "позовите менеджера" takes the scenario\'s intent path, as typed text would, without the chat model', async () => {
    const lead = h.newLead();
    const callsBefore = openaiFake.calls.length;
    await (await h.worker({ openai: client(), model: 'test-model' })).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      await h.conversations().deliver(voiceNote(lead, 'Позовите менеджера, пожалуйста', { type: 'video_note' }).event);
      await h.until('sendMessage', lead, 2);
      expect(h.texts(lead)[1]).toContain('Передал ваш запрос менеджеру');
      expect(openaiFake.calls.length).toBe(callsBefore);
      expect(openaiFake.transcriptions.at(-1)).toMatchObject({ fileName: 'video_note.mp4', status: 200 });
      await h.endAfterHandoffAnnounced(lead);
      // The lead card shows the note with its transcript among the last messages.
      const card = h.fake.callsTo('sendMessage', MANAGERS_CHAT).find((c) => String(c.params.text).includes(`(id ${lead.id})`));
      expect(String(card?.params.text)).toContain('[video_note 0:04] Позовите менеджера, пожалуйста');
    });
  });

  it.each([
    ['no key', { openai: null }, undefined, 'распознавание речи не настроено'],
    ['a 429', {}, { kind: 'error', status: 429 } as ScriptedTranscription, 'rate_limited'],
    ['a 500', {}, { kind: 'error', status: 500 } as ScriptedTranscription, 'api_error'],
    ['a timeout', { sttTimeoutMs: 500 }, { kind: 'delay', ms: 5000, then: { kind: 'text', text: 'поздно' } } as ScriptedTranscription, 'timeout'],
    ['a file the provider cannot decode', {}, 'garbage', 'bad_audio'],
  ])('%s: the lead is told a manager will listen, and the voice itself goes to the managers', async (_name, deps, failure, why) => {
    const lead = h.newLead();
    if (failure && typeof failure !== 'string') openaiFake.scriptTranscription(failure);
    await (await h.worker({ openai: client(), model: 'test-model', ...deps })).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      const voice = voiceNote(lead, failure === 'garbage' ? Buffer.from('OggS\u0000not really audio') : 'Сколько стоит?');
      await h.conversations().deliver(voice.event);
      await h.until('sendMessage', lead, 2);
      await h.fake.waitFor(() => copiesToManagers().some((c) => c.params.from_chat_id === lead.id));
      await h.idle(lead);
      expect(h.texts(lead)[1]).toBe('Не получилось расшифровать голосовое. Я передал его менеджеру — он прослушает и ответит.');
      const copy = copiesToManagers().find((c) => c.params.from_chat_id === lead.id)!;
      expect(copy.params).toMatchObject({ message_id: voice.messageId, caption: expect.stringContaining(`(id ${lead.id})`) });
      expect(String(copy.params.caption)).toContain(why);
      expect((await inboundRows(lead)).at(-1)?.payload).toMatchObject({ kind: 'voice', fileId: voice.fileId, transcript: null });
    });
  });

  it('a note over the length limit is not sent to the provider; the lead hears the limit and the managers get the voice', async () => {
    const lead = h.newLead();
    const before = openaiFake.transcriptions.length;
    await (await h.worker({ openai: client(), model: 'test-model', maxSeconds: 120 })).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      await h.conversations().deliver(voiceNote(lead, 'очень длинный рассказ', { duration: 121 }).event);
      await h.until('sendMessage', lead, 2);
      await h.fake.waitFor(() => copiesToManagers().some((c) => c.params.from_chat_id === lead.id));
      await h.idle(lead);
    });
    expect(h.texts(lead)[1]).toContain('Голосовое длиннее 2 мин');
    expect(openaiFake.transcriptions.length).toBe(before);
  });
});

describe('photos, documents and captions', () => {
  it('a caption is the lead\'s text: it goes to the model; the photo is logged by the file id of its largest size', async () => {
    const lead = h.newLead();
    openaiFake.script(modelReply('Да, это наша программа.'));
    await (await h.worker({ openai: client(), model: 'test-model' })).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      await h.conversations().deliver(photo(lead, 'Это ваша программа обучения?').event);
      await h.until('sendMessage', lead, 2);
      await h.idle(lead);
    });
    expect(h.texts(lead)[1]).toBe('Да, это наша программа.');
    expect(openaiFake.calls.at(-1)!.body.messages.at(-1)).toEqual({ role: 'user', content: 'Это ваша программа обучения?' });
    expect((await inboundRows(lead)).at(-1)).toEqual({ text: '[photo] Это ваша программа обучения?', payload: expect.objectContaining({ kind: 'media', messageType: 'photo', fileId: 'ph-large' }) });
  });

  it('a photo sent while an order is open is a receipt: the managers get it with the order number, the lead is told', async () => {
    const lead = h.newLead();
    await (await h.worker({ openai: null })).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      const { lead: row } = await leadRows(h.db, lead.id);
      const product = await h.db('products').first('id');
      const [order] = await h.db('orders').insert({ lead_id: row.id, product_id: product.id, type: 'full', method: 'link', amount: 30000, currency: 'RUB', status: 'sent' }).returning('id');
      const orderId = Number(order.id);
      const receipt = photo(lead);
      await h.conversations().deliver(receipt.event);
      await h.until('sendMessage', lead, 2);
      await h.fake.waitFor(() => copiesToManagers().some((c) => c.params.from_chat_id === lead.id));
      await h.idle(lead);
      expect(h.texts(lead)[1]).toBe(`Спасибо! Передал файл менеджеру вместе с заказом №${orderId}, он проверит оплату.`);
      const copy = copiesToManagers().find((c) => c.params.from_chat_id === lead.id)!;
      expect(copy.params).toMatchObject({ message_id: receipt.messageId, caption: expect.stringContaining(`заказу №${orderId}`) });
    });
  });
});

describe('in a manager dialog', () => {
  it('a voice note reaches the manager as the voice itself with its transcript; a photo with its caption', async () => {
    const lead = h.newLead();
    const oleg = { id: uniqueUserId(), is_bot: false as const, first_name: 'Oleg', username: `oleg_${Math.floor(Math.random() * 1e6)}` };
    await setStaffRole(h.db, oleg.id, 'manager', 1);
    const owner = uniqueUserId();
    const bot = createBot({ token: '123456:TEST-token-for-the-fake-server', apiRoot: h.fake.apiRoot, conversations: h.conversations(), logger: h.logger, staff: { db: h.db, owners: [owner], logger: h.logger }, handoffs: new Handoffs(h.env.client) });
    await bot.init();
    await (await h.worker({ openai: client(), model: 'test-model', owners: [owner], leadWorkflows: h.env.client.workflow })).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.conversations().deliver(text(lead, 'позовите менеджера'));
      const cards = () => h.fake.callsTo('sendMessage', MANAGERS_CHAT).filter((c) => String(c.params.text).includes(`(id ${lead.id})`));
      await h.fake.waitFor(() => cards().length === 1);
      const take = buttonsOf(cards()[0]).find((b) => b.text.includes('Взять'))?.callback_data as string;
      const query = { id: `cq-${Math.random().toString(36).slice(2)}`, from: oleg, chat_instance: 'managers', data: take, message: { message_id: 1, date: 1, chat: { id: MANAGERS_CHAT, type: 'supergroup', title: 'Managers' } } };
      const updateId = h.fake.pushUpdate({ callback_query: query as never });
      await bot.handleUpdate({ update_id: updateId, callback_query: query } as unknown as Update);
      expect(String(h.fake.callsTo('answerCallbackQuery').find((c) => c.params.callback_query_id === query.id)?.params.text)).toContain('Лид ваш');
      await h.fake.waitFor(() => h.fake.callsTo('sendMessage', oleg.id).some((c) => String(c.params.text).startsWith('✅ Вы взяли лида')));
      const conversation = h.env.client.workflow.getHandle(leadWorkflowId(lead.id));
      for (let mode = ''; mode !== 'with_manager'; mode = (await conversation.query(leadStateQuery)).mode) await new Promise((resolve) => setTimeout(resolve, 25));
      const sentToLead = h.texts(lead).length;

      const voice = voiceNote(lead, 'А можно оплатить частями?');
      await h.conversations().deliver(voice.event);
      await h.fake.waitFor(() => h.fake.callsTo('copyMessage', oleg.id).length === 1);
      expect(h.fake.callsTo('copyMessage', oleg.id)[0].params).toMatchObject({ from_chat_id: lead.id, message_id: voice.messageId });
      expect(String(h.fake.callsTo('copyMessage', oleg.id)[0].params.caption)).toMatch(new RegExp(`\\(id ${lead.id}\\)[^]*🎤 А можно оплатить частями\\?`));

      const picture = photo(lead, 'вот скриншот');
      await h.conversations().deliver(picture.event);
      await h.fake.waitFor(() => h.fake.callsTo('copyMessage', oleg.id).length === 2);
      expect(String(h.fake.callsTo('copyMessage', oleg.id)[1].params.caption)).toContain('вот скриншот');
      expect(h.texts(lead)).toHaveLength(sentToLead); // the bot stays silent in the dialog
      await h.endConversations();
    });
  });
});

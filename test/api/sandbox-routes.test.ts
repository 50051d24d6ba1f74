import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Api, InputFile } from 'grammy';
import type { Update } from 'grammy/types';
import pino from 'pino';
import { buildApi } from '../../api/app';
import { createMetrics } from '../../api/metrics';
import { SANDBOX_BOT_TOKEN, SANDBOX_MANAGER, SANDBOX_MANAGERS_CHAT, SANDBOX_OWNER, SandboxPeople } from '../../sandbox/sandbox-world';
import { FakeTelegramServer } from '../fakes/telegram-server';

let telegram: FakeTelegramServer;
let app: FastifyInstance;
let bot: Api;
let people: SandboxPeople;
let usersFile: string;
let offset = 0;

beforeEach(async () => {
  telegram = await FakeTelegramServer.start({ token: SANDBOX_BOT_TOKEN, firstUpdateId: 1_000_000, firstMessageId: 500 });
  telegram.addGroup(SANDBOX_MANAGERS_CHAT.id, SANDBOX_MANAGERS_CHAT.title);
  telegram.addChatMember(SANDBOX_MANAGERS_CHAT.id, SANDBOX_OWNER.id, 'creator');
  telegram.addChatMember(SANDBOX_MANAGERS_CHAT.id, SANDBOX_MANAGER.id);
  usersFile = join(mkdtempSync(join(tmpdir(), 'sandbox-users-')), 'sandbox-users.json');
  people = new SandboxPeople(usersFile);
  app = buildApi({
    logger: pino({ level: 'silent' }),
    health: { postgres: async () => {}, temporal: async () => {} },
    metrics: createMetrics(),
    sandbox: { telegram, people, owners: [SANDBOX_OWNER.id], managersChatId: SANDBOX_MANAGERS_CHAT.id, temporalUi: 'http://127.0.0.1:8233', namespace: 'default' },
  });
  bot = new Api(SANDBOX_BOT_TOKEN, { apiRoot: telegram.apiRoot });
  offset = 0;
});
afterEach(async () => {
  await app.close();
  await telegram.stop();
});

const post = async (url: string, payload: Record<string, unknown>) => app.inject({ method: 'POST', url: `/sandbox/api/${url}`, payload });

/** What the bot gets by long polling next (confirming what it got before). */
async function nextUpdates(): Promise<Update[]> {
  const updates = await bot.getUpdates({ offset, timeout: 0 });
  if (updates.length) offset = updates[updates.length - 1].update_id + 1;
  return updates;
}

async function newLead(name = 'Ivan'): Promise<number> {
  return ((await post('users', { first_name: name, username: '@ivan', language_code: 'en' })).json() as { id: number }).id;
}

describe('the sandbox web chat', () => {
  it('serves the page and its script with a policy that allows nothing from outside', async () => {
    for (const url of ['/sandbox', '/sandbox/app.js', '/sandbox/style.css']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    }
    expect((await app.inject({ method: 'GET', url: '/sandbox' })).body).not.toMatch(/https?:\/\//);
  });

  it('the world: the owner first, the manager, the managers\' chat with both in it, the Temporal UI link', async () => {
    const world = (await app.inject({ method: 'GET', url: '/sandbox/api/world' })).json();
    expect(world.users.slice(0, 2).map((u: { id: number; role: string }) => [u.id, u.role])).toEqual([[SANDBOX_OWNER.id, 'owner'], [SANDBOX_MANAGER.id, 'manager']]);
    expect(world.groups).toEqual([{ id: SANDBOX_MANAGERS_CHAT.id, title: 'Managers', members: [SANDBOX_OWNER.id, SANDBOX_MANAGER.id] }]);
    expect(world.temporalUi).toBe('http://127.0.0.1:8233/namespaces/default/workflows');
    expect(world.users[0].workflowId).toBe(`lead-${SANDBOX_OWNER.id}`);
  });

  it('a created lead is a new Telegram user, kept for the next start', async () => {
    const id = await newLead();
    expect(id).toBeGreaterThan(SANDBOX_MANAGER.id);
    expect(new SandboxPeople(usersFile).find(id)).toEqual({ id, first_name: 'Ivan', username: 'ivan', language_code: 'en' });
    expect(await newLead('Anna')).toBe(id + 1);
  });

  it('text from a lead reaches the bot as a private message; in the managers\' chat only from a member', async () => {
    const lead = await newLead();
    expect((await post('send', { userId: lead, chatId: lead, text: '/start' })).statusCode).toBe(200);
    const [update] = await nextUpdates();
    expect(update.message).toMatchObject({ text: '/start', chat: { id: lead, type: 'private' }, from: { id: lead, first_name: 'Ivan' }, entities: [{ type: 'bot_command' }] });
    expect(update.update_id).toBeGreaterThan(1_000_000);

    expect((await post('send', { userId: lead, chatId: SANDBOX_MANAGERS_CHAT.id, text: 'hi' })).statusCode).toBe(403);
    await post('send', { userId: SANDBOX_MANAGER.id, chatId: SANDBOX_MANAGERS_CHAT.id, text: '/whoami' });
    const [group] = await nextUpdates();
    expect(group.message?.chat).toEqual({ id: SANDBOX_MANAGERS_CHAT.id, type: 'supergroup', title: 'Managers' });
  });

  it('a press on a button of a bot message; an edit shows in place and the page hears of it', async () => {
    const lead = await newLead();
    const sent = await bot.sendMessage(lead, 'Pick one', { reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'pick:a' }]] } });
    const heard: number[] = [];
    const stop = telegram.onChange((chatId) => heard.push(chatId));

    await post('press', { userId: lead, chatId: lead, messageId: sent.message_id, data: 'pick:a' });
    const [update] = await nextUpdates();
    expect(update.callback_query).toMatchObject({ data: 'pick:a', from: { id: lead }, message: { message_id: sent.message_id, text: 'Pick one' } });

    await bot.editMessageText(lead, sent.message_id, 'Picked A');
    stop();
    const { messages } = (await app.inject({ method: 'GET', url: `/sandbox/api/chats/${lead}` })).json();
    expect(messages).toEqual([expect.objectContaining({ message_id: sent.message_id, text: 'Picked A', edit_date: expect.any(Number) })]);
    expect(messages[0].reply_markup).toBeUndefined(); // the edit left the keyboard out: gone, as on Telegram
    expect(heard).toContain(lead);
  });

  it('"typing…" shows until the bot\'s next message', async () => {
    const lead = await newLead();
    await bot.sendChatAction(lead, 'typing');
    expect((await app.inject({ method: 'GET', url: `/sandbox/api/chats/${lead}` })).json().action).toBe('typing');
    await bot.sendMessage(lead, 'Here');
    expect((await app.inject({ method: 'GET', url: `/sandbox/api/chats/${lead}` })).json().action).toBeNull();
  });

  it('a shared contact is the lead\'s own phone number, as Telegram\'s contact button sends it', async () => {
    const lead = await newLead();
    await post('contact', { userId: lead, phone: '+79990001122' });
    const [update] = await nextUpdates();
    expect(update.message?.contact).toEqual({ phone_number: '+79990001122', first_name: 'Ivan', user_id: lead });
  });

  it('a document the bot uploads can be downloaded from the page', async () => {
    const lead = await newLead();
    const sent = await bot.sendDocument(lead, new InputFile(Buffer.from('%PDF-1.4 bonus'), 'bonus.pdf'));
    const response = await app.inject({ method: 'GET', url: `/sandbox/api/files/${sent.document?.file_id}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-disposition']).toBe('attachment; filename="bonus.pdf"');
    expect(response.body).toBe('%PDF-1.4 bonus');
  });

  it('a lead sends a document and a photo: the bot gets them as Telegram sends them and can download the bytes', async () => {
    const lead = await newLead();
    await post('upload', { userId: lead, kind: 'document', name: 'passport scan.pdf', base64: Buffer.from('%PDF-1.4 scan').toString('base64'), caption: 'my scan' });
    await post('upload', { userId: lead, kind: 'photo', name: 'me.png', base64: Buffer.from('PNGDATA').toString('base64') });
    const [doc, photo] = await nextUpdates();
    expect(doc.message).toMatchObject({ chat: { id: lead }, caption: 'my scan', document: { file_name: 'passport scan.pdf', file_size: 13 } });
    const file = await bot.getFile(doc.message?.document?.file_id as string);
    const downloaded = await fetch(`${telegram.apiRoot}/file/bot${SANDBOX_BOT_TOKEN}/${file.file_path}`);
    expect(await downloaded.text()).toBe('%PDF-1.4 scan');
    expect(photo.message?.photo?.[0]).toMatchObject({ file_size: 7, width: 1280 });
    const shown = await app.inject({ method: 'GET', url: `/sandbox/api/files/${photo.message?.photo?.[0].file_id}` });
    expect(shown.body).toBe('PNGDATA');
    expect((await post('upload', { userId: lead, kind: 'document', name: 'empty', base64: '' })).statusCode).toBe(400);
  });

  describe('Stars payments', () => {
    async function invoice(lead: number) {
      return bot.sendInvoice(lead, 'Course', 'The course', 'order:42', 'XTR', [{ label: 'Course', amount: 250 }]);
    }

    /** The bot's side: the pre-checkout query, answered as told. */
    async function answerPreCheckout(answer: { ok: true } | { ok: false; error_message: string }): Promise<void> {
      for (;;) {
        const query = (await nextUpdates()).find((u) => u.pre_checkout_query)?.pre_checkout_query;
        if (query) {
          expect(query).toMatchObject({ currency: 'XTR', total_amount: 250, invoice_payload: 'order:42' });
          await bot.answerPreCheckoutQuery(query.id, answer.ok, answer.ok ? undefined : { error_message: answer.error_message });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }

    it('Pay: the pre-checkout query, then, once the bot agreed, the successful payment', async () => {
      const lead = await newLead();
      const sent = await invoice(lead);
      const [paid] = await Promise.all([post('pay', { userId: lead, messageId: sent.message_id }), answerPreCheckout({ ok: true })]);
      expect(paid.json()).toEqual({ paid: true, chargeId: expect.any(String) });
      const [update] = await nextUpdates();
      expect(update.message?.successful_payment).toMatchObject({ currency: 'XTR', total_amount: 250, invoice_payload: 'order:42', telegram_payment_charge_id: paid.json().chargeId });
    });

    it('the bot refuses at pre-checkout: no payment, and the page says why', async () => {
      const lead = await newLead();
      const sent = await invoice(lead);
      const [refused] = await Promise.all([post('pay', { userId: lead, messageId: sent.message_id }), answerPreCheckout({ ok: false, error_message: 'The order was cancelled' })]);
      expect(refused.json()).toEqual({ paid: false, error: 'The order was cancelled' });
      expect(await nextUpdates()).toEqual([]);
    });
  });
});

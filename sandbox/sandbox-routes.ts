import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { leadWorkflowId } from '../workflows/lead-conversation/contract';
import type { PayLink } from './pay-link';
import { SANDBOX_MANAGER, type SandboxPeople } from './sandbox-world';
import type { ChatMessage, FakeTelegramServer } from './telegram-server';

export interface SandboxPageDeps {
  telegram: FakeTelegramServer;
  people: SandboxPeople;
  owners: readonly number[];
  managersChatId?: number;
  /** Pays a test payment link through the payment webhook; absent when the webhook is off. */
  payLink?: PayLink;
  /** The Temporal Web UI, for the link beside a lead's chat; none when Temporal runs elsewhere. */
  temporalUi?: string;
  namespace: string;
}

const FILES = {
  '/sandbox': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/sandbox/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/sandbox/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
} as const;

/** Telegram gives the bot 10 seconds to answer a pre-checkout query. */
const PRE_CHECKOUT_WAIT_MS = 10_000;

interface Acting {
  userId: number;
  chatId: number;
}

/**
 * The sandbox's web chat: a page that is a Telegram client of the sandbox's Bot API server. A person
 * picks who they are (a lead, the manager, the owner) and which chat, sends text, presses inline
 * buttons, shares their contact, pays invoices with sandbox Stars; every change reaches the page as a
 * server-sent event. What the page does becomes updates the bot gets by long polling, as in production.
 * Served only by `npm start` in sandbox mode, on the api's port.
 */
export async function sandboxRoutes(app: FastifyInstance, deps: SandboxPageDeps): Promise<void> {
  const { telegram, people } = deps;
  for (const [url, { file, type }] of Object.entries(FILES)) {
    const body = readFileSync(join(__dirname, 'page', file));
    app.get(url, async (_request, reply) =>
      reply
        .type(type)
        .header('content-security-policy', "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob: data:; form-action 'self'; frame-ancestors 'none'")
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-cache')
        .send(body),
    );
  }

  app.get('/sandbox/api/world', async () => ({
    bot: telegram.botUser,
    users: people.list().map((user) => ({
      ...user,
      role: deps.owners.includes(user.id) ? 'owner' : user.id === SANDBOX_MANAGER.id ? 'manager' : 'lead',
      workflowId: leadWorkflowId(user.id),
    })),
    groups: telegram.groupChats().map((group) => ({ ...group, members: people.list().filter((u) => telegram.isChatMember(group.id, u.id)).map((u) => u.id) })),
    managersChatId: deps.managersChatId,
    temporalUi: deps.temporalUi && `${deps.temporalUi}/namespaces/${encodeURIComponent(deps.namespace)}/workflows`,
  }));

  app.post<{ Body: { first_name?: string; username?: string; language_code?: string } }>('/sandbox/api/users', async (request) =>
    people.add({ first_name: String(request.body?.first_name ?? ''), username: request.body?.username, language_code: request.body?.language_code }),
  );

  app.get<{ Params: { chatId: string } }>('/sandbox/api/chats/:chatId', async (request) => {
    const chatId = Number(request.params.chatId);
    return { messages: telegram.chatMessages(chatId).map(forPage), action: telegram.chatAction(chatId) ?? null };
  });

  app.get('/sandbox/api/events', (request, reply) => {
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    reply.raw.write(': connected\n\n');
    const stop = telegram.onChange((chatId) => reply.raw.write(`data: ${JSON.stringify({ chatId })}\n\n`));
    const keepAlive = setInterval(() => reply.raw.write(': ping\n\n'), 15_000);
    request.raw.once('close', () => {
      clearInterval(keepAlive);
      stop();
    });
  });

  const acting = (body: Partial<Acting> | undefined, reply: FastifyReply) => {
    const user = people.find(Number(body?.userId));
    const chatId = Number(body?.chatId ?? body?.userId);
    if (!user) return void reply.code(404).send({ error: 'no such user' });
    const inGroup = telegram.groupChats().some((g) => g.id === chatId);
    if (chatId !== user.id && !(inGroup && telegram.isChatMember(chatId, user.id))) return void reply.code(403).send({ error: 'not in that chat' });
    return { user, chatId };
  };

  app.post<{ Body: Acting & { text: string } }>('/sandbox/api/send', async (request, reply) => {
    const who = acting(request.body, reply);
    const text = String(request.body?.text ?? '');
    if (!who) return reply;
    if (!text.trim()) return reply.code(400).send({ error: 'empty message' });
    return { updateId: telegram.pushText(who.user, text.slice(0, 4096), { chatId: who.chatId }) };
  });

  app.post<{ Body: Acting & { messageId: number; data: string } }>('/sandbox/api/press', async (request, reply) => {
    const who = acting(request.body, reply);
    if (!who) return reply;
    return { updateId: telegram.pushCallback(who.user, String(request.body.data), { message_id: Number(request.body.messageId) }, { chatId: who.chatId }) };
  });

  app.post<{ Body: Acting & { phone?: string } }>('/sandbox/api/contact', async (request, reply) => {
    const who = acting({ userId: request.body?.userId }, reply);
    if (!who) return reply;
    const phone = String(request.body?.phone ?? '').trim() || `+7999${String(who.user.id).padStart(7, '0')}`;
    return { updateId: telegram.pushContact(who.user, phone) };
  });

  app.post<{ Body: Acting & { kind: 'document' | 'photo'; name: string; base64: string; caption?: string } }>('/sandbox/api/upload', async (request, reply) => {
    const who = acting({ userId: request.body?.userId }, reply);
    if (!who) return reply;
    const content = Buffer.from(String(request.body.base64 ?? ''), 'base64');
    if (content.length === 0) return reply.code(400).send({ error: 'empty file' });
    const kind = request.body.kind === 'photo' ? 'photo' : 'document';
    return { updateId: telegram.pushFile(who.user, kind, { name: String(request.body.name || 'file').slice(0, 128), content }, request.body.caption?.slice(0, 1024) || undefined) };
  });

  // Stars: the pre-checkout query first; the successful payment only after the bot said yes, as on Telegram.
  app.post<{ Body: Acting & { messageId: number } }>('/sandbox/api/pay', async (request, reply) => {
    const who = acting({ userId: request.body?.userId }, reply);
    if (!who) return reply;
    const invoiceMessage = telegram.chatMessages(who.chatId).find((m) => m.message_id === Number(request.body.messageId));
    const invoice = invoiceMessage?.invoice as { currency: string; total_amount: number } | undefined;
    const payload = invoiceMessage && findInvoicePayload(telegram, who.chatId, invoiceMessage);
    if (!invoice || payload === undefined) return reply.code(404).send({ error: 'no invoice there' });
    const { queryId } = telegram.pushPreCheckout(who.user, { payload, total_amount: invoice.total_amount, currency: invoice.currency });
    const answer = await waitForAnswer(telegram, queryId);
    if (!answer) return { paid: false, error: 'the bot did not answer the pre-checkout query within 10 seconds' };
    if (answer.ok !== true) return { paid: false, error: String(answer.error_message ?? 'refused') };
    const { chargeId } = telegram.pushSuccessfulPayment(who.user, { payload, total_amount: invoice.total_amount, currency: invoice.currency });
    return { paid: true, chargeId };
  });

  // A payment link: the sandbox plays the provider and posts its signed notice to the payment webhook.
  app.post<{ Body: Acting & { url: string } }>('/sandbox/api/pay-link', async (request, reply) => {
    const who = acting({ userId: request.body?.userId }, reply);
    if (!who) return reply;
    if (!deps.payLink) return reply.code(404).send({ error: 'the payment webhook is off (PAYMENT_WEBHOOK_SECRET)' });
    const { status, result } = await deps.payLink(String(request.body.url ?? '').slice(0, 2048));
    return reply.code(status).send(result);
  });

  app.get<{ Params: { fileId: string } }>('/sandbox/api/files/:fileId', async (request, reply) => {
    const file = telegram.sentFile(request.params.fileId);
    if (!file) return reply.code(404).send({ error: 'no such file' });
    return reply
      .type(/\.pdf$/i.test(file.name) ? 'application/pdf' : /\.(png|jpe?g)$/i.test(file.name) ? `image/${file.name.split('.').pop()?.replace('jpg', 'jpeg')}` : 'application/octet-stream')
      .header('content-disposition', `attachment; filename="${file.name.replace(/[^\w. -]/g, '_')}"`)
      .send(file.content);
  });
}

/** What the page needs of a message; the rest stays on the server. */
function forPage(message: ChatMessage): Record<string, unknown> {
  const { message_id, from, text, caption, reply_markup, edit_date, document, photo, invoice, contact, successful_payment, date } = message as Record<string, unknown> & { message_id: number };
  return { message_id, from, text, caption, reply_markup, edit_date, document, photo, invoice, contact, successful_payment, date };
}

/** The payload the bot put on an invoice: Telegram keeps it from the user; the sandbox has the sendInvoice call. */
function findInvoicePayload(telegram: FakeTelegramServer, chatId: number, message: ChatMessage): string | undefined {
  const call = telegram.callsTo('sendInvoice', chatId).find((c) => (c.result as { message_id?: number } | undefined)?.message_id === message.message_id);
  return call ? String(call.params.payload) : undefined;
}

async function waitForAnswer(telegram: FakeTelegramServer, queryId: string): Promise<Record<string, unknown> | undefined> {
  const answered = () => telegram.callsTo('answerPreCheckoutQuery').find((c) => c.params.pre_checkout_query_id === queryId)?.params;
  try {
    await telegram.waitFor(() => answered() !== undefined, PRE_CHECKOUT_WAIT_MS);
  } catch {
    return undefined;
  }
  return answered();
}

/**
 * A Telegram Bot API of the project's own: the tests' fake and the sandbox's Telegram (`npm start`
 * without a token). A real HTTP server that grammY talks to through
 * `client: { apiRoot: fake.apiRoot }`. It records every call, answers with
 * Telegram-shaped results and errors (same descriptions, same HTTP statuses),
 * serves getUpdates long polling from a queue that tests fill, and can inject
 * failures (429 flood waits, blocked users, server errors).
 *
 * Where real Telegram would reject something because it does not know a chat,
 * message or file (chat never seen, message id never sent, foreign file_id),
 * the fake accepts it, so tests need no elaborate setup.
 */
import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message, Update, User, UserFromGetMe } from 'grammy/types';
import { FloodControl, type FloodControlOptions } from './flood-control';
import { invoiceProblem } from './invoice-checks';
import { waitFor } from './wait-for';

export interface RecordedCall {
  method: string;
  token: string;
  params: Record<string, unknown>;
  files: Record<string, { filename: string; size: number }>;
  at: number;
  result?: unknown;
  error?: { error_code: number; description: string };
  /** A wire fault the call met after Telegram processed it (see ConnectionFault): the client never saw `result`. */
  fault?: ConnectionFault;
}

export interface InjectedFailure {
  code: 429 | 403 | 400 | 500;
  description?: string;
  retryAfter?: number;
}

/**
 * What a flaky network does to a call Telegram has already processed (the message is in the chat):
 * `no-answer` keeps the connection open without ever answering (the client's wait runs out);
 * `reset-after` resets the connection instead of answering. Either way the client cannot know.
 */
export type ConnectionFault = 'no-answer' | 'reset-after';

/** Decides, call by call, what a call meets: an error answer, a wire fault, or (undefined) nothing. */
export type FaultInjector = (call: { method: string; params: Record<string, unknown> }) => InjectedFailure | ConnectionFault | undefined;

/** The user an incoming update comes from; first_name defaults to "Test User". */
export interface FakeUser {
  id: number;
  first_name?: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface FakeTelegramServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** When set, requests with another token get 401 like Telegram. */
  token?: string;
  botUser?: Partial<Pick<User, 'id' | 'first_name' | 'username'>>;
  /** A global send limit with Telegram-like flood control (see `flood-control.ts`); none by default. */
  floodControl?: FloodControlOptions;
  /**
   * Where update and message ids start (default 0): a sandbox restarted on the same database must
   * not hand out ids its leads' conversations already saw (they ignore a seen update_id).
   */
  firstUpdateId?: number;
  firstMessageId?: number;
  /** The provider tokens connected to the bot in BotFather; unset: any token of the right form is taken. */
  paymentProviderTokens?: string[];
  /**
   * Telegram's limit per group: about 20 messages a minute from the bot in one group; over it, a 429
   * whose retry_after runs until the oldest message of the window leaves it. None by default; tests
   * may shorten the window (e.g. 20 in 2 s) to see the pacing without waiting minutes.
   */
  groupLimit?: GroupLimitOptions;
}

export interface GroupLimitOptions {
  messagesPerWindow: number;
  /** 60 000 on Telegram. */
  windowMs: number;
}

/** The methods that put a message in a chat: what Telegram's broadcast limit counts. */
const SEND_METHODS = new Set(['sendMessage', 'sendPhoto', 'sendDocument', 'sendVideo', 'sendAudio', 'sendVoice', 'copyMessage']);
/** Methods that post in a group (a new topic posts its "topic created" message): what the per-group limit counts. */
const GROUP_POST_METHODS = new Set([...SEND_METHODS, 'forwardMessage', 'sendInvoice', 'createForumTopic']);
const NOT_A_FORUM = 'the chat is not a forum';
const THREAD_NOT_FOUND = 'message thread not found';

type Params = Record<string, unknown>;
type Files = RecordedCall['files'];
type Handler = (params: Params, files: Files, signal: AbortSignal) => unknown;

const BLOCKED = 'Forbidden: bot was blocked by the user';
const NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a content and reply markup of the current message';
const QUERY_INVALID = 'query is too old and response timeout expired or query ID is invalid';
const WEBHOOK_ACTIVE =
  "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
const POLL_TERMINATED =
  'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';
const TEXT_LIMIT = 4096;
const CAPTION_LIMIT = 1024;
const CALLBACK_DATA_LIMIT = 64;

class TelegramError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after: number },
  ) {
    super(description);
  }
}

const badRequest = (what: string) => new TelegramError(400, `Bad Request: ${what}`);

function injectedError(failure: InjectedFailure): TelegramError {
  switch (failure.code) {
    case 429: {
      const seconds = failure.retryAfter ?? 1;
      return new TelegramError(429, failure.description ?? `Too Many Requests: retry after ${seconds}`, {
        retry_after: seconds,
      });
    }
    case 403:
      return new TelegramError(403, failure.description ?? BLOCKED);
    case 400:
      return new TelegramError(400, failure.description ?? 'Bad Request: chat not found');
    case 500:
      return new TelegramError(500, failure.description ?? 'Internal Server Error');
  }
}

const now = () => Math.floor(Date.now() / 1000);

/** The bytes of each uploaded file, beside its recorded name and size (kept out of `RecordedCall.files`). */
const uploadedBytes = new WeakMap<object, Buffer>();

/** A message as the sandbox page shows it: what Telegram stored, by chat, in order. */
export type ChatMessage = Record<string, unknown> & { message_id: number; chat: { id: number } };

/** How long a chat action ("typing…") shows, as on Telegram: 5 seconds or until the next message. */
const CHAT_ACTION_MS = 5000;
const messageKey = (chatId: unknown, messageId: unknown) => `${String(chatId)}:${String(messageId)}`;

export class FakeTelegramServer {
  readonly calls: RecordedCall[] = [];
  /** What getMe answers. */
  readonly botUser: UserFromGetMe;
  /** The bot as the sender of a message (no getMe-only fields). */
  private readonly botFrom: User;

  private readonly token?: string;
  private readonly floodControl?: FloodControl;
  /** Messages that reached each chat (any send method), so a test can prove exactly-once cheaply. */
  private readonly deliveredByChat = new Map<number, number>();
  private tooManyRequestsCount = 0;
  private deliveredTotal = 0;
  /** Per method, what the next calls meet: a failure, or `null` for a call that goes through. */
  private readonly failures = new Map<string, (InjectedFailure | null)[]>();
  private readonly blocked = new Set<number>();
  private readonly chatMembers = new Map<string, string>();
  private readonly users = new Map<number, User>();
  /** Messages the fake knows (sent by the bot or pushed by tests), by "chat:message_id". */
  private readonly messages = new Map<string, Params>();
  private readonly deletedMessages = new Set<string>();
  /** Per chat, the last message_id used; private chats share one sequence for both sides. */
  private readonly lastMessageId = new Map<number, number>();
  /** Uploaded files by file_id, so a re-sent file_id comes back with its name and size. */
  private readonly knownFiles = new Map<string, Params>();
  /** Files users sent the bot, by file_id: getFile names their path, the file route serves their bytes. */
  private readonly userFiles = new Map<string, { path: string; content: Buffer }>();
  private readonly openCallbackQueries = new Set<string>();
  private readonly refundedCharges = new Set<string>();
  /** Pre-checkout queries waiting for their one answer (Telegram gives the bot 10 seconds). */
  private readonly openPreCheckouts = new Set<string>();
  /** Stars payments by charge id, with who paid: only these can be refunded, each once. */
  private readonly starCharges = new Map<string, { userId: number; amount: number }>();
  /** Files the bot uploaded, by file_id, with their bytes: the sandbox page offers them for download. */
  private readonly sentFiles = new Map<string, { name: string; content: Buffer }>();
  private readonly userFileNames = new Map<string, string>();
  /** Group chats by id (every other chat is a private chat with the user of that id). */
  private readonly groups = new Map<number, string>();
  /** Groups with topics on (forums), with their topics by message_thread_id. */
  private readonly forums = new Map<number, Map<number, { name: string; icon_color: number }>>();
  /** Per group, when the bot's recent posts arrived (the per-group limit's window). */
  private readonly groupPosts = new Map<number, number[]>();
  private readonly groupLimit?: GroupLimitOptions;
  /** Per chat, until when its last chat action ("typing…") shows. */
  private readonly actions = new Map<number, { action: string; until: number }>();
  private readonly listeners = new Set<(chatId: number) => void>();
  private preCheckoutCounter = 0;
  private readonly paymentProviderTokens?: string[];
  private chargeCounter = 0;
  private readonly pushed = new Map<number, Update>();
  /** Unconfirmed updates, sorted by update_id. Redeliveries are handed out once, whatever the offset. */
  private queue: Array<{ update: Update; redelivery: boolean }> = [];
  private readonly unpolledChats = new Set<number>();
  private waitingPoll?: (error?: TelegramError) => void;
  private lastUpdateId = 0;
  private readonly firstMessageId: number;
  private fileCounter = 0;
  private callbackCounter = 0;
  private webhookUrl = '';
  private stopped = false;
  private faultInjector?: FaultInjector;
  /** While set, new connections are refused (the listener is closed) until this promise's timer reopens it. */
  private refusing?: Promise<void>;

  private constructor(
    private readonly server: Server,
    readonly apiRoot: string,
    options: FakeTelegramServerOptions,
  ) {
    this.token = options.token;
    this.paymentProviderTokens = options.paymentProviderTokens;
    this.groupLimit = options.groupLimit;
    // Telegram's update ids never repeat for a bot; many servers (test files) share one database, so
    // each starts at a random point far from the others unless told where.
    this.lastUpdateId = options.firstUpdateId ?? randomInt(2 ** 40) * 1000;
    this.firstMessageId = options.firstMessageId ?? 0;
    if (options.floodControl) this.floodControl = new FloodControl(options.floodControl);
    // A real token starts with the bot's id ("123456:AA..."); use it when there is one.
    const idFromToken = Number(options.token?.split(':')[0]);
    this.botUser = {
      id: options.botUser?.id ?? (Number.isSafeInteger(idFromToken) && idFromToken > 0 ? idFromToken : 100000001),
      is_bot: true,
      first_name: options.botUser?.first_name ?? 'Test Bot',
      username: options.botUser?.username ?? 'test_bot',
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
    } as UserFromGetMe;
    const { id, first_name, username } = this.botUser;
    this.botFrom = { id, is_bot: true, first_name, username };
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch(() => res.destroy()); // e.g. the client vanished mid-body
    });
  }

  static async start(options: FakeTelegramServerOptions = {}): Promise<FakeTelegramServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    return new FakeTelegramServer(server, `http://127.0.0.1:${port}`, options);
  }

  /** Successful calls of `method`, optionally only those sent to `chatId`. */
  callsTo(method: string, chatId?: number): RecordedCall[] {
    return this.calls.filter(
      (call) =>
        call.method === method && call.result !== undefined && (chatId === undefined || call.params.chat_id === chatId),
    );
  }

  /** Messages chat `chatId` received, by any send method. */
  deliveredTo(chatId: number): number {
    return this.deliveredByChat.get(chatId) ?? 0;
  }

  /** Every chat that received a message, with how many. */
  deliveries(): ReadonlyMap<number, number> {
    return this.deliveredByChat;
  }

  /** Messages delivered to any chat. */
  get delivered(): number {
    return this.deliveredTotal;
  }

  /** 429 answers the flood control gave (injected ones not counted). */
  get tooManyRequests(): number {
    return this.tooManyRequestsCount;
  }

  failNext(method: string, failure: InjectedFailure, times = 1): void {
    const queued = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) queued.push(failure);
    this.failures.set(method, queued);
  }

  /** Lets the next `passing` calls of `method` through, then fails the one after them. */
  failAfter(method: string, passing: number, failure: InjectedFailure): void {
    const queued = this.failures.get(method) ?? [];
    for (let i = 0; i < passing; i++) queued.push(null);
    queued.push(failure);
    this.failures.set(method, queued);
  }

  /** Drops the failures still queued (all, or one method's), so a test's leftovers never reach the next test. */
  clearFailures(method?: string): void {
    if (method) this.failures.delete(method);
    else this.failures.clear();
  }

  /**
   * Lets `injector` decide, for every call from now on, whether it meets a fault (an error answer
   * like failNext's, or a ConnectionFault); none removes it. It is asked before failNext's queue.
   */
  setFaultInjector(injector?: FaultInjector): void {
    this.faultInjector = injector;
  }

  /**
   * Telegram unreachable for `ms`: new connections are refused and idle keep-alive connections
   * closed (calls already under way finish); then it listens again on the same port. Resolves when
   * it listens again.
   */
  refuseConnectionsFor(ms: number): Promise<void> {
    if (this.refusing) return this.refusing;
    const { port } = this.server.address() as AddressInfo;
    this.server.close();
    this.server.closeIdleConnections();
    this.refusing = new Promise<void>((resolve, reject) => {
      setTimeout(() => {
        this.refusing = undefined;
        if (this.stopped) return resolve();
        this.server.once('error', reject);
        this.server.listen(port, '127.0.0.1', () => {
          this.server.off('error', reject);
          resolve();
        });
      }, ms);
    });
    return this.refusing;
  }

  /** Makes a user a member of a group chat (getChatMember answers `member`; anyone else has `left`). */
  addChatMember(chatId: number, userId: number, status: 'creator' | 'administrator' | 'member' = 'member'): void {
    this.chatMembers.set(`${chatId}:${userId}`, status);
  }

  blockUser(chatId: number): void {
    this.blocked.add(chatId);
  }

  pushUpdate(update: Omit<Update, 'update_id'>): number {
    const full: Update = { update_id: ++this.lastUpdateId, ...update };
    this.pushed.set(full.update_id, full);
    this.learnFrom(full);
    this.enqueue({ update: full, redelivery: false });
    return full.update_id;
  }

  /** A private-chat text message; a leading /command gets its bot_command entity like Telegram adds. */
  pushText(from: FakeUser, text: string, options: { chatId?: number; threadId?: number } = {}): number {
    const command = /^\/\S+/.exec(text)?.[0];
    const message = {
      ...this.newMessage(options.chatId ?? from.id, { from: this.remember(from), text, ...this.inThread(options.chatId, options.threadId) }),
      ...(command && { entities: [{ type: 'bot_command', offset: 0, length: command.length }] }),
    };
    return this.pushUpdate({ message: message as unknown as Message & Update.NonChannel });
  }

  /** A private-chat message with any content (a voice note, a photo, a document with its caption…). */
  pushMessage(from: FakeUser, fields: Params): number {
    const message = this.newMessage(from.id, { from: this.remember(from), ...fields });
    return this.pushUpdate({ message: message as unknown as Message & Update.NonChannel });
  }

  /** A button press on `message` (a message in the private chat with `from`). */
  pushCallback(from: FakeUser, data: string, message?: { message_id: number }, options: { chatId?: number } = {}): number {
    const id = `${this.botUser.id}${++this.callbackCounter}`;
    const user = this.remember(from);
    const chatId = options.chatId ?? from.id;
    const shown = message && (this.messages.get(messageKey(chatId, message.message_id)) ?? {
      message_id: message.message_id,
      date: now(),
      chat: this.chat(chatId),
      from: this.botFrom,
    });
    return this.pushUpdate({
      callback_query: {
        id,
        from: user,
        chat_instance: String(chatId),
        data,
        ...(shown && { message: shown as unknown as Message }),
      },
    });
  }

  /**
   * The pre-checkout query Telegram sends when a user presses Pay on an invoice (Stars by default;
   * `currency` RUB etc. for Telegram Payments, `total_amount` then in minor units). `email`: what the
   * payer typed when the invoice asked for it (`need_email`).
   */
  pushPreCheckout(from: FakeUser, invoice: { payload: string; total_amount: number; currency?: string; email?: string }): { updateId: number; queryId: string } {
    const queryId = `pcq-${this.botUser.id}-${++this.preCheckoutCounter}`;
    const updateId = this.pushUpdate({
      pre_checkout_query: {
        id: queryId,
        from: this.remember(from),
        currency: invoice.currency ?? 'XTR',
        total_amount: invoice.total_amount,
        invoice_payload: invoice.payload,
        ...(invoice.email !== undefined && { order_info: { email: invoice.email } }),
      },
    });
    return { updateId, queryId };
  }

  /**
   * The service message a successful payment brings. Stars (the default): Telegram's charge id, which
   * `refundStarPayment` takes back once. Another currency (Telegram Payments through a provider
   * token): both Telegram's charge id and the provider's (`providerChargeId`, generated unless given);
   * the Bot API cannot refund those.
   */
  pushSuccessfulPayment(
    from: FakeUser,
    invoice: { payload: string; total_amount: number; currency?: string; providerChargeId?: string; email?: string },
  ): { updateId: number; chargeId: string; providerChargeId: string } {
    const currency = invoice.currency ?? 'XTR';
    // Telegram's charge ids are unique everywhere; tests share one database across many fakes.
    const unique = `${this.botUser.id}x${process.pid}x${Date.now().toString(36)}x${++this.chargeCounter}`;
    const chargeId = currency === 'XTR' ? `stxCharge${unique}` : `tgCharge${unique}`;
    const providerChargeId = currency === 'XTR' ? '' : (invoice.providerChargeId ?? `prov-${unique}`);
    if (currency === 'XTR') this.starCharges.set(chargeId, { userId: from.id, amount: invoice.total_amount });
    const message = this.newMessage(from.id, {
      from: this.remember(from),
      successful_payment: {
        currency,
        total_amount: invoice.total_amount,
        invoice_payload: invoice.payload,
        telegram_payment_charge_id: chargeId,
        provider_payment_charge_id: providerChargeId,
        ...(invoice.email !== undefined && { order_info: { email: invoice.email } }),
      },
    });
    const updateId = this.pushUpdate({ message: message as unknown as Message & Update.NonChannel });
    return { updateId, chargeId, providerChargeId };
  }

  /**
   * A file a user sends the bot (put it in a document message): getFile answers its path and the
   * download route `/file/bot<token>/<path>` its bytes, as Telegram does for files up to 20 MB.
   */
  addUserFile(fileName: string, content: string | Buffer): { file_id: string; file_unique_id: string; file_name: string; file_size: number } {
    const n = ++this.fileCounter;
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    const fileId = `BQACAgIAAxkBAAIuser${n}`;
    this.userFiles.set(fileId, { path: `documents/file_${n}${/\.[A-Za-z0-9]+$/.exec(fileName)?.[0] ?? ''}`, content: bytes });
    return { file_id: fileId, file_unique_id: `AgADuser${n}`, file_name: fileName, file_size: bytes.length };
  }

  /** An update as it was pushed, to hand to a bot directly (`bot.handleUpdate`) instead of polling. */
  pushedUpdate(updateId: number): Update {
    const update = this.pushed.get(updateId);
    if (!update) throw new Error(`pushedUpdate: update ${updateId} was never pushed`);
    return update;
  }

  /** Hand out an already pushed update once more, even if it was confirmed (Telegram may deliver twice). */
  redeliver(updateId: number): void {
    const update = this.pushed.get(updateId);
    if (!update) throw new Error(`redeliver: update ${updateId} was never pushed`);
    this.enqueue({ update, redelivery: true });
  }

  /** A phone number shared with Telegram's contact button: the user's own, in their private chat. */
  pushContact(from: FakeUser, phoneNumber: string): number {
    const user = this.remember(from);
    const contact = { phone_number: phoneNumber, first_name: user.first_name, user_id: user.id, ...(user.last_name && { last_name: user.last_name }) };
    const message = this.newMessage(from.id, { from: user, contact });
    return this.pushUpdate({ message: message as unknown as Message & Update.NonChannel });
  }

  /** A document or photo a user sends the bot in their private chat (getFile and the download route serve it). */
  pushFile(from: FakeUser, kind: 'document' | 'photo', file: { name: string; content: Buffer }, caption?: string): number {
    const stored = this.addUserFile(file.name, file.content);
    const media =
      kind === 'photo'
        ? { photo: [{ file_id: stored.file_id, file_unique_id: stored.file_unique_id, file_size: stored.file_size, width: 1280, height: 720 }] }
        : { document: stored };
    const message = this.newMessage(from.id, { from: this.remember(from), ...media, ...(caption && { caption }) });
    this.userFileNames.set(stored.file_id, file.name);
    return this.pushUpdate({ message: message as unknown as Message & Update.NonChannel });
  }

  /** A group chat the bot is in (e.g. the managers' chat): messages there come with its id and title; `forum`: topics on. */
  addGroup(chatId: number, title: string, options: { forum?: boolean } = {}): void {
    this.groups.set(chatId, title);
    if (options.forum) this.forums.set(chatId, this.forums.get(chatId) ?? new Map());
  }

  /** A forum's topics as the bot created them, by message_thread_id. */
  forumTopics(chatId: number): { threadId: number; name: string }[] {
    return [...(this.forums.get(chatId) ?? new Map<number, { name: string }>())].map(([threadId, topic]) => ({ threadId, name: topic.name }));
  }

  /** The messages a forum topic holds now (the "topic created" message first), oldest first. */
  topicMessages(chatId: number, threadId: number): ChatMessage[] {
    return this.chatMessages(chatId).filter((m) => m.message_thread_id === threadId);
  }

  /** The fields a message written in a forum topic carries, as Telegram sets them. */
  private inThread(chatId: number | undefined, threadId: number | undefined): Params {
    return chatId !== undefined && threadId !== undefined && this.forums.has(chatId) ? { message_thread_id: threadId, is_topic_message: true } : {};
  }

  /** The group chats, for the sandbox page. */
  groupChats(): { id: number; title: string }[] {
    return [...this.groups].map(([id, title]) => ({ id, title }));
  }

  /** Whether a user is in a group chat (see addChatMember). */
  isChatMember(chatId: number, userId: number): boolean {
    const status = this.chatMembers.get(`${chatId}:${userId}`);
    return status !== undefined && status !== 'left' && status !== 'kicked';
  }

  /** Every message a chat holds now, oldest first: edits show in place, deleted ones are gone. */
  chatMessages(chatId: number): ChatMessage[] {
    const prefix = `${chatId}:`;
    return [...this.messages]
      .filter(([key]) => key.startsWith(prefix))
      .map(([, message]) => message as ChatMessage)
      .sort((a, b) => a.message_id - b.message_id);
  }

  /** The chat action the bot shows in a chat now ("typing"), if any. */
  chatAction(chatId: number): string | undefined {
    const action = this.actions.get(chatId);
    return action && action.until > Date.now() ? action.action : undefined;
  }

  /** A file the bot sent, with its bytes, by file_id. */
  sentFile(fileId: string): { name: string; content: Buffer } | undefined {
    const fromUser = this.userFiles.get(fileId);
    return this.sentFiles.get(fileId) ?? (fromUser && { name: this.userFileNames.get(fileId) ?? fromUser.path, content: fromUser.content });
  }

  /** Called with the chat's id whenever a message in it appears, changes or goes, or the bot starts typing. */
  onChange(listener: (chatId: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once `predicate` holds (a throwing predicate counts as not yet); polls every 20 ms. */
  waitFor(predicate: () => boolean, timeoutMs = 10000): Promise<void> {
    return waitFor(predicate, timeoutMs, () => this.calls.slice(-10).map((c) => (c.error ? `${c.method} (${c.error.error_code})` : c.method)));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.waitingPoll?.(); // a pending long poll answers [] before its socket goes away
    await this.refusing;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // Let the [] reach the client before keep-alive sockets are cut.
      setImmediate(() => this.server.closeAllConnections());
    });
  }

  // --- HTTP plumbing ---

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.apiRoot);
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (download) return this.serveFile(res, download[1], download[2]);
    const route = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const body = await readBody(req);
    if (!route) return reply(res, new TelegramError(404, 'Not Found'));

    // Lets a long poll notice that its client went away (grammY aborts it on bot.stop()).
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });

    // Telegram matches method names case-insensitively; record the canonical spelling.
    const asked = route[2].toLowerCase();
    const method = Object.keys(this.handlers).find((name) => name.toLowerCase() === asked) ?? route[2];
    const call: RecordedCall = { method, token: route[1], params: {}, files: {}, at: Date.now() };
    this.calls.push(call);
    try {
      Object.assign(call, parseRequest(url, req.headers['content-type'], body));
      const fault = this.faultInjector?.({ method, params: call.params });
      if (typeof fault === 'object') throw injectedError(fault);
      call.result = await this.dispatch(call, gone.signal);
      if (SEND_METHODS.has(method) && typeof call.params.chat_id === 'number') {
        this.deliveredByChat.set(call.params.chat_id, this.deliveredTo(call.params.chat_id) + 1);
        this.deliveredTotal += 1;
      }
      if (fault) {
        // Processed, but the answer is lost on the way: reset now, or never answer (stop() cuts it).
        call.fault = fault;
        if (fault === 'reset-after') req.socket.resetAndDestroy();
        return;
      }
      reply(res, call.result);
    } catch (caught) {
      // A bug in the fake itself still answers like Telegram, with the cause in the description.
      const error =
        caught instanceof TelegramError ? caught : new TelegramError(500, `Internal Server Error: ${String(caught)}`);
      call.error = { error_code: error.code, description: error.description };
      reply(res, error);
    }
  }

  private serveFile(res: ServerResponse, token: string, path: string): void {
    const file = [...this.userFiles.values()].find((f) => f.path === path);
    if ((this.token !== undefined && token !== this.token) || !file) return reply(res, new TelegramError(404, 'Not Found'));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.content.length });
    res.end(file.content);
  }

  private dispatch(call: RecordedCall, signal: AbortSignal): unknown {
    if (this.token !== undefined && call.token !== this.token) throw new TelegramError(401, 'Unauthorized');
    if (!Object.hasOwn(this.handlers, call.method)) throw new TelegramError(404, 'Not Found');
    const handler = this.handlers[call.method];
    const failure = this.failures.get(call.method)?.shift();
    if (failure) throw injectedError(failure);
    if (this.floodControl && SEND_METHODS.has(call.method)) {
      const verdict = this.floodControl.admit(Date.now());
      if (!verdict.allowed) {
        this.tooManyRequestsCount += 1;
        throw injectedError({ code: 429, retryAfter: verdict.retryAfterSeconds });
      }
    }
    const chatId = call.params.chat_id;
    if (typeof chatId === 'number' && this.blocked.has(chatId) && call.method !== 'getChat') {
      throw new TelegramError(403, BLOCKED);
    }
    if (call.params.message_thread_id !== undefined && SEND_METHODS.has(call.method)) this.requireThread(chatId, call.params.message_thread_id);
    if (typeof chatId === 'number' && this.groups.has(chatId) && GROUP_POST_METHODS.has(call.method)) this.admitGroupPost(chatId);
    validateCallbackData(call.params.reply_markup);
    return handler(call.params, call.files, signal);
  }

  // --- Bot API methods ---

  private readonly handlers: Record<string, Handler> = {
    getMe: () => this.botUser,
    getUpdates: (params, _files, signal) => this.getUpdates(params, signal),
    deleteWebhook: (params) => {
      this.webhookUrl = '';
      if (params.drop_pending_updates === true) this.queue = [];
      return true;
    },
    setWebhook: (params) => {
      const url = typeof params.url === 'string' ? params.url : '';
      if (url && !url.startsWith('https://')) {
        throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
      }
      this.webhookUrl = url;
      if (params.drop_pending_updates === true) this.queue = [];
      return true;
    },
    getWebhookInfo: () => ({
      url: this.webhookUrl,
      has_custom_certificate: false,
      pending_update_count: this.queue.length,
    }),
    sendChatAction: (params) => {
      const chatId = this.requireChat(params);
      this.actions.set(chatId, { action: String(params.action ?? 'typing'), until: Date.now() + CHAT_ACTION_MS });
      this.changed(chatId);
      return true;
    },
    sendMessage: (params) => {
      const chatId = this.requireChat(params);
      return this.store(this.newMessage(chatId, { text: checkText(params.text), ...sentExtras(params) }));
    },
    sendDocument: (params, files) => this.sendMedia('document', params, files),
    sendPhoto: (params, files) => this.sendMedia('photo', params, files),
    sendVideo: (params, files) => this.sendMedia('video', params, files),
    sendAudio: (params, files) => this.sendMedia('audio', params, files),
    sendVoice: (params, files) => this.sendMedia('voice', params, files),
    copyMessage: (params) => {
      const chatId = this.requireChat(params);
      const copy = this.store(this.newMessage(chatId, { ...this.content(params), ...sentExtras(params) }));
      if (params.caption !== undefined) copy.caption = checkCaption(params.caption);
      return { message_id: copy.message_id };
    },
    forwardMessage: (params) => {
      const chatId = this.requireChat(params);
      const source = this.messages.get(messageKey(params.from_chat_id, params.message_id));
      const origin = { type: 'user', sender_user: source?.from ?? this.botFrom, date: source?.date ?? now() };
      return this.store(this.newMessage(chatId, { ...this.content(params), forward_origin: origin }));
    },
    answerCallbackQuery: (params) => {
      // Telegram accepts one answer per query; a second (or an unknown id) is refused.
      if (!this.openCallbackQueries.delete(String(params.callback_query_id))) throw badRequest(QUERY_INVALID);
      return true;
    },
    editMessageText: (params) => this.edit(params, { text: checkText(params.text) }),
    // No caption in the call removes the caption, as on Telegram.
    editMessageCaption: (params) =>
      this.edit(params, { caption: params.caption === undefined ? undefined : checkCaption(params.caption) }),
    editMessageReplyMarkup: (params) => this.edit(params, {}),
    deleteMessage: (params) => {
      const key = messageKey(this.requireChat(params), requireMessageId(params));
      if (this.deletedMessages.has(key)) throw badRequest('message to delete not found');
      this.deletedMessages.add(key);
      this.messages.delete(key);
      this.changed(Number(params.chat_id));
      return true;
    },
    sendInvoice: (params) => {
      const chatId = this.requireChat(params);
      const problem = invoiceProblem(params, this.paymentProviderTokens);
      if (problem) throw badRequest(problem);
      const prices = params.prices as Array<{ amount: number }>;
      const invoice = {
        title: params.title,
        description: params.description,
        start_parameter: params.start_parameter ?? '',
        currency: params.currency,
        total_amount: prices.reduce((sum, price) => sum + Number(price.amount ?? 0), 0),
      };
      return this.store(this.newMessage(chatId, { invoice, ...sentExtras(params) }));
    },
    answerPreCheckoutQuery: (params) => {
      if (typeof params.ok !== 'boolean') throw badRequest('ok is required');
      if (params.ok === false && !params.error_message) throw badRequest('ERROR_MESSAGE_EMPTY');
      // One answer per query; an unknown or already answered one is refused like a stale callback.
      if (!this.openPreCheckouts.delete(String(params.pre_checkout_query_id))) throw badRequest(QUERY_INVALID);
      return true;
    },
    refundStarPayment: (params) => {
      const charge = String(params.telegram_payment_charge_id ?? '');
      const paid = this.starCharges.get(charge);
      if (typeof params.user_id !== 'number') throw badRequest('USER_ID_INVALID');
      if (!paid || paid.userId !== params.user_id) throw badRequest('CHARGE_NOT_FOUND');
      if (this.refundedCharges.has(charge)) throw badRequest('CHARGE_ALREADY_REFUNDED');
      this.refundedCharges.add(charge);
      return true;
    },
    getFile: (params) => {
      const fileId = String(params.file_id);
      const file = this.userFiles.get(fileId);
      if (!file) throw badRequest('invalid file_id');
      if (file.content.length > 20 * 1024 * 1024) throw badRequest('file is too big');
      return { file_id: fileId, file_unique_id: `AgAD${fileId.slice(-8)}`, file_size: file.content.length, file_path: file.path };
    },
    getChat: (params) => ({ ...this.chat(this.requireChat(params)), accent_color_id: 0, max_reaction_count: 11 }),
    // A topic is opened by its service message, whose id is the topic's message_thread_id.
    createForumTopic: (params) => {
      const chatId = this.requireChat(params);
      const topics = this.forums.get(chatId);
      if (!topics) throw badRequest(NOT_A_FORUM);
      const name = checkTopicName(params.name);
      const icon_color = Number(params.icon_color ?? 7322096);
      const opened = this.newMessage(chatId, { forum_topic_created: { name, icon_color } });
      const threadId = opened.message_id;
      topics.set(threadId, { name, icon_color });
      this.store({ ...opened, message_thread_id: threadId, is_topic_message: true });
      return { message_thread_id: threadId, name, icon_color };
    },
    editForumTopic: (params) => {
      const chatId = this.requireChat(params);
      const topics = this.forums.get(chatId);
      if (!topics) throw badRequest(NOT_A_FORUM);
      const topic = topics.get(Number(params.message_thread_id));
      if (!topic) throw badRequest(THREAD_NOT_FOUND);
      if (params.name !== undefined) topic.name = checkTopicName(params.name);
      return true;
    },
    leaveChat: (params) => {
      this.requireChat(params);
      return true;
    },
    getChatMember: (params) => {
      const chatId = this.requireChat(params);
      const userId = Number(params.user_id);
      const status = this.chatMembers.get(`${chatId}:${userId}`) ?? 'left';
      return { status, user: this.users.get(userId) ?? { id: userId, is_bot: false, first_name: 'User' } };
    },
  };

  private async getUpdates(params: Params, signal: AbortSignal): Promise<Update[]> {
    if (this.webhookUrl) {
      throw new TelegramError(409, WEBHOOK_ACTIVE);
    }
    const offset = Number(params.offset ?? 0);
    if (offset > 0) this.queue = this.queue.filter((e) => e.redelivery || e.update.update_id >= offset);
    const limit = Math.min(Math.max(Number(params.limit ?? 100) || 100, 1), 100);
    const timeoutMs = Math.max(Number(params.timeout ?? 0) || 0, 0) * 1000;

    if (this.waitingPoll) {
      // Like Telegram, a newer getUpdates ends the one still waiting with 409. First give the
      // close event of a poll its client just aborted (grammY's bot.stop()) a moment to arrive.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    this.waitingPoll?.(new TelegramError(409, POLL_TERMINATED));
    if (this.queue.length === 0 && timeoutMs > 0 && !this.stopped) {
      await new Promise<void>((resolve, reject) => {
        const finish = (error?: TelegramError) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          if (this.waitingPoll === finish) this.waitingPoll = undefined;
          if (error) reject(error);
          else resolve();
        };
        const onAbort = () => finish();
        const timer = setTimeout(finish, timeoutMs);
        signal.addEventListener('abort', onAbort);
        this.waitingPoll = finish;
      });
    }
    // Nobody will read the answer: keep the updates queued rather than losing redeliveries.
    if (this.stopped || signal.aborted) return [];
    const batch = this.queue.slice(0, limit);
    this.queue = this.queue.filter((e) => !(e.redelivery && batch.includes(e)));
    return batch.map((e) => e.update);
  }

  private sendMedia(kind: 'document' | 'photo' | 'video' | 'audio' | 'voice', params: Params, files: Files): Params {
    const chatId = this.requireChat(params);
    const input = params[kind];
    const upload = files[kind];
    if (!upload && (typeof input !== 'string' || input === '')) throw badRequest(`there is no ${kind} in the request`);
    let file: Params;
    if (upload || typeof input !== 'string' || /^https?:\/\//.test(input)) {
      const prefix = kind === 'document' ? 'doc' : kind;
      const fileId = `${prefix}-${++this.fileCounter}`;
      file = { file_id: fileId, file_unique_id: `u${fileId}` };
      if (upload) file.file_size = upload.size;
      // Only these Telegram types carry a file name.
      if (upload && (kind === 'document' || kind === 'video' || kind === 'audio')) file.file_name = upload.filename;
      const bytes = upload && uploadedBytes.get(upload);
      if (bytes) this.sentFiles.set(fileId, { name: upload.filename, content: bytes });
      this.knownFiles.set(fileId, file);
    } else {
      file = this.knownFiles.get(input) ?? { file_id: input, file_unique_id: `u${input}` };
    }
    const media: Params = { ...file };
    if (kind === 'photo' || kind === 'video') Object.assign(media, { width: 1280, height: 720 });
    if (kind !== 'document' && kind !== 'photo') media.duration = Number(params.duration ?? 0);
    const content: Params = { [kind]: kind === 'photo' ? [media] : media };
    if (params.caption !== undefined) content.caption = checkCaption(params.caption);
    return this.store(this.newMessage(chatId, { ...content, ...sentExtras(params) }));
  }

  /** Shared by the editMessage* methods; `change` holds the new text or caption. */
  private edit(params: Params, change: Params): Params | true {
    if (params.inline_message_id !== undefined) return true;
    const chatId = this.requireChat(params);
    const messageId = requireMessageId(params);
    const key = messageKey(chatId, messageId);
    if (this.deletedMessages.has(key)) throw badRequest('message to edit not found');
    const current: Params = this.messages.get(key) ?? {
      message_id: messageId,
      date: now(),
      chat: this.chat(chatId),
      from: this.botFrom,
    };
    // Leaving reply_markup out of an edit removes the inline keyboard, as on Telegram.
    const markup = inlineMarkup(params.reply_markup);
    const next: Params = { ...current, ...change };
    delete next.reply_markup;
    if (markup) next.reply_markup = markup;
    const same = (field: string) => JSON.stringify(current[field]) === JSON.stringify(next[field]);
    if (same('text') && same('caption') && same('reply_markup')) throw badRequest(NOT_MODIFIED);
    next.edit_date = now();
    return this.store(next);
  }

  /** Telegram's per-group limit: over it, a 429 until the oldest post of the window leaves it. */
  private admitGroupPost(chatId: number): void {
    if (!this.groupLimit) return;
    const at = Date.now();
    const posts = (this.groupPosts.get(chatId) ?? []).filter((t) => t > at - this.groupLimit!.windowMs);
    this.groupPosts.set(chatId, posts);
    if (posts.length >= this.groupLimit.messagesPerWindow) {
      this.tooManyRequestsCount += 1;
      const seconds = Math.max(1, Math.ceil((posts[0] + this.groupLimit.windowMs - at) / 1000));
      throw injectedError({ code: 429, retryAfter: seconds });
    }
    posts.push(at);
  }

  /** A message_thread_id must name a topic of a forum, as on Telegram. */
  private requireThread(chatId: unknown, threadId: unknown): void {
    const topics = typeof chatId === 'number' ? this.forums.get(chatId) : undefined;
    if (!topics || typeof threadId !== 'number' || !topics.has(threadId)) throw badRequest(THREAD_NOT_FOUND);
  }

  // --- state helpers ---

  private requireChat(params: Params): number {
    if (typeof params.chat_id !== 'number') throw badRequest('chat not found');
    return params.chat_id;
  }

  private newMessage(chatId: number, fields: Params): Params & { message_id: number } {
    const messageId = (this.lastMessageId.get(chatId) ?? this.firstMessageId) + 1;
    this.lastMessageId.set(chatId, messageId);
    return { message_id: messageId, from: this.botFrom, chat: this.chat(chatId), date: now(), ...fields };
  }

  private store<M extends Params>(message: M): M {
    const chat = message.chat as { id: number };
    this.messages.set(messageKey(chat.id, message.message_id), message);
    if ((message.from as User | undefined)?.id === this.botUser.id) this.actions.delete(chat.id);
    this.changed(chat.id);
    return message;
  }

  private changed(chatId: number): void {
    for (const listener of this.listeners) listener(chatId);
  }

  /** The copyable content (text, caption, media) of the message that params.from_chat_id/message_id points at. */
  private content(params: Params): Params {
    const source = this.messages.get(messageKey(params.from_chat_id, params.message_id)) ?? {};
    const content = { ...source };
    for (const field of ['message_id', 'date', 'chat', 'from', 'reply_markup', 'edit_date', 'forward_origin']) {
      delete content[field];
    }
    return content;
  }

  private chat(chatId: number): Params {
    const title = this.groups.get(chatId);
    if (title !== undefined) return { id: chatId, type: 'supergroup', title };
    const user = this.users.get(chatId);
    const chat: Params = { id: chatId, type: 'private' };
    if (user) chat.first_name = user.first_name;
    if (user?.username) chat.username = user.username;
    return chat;
  }

  private remember(from: FakeUser): User {
    const user: User = { id: from.id, is_bot: false, first_name: from.first_name ?? 'Test User' };
    if (from.last_name !== undefined) user.last_name = from.last_name;
    if (from.username !== undefined) user.username = from.username;
    if (from.language_code !== undefined) user.language_code = from.language_code;
    this.users.set(user.id, user);
    return user;
  }

  /** Remembers what a pushed update reveals: users, messages, answerable callback queries. */
  private learnFrom(update: Update): void {
    const sender = update.message?.from ?? update.callback_query?.from ?? update.pre_checkout_query?.from;
    if (sender && typeof sender.id === 'number') {
      this.users.set(sender.id, sender);
      // A user who writes to the bot again has unblocked it.
      this.blocked.delete(sender.id);
    }
    // A malformed update (the fault suite's fuzzing) is queued as it is, just not remembered.
    if (update.message && typeof update.message.chat?.id === 'number') {
      const { chat, message_id } = update.message;
      this.store(update.message as unknown as Params & { message_id: number });
      this.lastMessageId.set(chat.id, Math.max(this.lastMessageId.get(chat.id) ?? 0, message_id));
    }
    if (update.callback_query) this.openCallbackQueries.add(update.callback_query.id);
    if (update.pre_checkout_query) this.openPreCheckouts.add(update.pre_checkout_query.id);
  }

  /**
   * Updates from these chats never reach getUpdates: a test hands them to a webhook itself while
   * the bot polls for the other chats (one fault then meets both ways of receiving updates).
   */
  keepFromPolling(chatId: number): void {
    this.unpolledChats.add(chatId);
  }

  private enqueue(entry: { update: Update; redelivery: boolean }): void {
    // A fuzzed update may lack any of these fields.
    const { message, callback_query } = entry.update as { message?: { chat?: { id?: number } }; callback_query?: { message?: { chat?: { id?: number } } } };
    const chat = message?.chat?.id ?? callback_query?.message?.chat?.id;
    if (chat !== undefined && this.unpolledChats.has(chat)) return;
    this.queue.push(entry);
    // grammY continues from the last update_id of a batch, so batches must stay in id order.
    this.queue.sort((a, b) => a.update.update_id - b.update.update_id);
    this.waitingPoll?.();
  }

  // --- command menus (setMyCommands, getMyCommands, deleteMyCommands), validated like Telegram ---

  /** Menus by scope and language, as the bot set them. */
  private readonly commandMenus = new Map<string, Params[]>();
  private readonly commandHandlers = Object.assign(this.handlers, {
    setMyCommands: (params: Params) => {
      const commands = params.commands;
      if (!Array.isArray(commands)) throw badRequest('parameter "commands" is required');
      if (commands.length > 100) throw badRequest('BOT_COMMANDS_TOO_MUCH');
      for (const c of commands as Params[]) {
        if (typeof c?.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(c.command)) throw badRequest('BOT_COMMAND_INVALID');
        const description = typeof c.description === 'string' ? c.description.trim() : '';
        if (description.length < 1 || description.length > 256) throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
      }
      this.commandMenus.set(menuKey(params), (commands as Params[]).map((c) => ({ command: c.command, description: c.description })));
      return true;
    },
    getMyCommands: (params: Params) => this.commandMenus.get(menuKey(params)) ?? [],
    deleteMyCommands: (params: Params) => {
      this.commandMenus.delete(menuKey(params));
      return true;
    },
  });

  /**
   * The menu a user sees in the private chat `chatId`, resolved as Telegram does: the chat's own
   * scope, then all private chats, then the default; at each, their language before no language.
   */
  menuSeenIn(chatId: number, languageCode = ''): string[] {
    const scopes = [{ type: 'chat', chat_id: chatId }, { type: 'all_private_chats' }, { type: 'default' }];
    for (const scope of scopes) {
      for (const language of languageCode ? [languageCode, ''] : ['']) {
        const menu = this.commandMenus.get(menuKey({ scope, language_code: language }));
        if (menu) return menu.map((c) => String(c.command));
      }
    }
    return [];
  }
}

const SCOPE_TYPES = new Set(['default', 'all_private_chats', 'all_group_chats', 'all_chat_administrators', 'chat', 'chat_administrators', 'chat_member']);

/** The key of a command menu: its scope (validated as Telegram does) and language. */
function menuKey(params: Params): string {
  const scope = (typeof params.scope === 'object' && params.scope !== null ? params.scope : { type: 'default' }) as Params;
  if (typeof scope.type !== 'string' || !SCOPE_TYPES.has(scope.type)) throw badRequest('BOT_COMMAND_SCOPE_INVALID');
  const needsChat = scope.type.startsWith('chat');
  if (needsChat && scope.chat_id === undefined) throw badRequest('chat not found');
  if (scope.type === 'chat_member' && typeof scope.user_id !== 'number') throw badRequest('USER_ID_INVALID');
  const language = typeof params.language_code === 'string' ? params.language_code : '';
  if (language !== '' && !/^[a-z]{2}$/.test(language)) throw badRequest('LANGUAGE_CODE_INVALID');
  return JSON.stringify([scope.type, needsChat ? Number(scope.chat_id) : null, scope.user_id ?? null, language]);
}


// --- validation ---

function checkText(text: unknown): string {
  const value = typeof text === 'string' ? text : '';
  if (value.trim() === '') throw badRequest('message text is empty');
  if (value.length > TEXT_LIMIT) throw badRequest('message is too long');
  return value;
}

/** A topic name: 1-128 characters, as Telegram takes it. */
function checkTopicName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '') throw badRequest('TOPIC_TITLE_EMPTY');
  if (name.length > 128) throw badRequest('TOPIC_TITLE_INVALID');
  return name;
}

function checkCaption(caption: unknown): string {
  const value = String(caption);
  if (value.length > CAPTION_LIMIT) throw badRequest('message caption is too long');
  return value;
}

function requireMessageId(params: Params): number {
  if (typeof params.message_id !== 'number') throw badRequest('message identifier is not specified');
  return params.message_id;
}

function validateCallbackData(markup: unknown): void {
  const rows = (markup as { inline_keyboard?: unknown } | undefined)?.inline_keyboard;
  if (!Array.isArray(rows)) return;
  for (const button of rows.flat() as Array<{ callback_data?: unknown }>) {
    const data = button?.callback_data;
    if (data === undefined) continue;
    const bytes = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : 0;
    if (bytes < 1 || bytes > CALLBACK_DATA_LIMIT) throw badRequest('BUTTON_DATA_INVALID');
  }
}

/** A sent Message only carries reply_markup when it is an inline keyboard. */
function inlineMarkup(markup: unknown): Params | undefined {
  return typeof markup === 'object' && markup !== null && 'inline_keyboard' in markup ? (markup as Params) : undefined;
}

/** Fields of a send call that Telegram echoes back in the returned Message. */
function sentExtras(params: Params): Params {
  const markup = inlineMarkup(params.reply_markup);
  return {
    ...(params.entities !== undefined && { entities: params.entities }),
    ...(params.caption_entities !== undefined && { caption_entities: params.caption_entities }),
    ...(markup && { reply_markup: markup }),
    // Checked before the call is handled (a topic of a forum): the message lands in that topic.
    ...(typeof params.message_thread_id === 'number' && { message_thread_id: params.message_thread_id, is_topic_message: true }),
  };
}

// --- request parsing ---

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, outcome: unknown): void {
  if (res.destroyed) return;
  const body =
    outcome instanceof TelegramError
      ? {
          ok: false,
          error_code: outcome.code,
          description: outcome.description,
          ...(outcome.parameters && { parameters: outcome.parameters }),
        }
      : { ok: true, result: outcome };
  res.writeHead(outcome instanceof TelegramError ? outcome.code : 200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Fields whose string value is free text or an id and must never be turned into a number or JSON. */
const STRING_FIELDS = new Set([
  'text', 'caption', 'title', 'description', 'payload', 'url', 'error_message', 'parse_mode', 'action',
  'callback_query_id', 'pre_checkout_query_id', 'telegram_payment_charge_id', 'inline_message_id',
  'start_parameter', 'provider_token', 'currency', 'secret_token',
  'document', 'photo', 'video', 'audio', 'voice', 'thumbnail',
]);

/** Form and query values are all strings; turn them back into what the JSON body would hold. */
function decodeField(key: string, value: string): unknown {
  if (STRING_FIELDS.has(key)) return value;
  if (/^-?\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\s*[[{]/.test(value)) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}

function parseRequest(url: URL, contentType: string | undefined, body: Buffer): { params: Params; files: Files } {
  const params: Params = {};
  let files: Files = {};
  for (const [key, value] of url.searchParams) params[key] = decodeField(key, value);
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('application/json') && body.length > 0) {
    try {
      Object.assign(params, JSON.parse(body.toString('utf8')) as Params);
    } catch {
      throw badRequest("can't parse JSON");
    }
  } else if (type.startsWith('application/x-www-form-urlencoded')) {
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params[key] = decodeField(key, value);
  } else if (type.startsWith('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
    const form = parseMultipart(body, boundary?.[1] ?? boundary?.[2] ?? '');
    for (const [key, value] of Object.entries(form.fields)) params[key] = decodeField(key, value);
    files = form.files;
  }
  if (typeof params.chat_id === 'string' && /^-?\d+$/.test(params.chat_id)) params.chat_id = Number(params.chat_id);
  // grammY uploads a file under a random part name and sets the parameter to "attach://<name>";
  // record such a file under the parameter name, which is what tests ask about.
  for (const [key, value] of Object.entries(params)) {
    const attached = typeof value === 'string' && value.startsWith('attach://') ? value.slice(9) : undefined;
    if (attached && files[attached]) {
      files[key] = files[attached];
      delete files[attached];
    }
  }
  return { params, files };
}

/**
 * A minimal multipart/form-data parser. Node's own (undici, via Request.formData()) rejects what
 * grammY sends: grammY writes "content-disposition:form-data;name=..." without spaces and leaves
 * the filename unquoted.
 */
function parseMultipart(body: Buffer, boundary: string): { fields: Record<string, string>; files: Files } {
  const fields: Record<string, string> = {};
  const files: Files = {};
  if (!boundary) return { fields, files };
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const partStart = start + delimiter.length;
    if (body.subarray(partStart, partStart + 2).toString() === '--') break; // closing delimiter
    const next = body.indexOf(delimiter, partStart);
    if (next === -1) break;
    // A part sits between the CRLF after one delimiter and the CRLF before the next.
    const part = body.subarray(partStart + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const content = part.subarray(headerEnd + 4);
    const disposition = /content-disposition:([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    const name = /(?:^|;)\s*name="([^"]*)"/i.exec(disposition)?.[1];
    const filename = /;\s*filename=(?:"([^"]*)"|([^\r\n]*))/i.exec(disposition);
    if (name !== undefined && filename) {
      const file = { filename: (filename[1] ?? filename[2]).trim(), size: content.length };
      uploadedBytes.set(file, Buffer.from(content));
      files[name] = file;
    } else if (name !== undefined) {
      fields[name] = content.toString('utf8');
    }
    start = next;
  }
  return { fields, files };
}

import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import pino from 'pino';
import { createBot } from '../../bot/bot';
import type { BotContext } from '../../bot/context';
import type { DraftApprovalDeps } from '../../bot/handoffs/draft-approvals';
import type { Handoffs } from '../../bot/handoffs/handoffs';
import type { PaymentWorkflowsPort } from '../../bot/payments/payment-workflows';
import type { Db } from '../../db/knex';
import type { InboundEvent } from '../../domain/inbound-event';
import type { FakeTelegramServer } from '../fakes/telegram-server';
import { uniqueUserId } from './db';

export const SECURITY_TOKEN = '123456:TEST-token-for-the-fake-server';
const silent = pino({ level: 'silent' });

export interface Person {
  id: number;
  is_bot: false;
  first_name: string;
  username: string;
}

export function person(name: string): Person {
  const id = uniqueUserId();
  return { id, is_bot: false, first_name: name, username: `${name.toLowerCase()}_${id}` };
}

export interface Chat {
  id: number;
  type: 'private' | 'group' | 'supergroup';
  title?: string;
}

export const privateChatOf = (who: { id: number }): Chat => ({ id: who.id, type: 'private' });
export const groupChat = (id: number, title = 'Some group'): Chat => ({ id, type: 'supergroup', title });

/** Payment workflows that only record what the bot asked of them: a refused command asks nothing. */
export function recordingPayments(): PaymentWorkflowsPort & { asked: string[] } {
  const asked: string[] = [];
  const note = (what: string) => (...args: unknown[]) => {
    asked.push(`${what} ${JSON.stringify(args)}`);
    return Promise.resolve(null as never);
  };
  return { asked, start: note('start'), paid: note('paid'), failed: note('failed'), flagged: note('flagged'), confirm: note('confirm'), cancel: note('cancel'), paidAfterClose: note('paidAfterClose'), paidForNoOrder: note('paidForNoOrder') };
}

/**
 * The real bot with every feature an attacker could reach (staff commands, handoff cards and
 * dialogs, /sendto, payment commands, anti-spam, group membership), driven through the fake Bot API:
 * updates are pushed to the fake (so a press can be answered like on Telegram) and handed to the bot.
 * What the bot gives the lead flow is recorded in `delivered`.
 */
export function securityBot(options: {
  fake: FakeTelegramServer;
  db: Db;
  owners: number[];
  managersChatId: number;
  handoffs?: Handoffs;
  /** Approval mode's buttons and replies in the managers' chat (system.ts wires them with `draftApprovalDeps`). */
  approvals?: DraftApprovalDeps;
  /** The anti-spam clock; by default 4 seconds pass between two updates, so no test floods by accident. */
  clock?: () => Date;
}) {
  let ticks = Date.UTC(2026, 11, 1, 9, 0, 0);
  const clock = options.clock ?? (() => new Date(ticks));
  const { fake, db, owners, managersChatId } = options;
  const delivered: InboundEvent[] = [];
  const payments = recordingPayments();
  const access = { db, owners, managersChatId };
  let instance: Bot<BotContext> | undefined;

  async function bot(): Promise<Bot<BotContext>> {
    if (instance) return instance;
    instance = createBot({
      token: SECURITY_TOKEN,
      apiRoot: fake.apiRoot,
      logger: silent,
      conversations: { deliver: async (event) => void delivered.push(event) },
      staff: { ...access, logger: silent },
      handoffs: options.handoffs,
      approvals: options.approvals,
      payments: { ...access, logger: silent, workflows: payments },
      antiSpam: { ...access, logger: silent, now: clock, timeZone: 'Europe/Moscow' },
    });
    await instance.init();
    return instance;
  }

  async function handle(updateId: number): Promise<void> {
    ticks += 4_000;
    await (await bot()).handleUpdate(fake.pushedUpdate(updateId));
  }

  let messageId = 1_000;
  return {
    delivered,
    payments,
    /** A text (a command gets its entity) from `from` in `chat`. */
    async say(from: Person, chat: Chat, text: string, replyTo?: number): Promise<void> {
      const command = /^\/\S+/.exec(text)?.[0];
      const message = {
        message_id: ++messageId,
        date: Math.floor(Date.now() / 1000),
        chat,
        from,
        text,
        ...(command && { entities: [{ type: 'bot_command', offset: 0, length: command.length }] }),
        ...(replyTo && { reply_to_message: { message_id: replyTo, date: 1, chat } }),
      };
      await handle(fake.pushUpdate({ message: message as never }));
    },
    /** A button press with any callback data on a message in `chat`; returns the answer's text ('' when none). */
    async press(from: Person, chat: Chat, data: string): Promise<string> {
      const query = { id: `cq-${Math.random().toString(36).slice(2)}`, from, chat_instance: String(chat.id), data, message: { message_id: 1, date: 1, chat } };
      await handle(fake.pushUpdate({ callback_query: query as never }));
      const answer = fake.callsTo('answerCallbackQuery').find((c) => c.params.callback_query_id === query.id);
      return String(answer?.params.text ?? '');
    },
    /** Someone adds the bot to a group (the my_chat_member update Telegram sends the bot). */
    async addedToGroup(by: Person, chat: Chat): Promise<void> {
      const botUser = { id: fake.botUser.id, is_bot: true, first_name: fake.botUser.first_name, username: fake.botUser.username };
      const change = {
        chat,
        from: by,
        date: Math.floor(Date.now() / 1000),
        old_chat_member: { status: 'left', user: botUser },
        new_chat_member: { status: 'member', user: botUser },
      };
      await handle(fake.pushUpdate({ my_chat_member: change as never } as Omit<Update, 'update_id'>));
    },
  };
}

/** What staff_audit holds about `actor`, oldest first. */
export function auditOf(db: Db, actor: number): Promise<{ command: string; allowed: boolean; reason: string | null; details: Record<string, unknown> }[]> {
  return db('staff_audit').where({ actor_telegram_id: actor }).orderBy('id').select('command', 'allowed', 'reason', 'details');
}

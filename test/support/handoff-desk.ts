import type { Update } from 'grammy/types';
import type { Activities } from '../../activities';
import { createBot } from '../../bot/bot';
import { Handoffs } from '../../bot/handoffs/handoffs';
import { setStaffRole } from '../../db/staff';
import { leadStateQuery } from '../../workflows/lead-conversation/contract';
import { uniqueUserId } from './db';
import { buttonsOf, MANAGERS_CHAT, type LeadHarness } from './lead-harness';
import { testWorker } from './temporal';
import { text, type TestUser } from './updates';

export interface Person {
  id: number;
  is_bot: false;
  first_name: string;
  username: string;
}

type WorkerOptions = Parameters<typeof testWorker>[3];

/**
 * The managers' side of handoff tests: staff members in Postgres, the bot they press and write to,
 * and readers of what the fake Telegram received about a lead.
 */
export function handoffDesk(h: LeadHarness) {
  /** A staff member with a role in Postgres; the owner comes from configuration. */
  async function staffMember(name: string, role: 'manager' | 'admin' | null): Promise<Person> {
    const person: Person = { id: uniqueUserId(), is_bot: false, first_name: name, username: `${name.toLowerCase()}_${Math.floor(Math.random() * 1e6)}` };
    if (role) await setStaffRole(h.db, person.id, role, 1);
    return person;
  }

  /**
   * An owner, two managers, the bot and a worker. `activities` replaces some of the worker's activities
   * (a gate around one), `worker` its options (another workflow bundle).
   */
  async function setup(change: { activities?: (real: Activities) => Partial<Activities>; worker?: WorkerOptions } = {}) {
    const owner = await staffMember('Owner', null);
    const [oleg, maria] = [await staffMember('Oleg', 'manager'), await staffMember('Maria', 'manager')];
    const staff = { db: h.db, owners: [owner.id], logger: h.logger };
    const bot = createBot({ token: '123456:TEST-token-for-the-fake-server', apiRoot: h.fake.apiRoot, conversations: h.conversations(), logger: h.logger, staff, handoffs: new Handoffs(h.env.client), leadCard: staff });
    await bot.init();
    const real = h.activities({ owners: [owner.id], leadWorkflows: h.env.client.workflow });
    const worker = await testWorker(h.env, h.taskQueue, { ...real, ...change.activities?.(real) }, change.worker);
    return { owner, oleg, maria, bot, worker };
  }

  /** The lead's cards in the managers' chat, oldest first. */
  const cardsAbout = (lead: TestUser) => h.fake.callsTo('sendMessage', MANAGERS_CHAT).filter((c) => String(c.params.text).includes(`(id ${lead.id})`));
  const privateTexts = (person: { id: number }) => h.fake.callsTo('sendMessage', person.id).map((c) => String(c.params.text));

  /** A press on a card button, registered with the fake so its answer is accepted like Telegram's. */
  async function pressCard(bot: Awaited<ReturnType<typeof setup>>['bot'], by: Person, data: string): Promise<string> {
    const query = { id: `cq-${Math.random().toString(36).slice(2)}`, from: by, chat_instance: 'managers', data, message: { message_id: 1, date: 1, chat: { id: MANAGERS_CHAT, type: 'supergroup', title: 'Managers' } } };
    const updateId = h.fake.pushUpdate({ callback_query: query as never });
    await bot.handleUpdate({ update_id: updateId, callback_query: query } as unknown as Update);
    const answer = h.fake.callsTo('answerCallbackQuery').find((c) => c.params.callback_query_id === query.id);
    return String(answer?.params.text ?? '');
  }

  /** The Take button of the lead's first card. */
  const takeData = (lead: TestUser) => (buttonsOf(cardsAbout(lead)[0]).find((b) => b.text.includes('Взять'))?.callback_data ?? '') as string;

  async function askForManager(lead: TestUser, cards = 1): Promise<void> {
    await h.conversations().deliver(text(lead, '/start'));
    await h.conversations().deliver(text(lead, 'позовите менеджера'));
    await h.fake.waitFor(() => cardsAbout(lead).length === cards);
  }

  const events = async (telegramUserId: number) =>
    (await h.db('events as e').join('leads as l', 'l.id', 'e.lead_id').where('l.telegram_user_id', telegramUserId).orderBy('e.id').select('e.type', 'e.payload')) as { type: string; payload: Record<string, unknown> }[];

  async function leadIdOf(lead: TestUser): Promise<number> {
    return Number((await h.db('leads').where({ telegram_user_id: lead.id }).first('id')).id);
  }

  /** The workflow id of the lead's open handoff, as the conversation knows it. */
  async function openHandoffId(lead: TestUser): Promise<string> {
    return (await h.env.client.workflow.getHandle(`lead-${lead.id}`).query(leadStateQuery)).handoff?.workflowId as string;
  }

  /** Waits for the lead's latest handoff to end while the worker runs, so nothing of it is left for the next test. */
  async function handoffEnded(lead: TestUser): Promise<{ outcome: string; summary: string }> {
    const { workflow_id: id } = await h.db('handoffs').where({ lead_id: await leadIdOf(lead) }).orderBy('id', 'desc').first('workflow_id');
    return h.env.client.workflow.getHandle(id).result();
  }

  return { staffMember, setup, cardsAbout, privateTexts, pressCard, takeData, askForManager, events, leadIdOf, openHandoffId, handoffEnded };
}

/** A message from a staff member in their private chat with the bot, optionally a reply. */
export function privateMessage(by: Person, body: string, replyTo?: number): Update {
  const chat = { id: by.id, type: 'private', first_name: by.first_name };
  const command = /^\/\S+/.exec(body)?.[0];
  return {
    update_id: Math.floor(Math.random() * 1e9),
    message: {
      message_id: Math.floor(Math.random() * 1e6),
      date: Math.floor(Date.now() / 1000),
      chat,
      from: by,
      text: body,
      ...(command && { entities: [{ type: 'bot_command', offset: 0, length: command.length }] }),
      ...(replyTo && { reply_to_message: { message_id: replyTo, date: 1, chat } }),
    },
  } as unknown as Update;
}

/** Polls a check of Postgres or Temporal in real time (no clock skipping) until it holds. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  for (const started = Date.now(); !(await check()); await new Promise((resolve) => setTimeout(resolve, 50))) {
    if (Date.now() - started > timeoutMs) throw new Error(`the condition did not hold within ${timeoutMs} ms`);
  }
}

import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { Api } from 'grammy';
import pino from 'pino';
import { createActivities, type ActivityDeps } from '../../activities';
import { LeadConversations } from '../../bot/leads/lead-conversations';
import { telegramFileDownloader } from '../../bot/telegram-files';
import type { Db } from '../../db/knex';
import { FakeTelegramServer, type RecordedCall } from '../fakes/telegram-server';
import { testDb, uniqueUserId } from './db';
import { testWorker, timeSkippingEnv } from './temporal';
import type { TestUser } from './updates';
import { handoffChain, handoffWorkflowId } from '../../workflows/manager-handoff/contract';
import { leadStateQuery, leadWorkflowId } from '../../workflows/lead-conversation/contract';
import type { WorkflowHandle } from '@temporalio/client';

export const TEST_TOKEN = '123456:TEST-token-for-the-fake-server';
export const MANAGERS_CHAT = -100777;
/** "Now" for schedule answers in tests: before the January 2027 enrolment deadline. */
export const TEST_TODAY = new Date('2026-12-01T09:00:00Z');

/**
 * Everything a lead-conversation test needs: the time-skipping server, the fake Bot API, the
 * test database, and helpers that read what the fake received. One per test file.
 */
export class LeadHarness {
  readonly logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  taskQueue = '';

  private constructor(
    public env: TestWorkflowEnvironment,
    readonly fake: FakeTelegramServer,
    readonly db: Db,
  ) {}

  static async start(): Promise<LeadHarness> {
    const [env, fake] = await Promise.all([timeSkippingEnv(), FakeTelegramServer.start({ token: TEST_TOKEN })]);
    return new LeadHarness(env, fake, testDb());
  }

  async stop(): Promise<void> {
    await Promise.all([this.env.teardown(), this.fake.stop(), this.db.destroy()]);
  }

  /**
   * A fresh time-skipping server for the next test. The server stops skipping time for good once a
   * workflow it holds is terminated with an activity in flight (as ending a test's conversations can
   * do), so no test inherits another's server.
   */
  async renewEnv(): Promise<void> {
    const previous = this.env;
    this.env = await timeSkippingEnv();
    await previous.teardown().catch(() => undefined);
  }

  /** A fresh task queue per test, so workers of different tests never share work. */
  newTaskQueue(): void {
    this.taskQueue = `lead-test-${Math.random().toString(36).slice(2)}`;
  }

  activities(overrides: Partial<ActivityDeps> = {}) {
    return createActivities({
      db: this.db,
      logger: this.logger,
      api: new Api(TEST_TOKEN, { apiRoot: this.fake.apiRoot }),
      managersChatId: MANAGERS_CHAT,
      now: () => TEST_TODAY,
      downloadFile: telegramFileDownloader(TEST_TOKEN, this.fake.apiRoot),
      ...overrides,
    });
  }

  worker(overrides: Partial<ActivityDeps> = {}, options: Parameters<typeof testWorker>[3] = {}): Promise<Worker> {
    return testWorker(this.env, this.taskQueue, this.activities(overrides), options);
  }

  conversations(): LeadConversations {
    return new LeadConversations(this.env.client, this.taskQueue, this.logger);
  }

  private leadsOfThisTest: number[] = [];

  newLead(overrides: Partial<TestUser> = {}): TestUser {
    const lead = { id: uniqueUserId(), first_name: 'Анна', username: 'anna_invests', language_code: 'ru', ...overrides };
    this.leadsOfThisTest.push(lead.id);
    return lead;
  }

  /**
   * Ends the conversations a test started. Their timers would otherwise fire during a later test's
   * time skip on a task queue nobody polls, and the time-skipping server does not skip past a
   * workflow task nobody can complete: the later test's sleep would hang.
   */
  async endConversations(): Promise<void> {
    const ids = this.leadsOfThisTest.splice(0);
    // Their handoffs too (`handoff-<lead id>-<n>`, even one whose row is not written yet): a handoff's
    // SLA and silence timers would outlive the test just the same.
    const leadIds: number[] = ids.length ? (await this.db('leads').whereIn('telegram_user_id', ids).pluck('id')).map(Number) : [];
    const rows: string[] = leadIds.length ? await this.db('handoffs').whereIn('lead_id', leadIds).pluck('workflow_id') : [];
    // Handoff ids carry the conversation's chain (`handoff-<lead id>-<chain>-<n>`), made of its first run's
    // id. Read from the history, not asked by a query: with no worker left a query would never be answered.
    const chains = await Promise.all(
      ids.map(async (id) => {
        const history = await this.env.client.workflow.getHandle(`lead-${id}`).fetchHistory().catch(() => undefined);
        const first = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId;
        return first ? handoffChain(first) : undefined;
      }),
    );
    const handoffs = [
      ...new Set([
        ...rows,
        ...leadIds.flatMap((leadId) =>
          [1, 2, 3].flatMap((n) => [`handoff-${leadId}-${n}`, ...chains.filter((chain): chain is string => !!chain).map((chain) => handoffWorkflowId(leadId, n, chain))]),
        ),
      ]),
    ];
    await Promise.all(
      [...ids.map((id) => `lead-${id}`), ...handoffs].map((id) => this.env.client.workflow.getHandle(id).terminate('test finished').catch(() => undefined)),
    );
  }

  /**
   * Ends the test's conversations once the lead's handoff has announced itself, while the worker still
   * runs. Call it last inside `runUntil`: a workflow left with a task or an activity for a stopped worker
   * keeps the time-skipping server from skipping time in the tests after it, even once terminated.
   */
  async endAfterHandoffAnnounced(user: TestUser): Promise<void> {
    const announced = async () =>
      Number(
        (await this.db('events as e').join('leads as l', 'l.id', 'e.lead_id').where({ 'l.telegram_user_id': user.id, 'e.type': 'handoff_announced' }).count('* as n'))[0].n,
      );
    // Posted or refused: either way the card's activity has run.
    const cards = () => this.fake.calls.filter((c) => c.method === 'sendMessage' && c.params.chat_id === MANAGERS_CHAT && String(c.params.text).includes(`(id ${user.id})`));
    await this.fake.waitFor(() => cards().length > 0 && cards().every((c) => c.result !== undefined || c.error !== undefined));
    for (const started = Date.now(); (await announced()) === 0; await new Promise((resolve) => setTimeout(resolve, 25))) {
      if (Date.now() - started > 10_000) throw new Error(`the handoff of lead ${user.id} was not announced within 10 s`);
    }
    await this.endConversations();
  }

  /**
   * Waits until the lead's conversation has nothing in flight: its history ends in a completed
   * workflow task with every activity it scheduled finished, and its inbox is empty. Then everything
   * its past events could cause has been sent, so a test can assert that nothing more arrived
   * without guessing how long to wait.
   */
  async idle(user: TestUser, timeoutMs = 30_000): Promise<void> {
    const handle = this.env.client.workflow.getHandle(leadWorkflowId(user.id));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await settled(handle)) return;
      if (Date.now() > deadline) throw new Error(`the conversation of ${user.id} is still busy after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  sent(method: string, user: TestUser): RecordedCall[] {
    return this.fake.callsTo(method, user.id);
  }

  texts(user: TestUser): string[] {
    return this.sent('sendMessage', user).map((call) => String(call.params.text));
  }

  /** Waits for the fake to have `count` calls of a kind for the lead (I/O, not a timer). */
  until(method: string, user: TestUser, count: number): Promise<void> {
    return this.fake.waitFor(() => this.sent(method, user).length >= count);
  }
}

export function buttonsOf(call: { params: Record<string, unknown> }): { text: string; callback_data?: string; url?: string }[] {
  return ((call.params.reply_markup as { inline_keyboard?: { text: string; callback_data?: string; url?: string }[][] })?.inline_keyboard ?? []).flat();
}

/**
 * Registers one harness for the test file (`serverPerTest`: a time-skipping server of its own for
 * each test, for files whose tests leave handoffs behind; keep `h.env` out of `beforeAll` there) (started before all, stopped after all, a fresh task queue
 * before each test, its conversations ended after each) and returns it. The harness starts
 * asynchronously, so what comes back is a stand-in that forwards to it once it exists.
 */
export function useLeadHarness(options: { serverPerTest?: boolean } = {}): LeadHarness {
  let harness: LeadHarness | undefined;
  let used = false;
  beforeAll(async () => {
    harness = await LeadHarness.start();
  });
  afterAll(() => harness?.stop());
  beforeEach(async () => {
    harness?.newTaskQueue();
    // The first test has the server started by beforeAll.
    if (harness && used && options.serverPerTest) await harness.renewEnv();
    used = true;
  });
  afterEach(() => harness?.endConversations());
  return new Proxy({} as LeadHarness, {
    get(_target, key) {
      if (!harness) throw new Error('the lead harness is used before beforeAll started it');
      const value = Reflect.get(harness, key, harness);
      // Methods are bound to the harness; fields (the knex instance is a function too) pass as they are.
      return typeof value === 'function' && Object.hasOwn(LeadHarness.prototype, key) ? value.bind(harness) : value;
    },
  });
}

/** No workflow task waiting, no activity running, nothing queued in the conversation's inbox. */
async function settled(handle: WorkflowHandle): Promise<boolean> {
  const events = (await handle.fetchHistory()).events ?? [];
  const open = new Set<string>();
  let taskPending = false;
  for (const event of events) {
    const id = String(event.eventId);
    if (event.workflowTaskScheduledEventAttributes) taskPending = true;
    if (event.workflowTaskCompletedEventAttributes || event.workflowTaskFailedEventAttributes || event.workflowTaskTimedOutEventAttributes) taskPending = false;
    if (event.activityTaskScheduledEventAttributes) open.add(id);
    const closed =
      event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes ?? event.activityTaskCanceledEventAttributes;
    if (closed?.scheduledEventId) open.delete(String(closed.scheduledEventId));
  }
  if (taskPending || open.size > 0) return false;
  const view = await handle.query(leadStateQuery);
  return view.pendingEvents === 0;
}

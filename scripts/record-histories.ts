/**
 * Records the event histories that the replay test replays (test/histories/*.json).
 * Run after a deliberate, patched change to a workflow:  npx tsx scripts/record-histories.ts [lead|payment|handoff|campaign|instalments|post-sale]
 * (no argument: every history; `lead`, `payment`, `handoff` or `campaign`: only those; `instalments`, `mode`,
 * `post-sale`, `stray-money`, `voice`, `knowledge`, `desk`, `profile` and `reply` record only their own new files, so older histories stay as production ran them).
 * It drives each workflow through its paths on the time-skipping server with the fake Telegram
 * server and the test database, then saves each history as JSON.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { Api } from 'grammy';
import pino from 'pino';
import { createActivities } from '../activities';
import { LeadConversations } from '../bot/leads/lead-conversations';
import { createDb, ensureDatabase, migrateLatest } from '../db/knex';
import OpenAI from 'openai';
import { FAKE_AUDIO_PREFIX, FakeOpenAIServer, realmSafeFetch } from '../test/fakes/openai-server';
import { telegramFileDownloader } from '../bot/telegram-files';
import { FakeTelegramServer } from '../test/fakes/telegram-server';
import { TEST_DATABASE_URL } from '../test/support/paths';
import { press, text, toEvent } from '../test/support/updates';
import { createOrder } from '../activities/payments';
import { PaymentWorkflows } from '../bot/payments/payment-workflows';
import { upsertLead } from '../db/leads';
import type { Db } from '../db/knex';
import { seedCatalogue } from '../db/seed';
import { leadStateQuery, leadWorkflowId } from '../workflows/lead-conversation/contract';
import { paymentStateQuery, paymentWorkflowId } from '../workflows/payment/contract';
import { Handoffs } from '../bot/handoffs/handoffs';
import { temporalTestServerPath } from './temporal-binaries';
import { seedCampaign, seedLeads } from '../test/support/campaigns';
import { broadcastCampaignWorkflow } from '../workflows/broadcast-campaign/workflow';
import { campaignWorkflowId, pauseCampaignSignal, pickWinnerSignal, resumeCampaignSignal } from '../workflows/broadcast-campaign/contract';
import { createCampaign, withdrawCampaign } from '../db/campaigns';

const TOKEN = '123456:RECORDING-token-for-the-fake-server';
const OUT_DIR = join(__dirname, '..', 'test', 'histories');

async function main(only = process.argv[2]): Promise<void> {
  await ensureDatabase(TEST_DATABASE_URL);
  const db = createDb(TEST_DATABASE_URL);
  await migrateLatest(db);
  await seedCatalogue(db);
  const fake = await FakeTelegramServer.start({ token: TOKEN });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
  });
  const logger = pino({ level: 'silent' });
  const taskQueue = 'record-histories';
  // A worker runs once: each recording that needs its own run makes another.
  /** A worker; given a fake OpenAI server, its activities have a model (and hear voice notes) through it. */
  const newWorker = (model?: FakeOpenAIServer) =>
    Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../workflows'),
      activities: createActivities({
        db,
        logger,
        api: new Api(TOKEN, { apiRoot: fake.apiRoot }),
        managersChatId: -100,
        ...(model && {
          openai: new OpenAI({ apiKey: 'sk-record', baseURL: model.baseUrl, maxRetries: 0, fetch: realmSafeFetch }),
          model: 'record-model',
          downloadFile: telegramFileDownloader(TOKEN, fake.apiRoot),
        }),
      }),
    });
  const conversations = new LeadConversations(env.client, taskQueue, logger);
  const newLead = () => ({ id: 990_000_000 + Math.floor(Math.random() * 1_000_000), first_name: 'Replay', language_code: 'ru' });
  const sentTo = (lead: { id: number }) => fake.callsTo('sendMessage', lead.id);
  /** Delivers an event and waits until the lead has at least `count` messages. */
  const drive = async (event: ReturnType<typeof text>, lead: { id: number }, count: number) => {
    await conversations.deliver(event);
    await fake.waitFor(() => sentTo(lead).length >= count, 20_000);
  };

  const save = async (name: string, workflowId: string, runId?: string) => {
    const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const file = join(OUT_DIR, `${name}.json`);
    // protobufjs's own JSON form: the SDK's historyToJSON trips over two copies of protobufjs
    // in this dependency tree; the replay test reads it back with History.fromObject.
    writeFileSync(file, `${JSON.stringify(history, null, 1)}\n`);
    console.log(`recorded ${history.events?.length} events to ${file}`);
  };
  if (only === undefined || only === 'reset') {
    await (await newWorker()).runUntil(async () => {
      // /reset erases the lead: the run whose history holds their texts continues as new (patch reset-continues-as-new).
      const lead = newLead();
      const more = () => sentTo(lead).length + 1;
      await drive(text(lead, '/start replay'), lead, 1);
      await drive(text(lead, 'мой телефон +7 912 345-67-89'), lead, more());
      await drive(text(lead, '/reset'), lead, more());
      const handle = env.client.workflow.getHandle(leadWorkflowId(lead.id));
      const firstRun = (await handle.describe()).runId;
      await drive(press(lead, 'sys:reset_yes'), lead, more() + 1);
      for (const started = Date.now(); (await handle.describe()).runId === firstRun; await new Promise((resolve) => setTimeout(resolve, 50))) {
        if (Date.now() - started > 20_000) throw new Error('the conversation did not continue as new after /reset');
      }
      await save('lead-conversation-reset-continues-as-new', leadWorkflowId(lead.id), firstRun);
      await handle.terminate('recorded');
    });
    if (only === 'reset') return finish();
  }
  if (only === 'reply') {
    await (await newWorker()).runUntil(async () => {
      // Each update recorded by its answer's send (patch reply-records-inbound), a local activity (patch
      // reply-sent-locally; lead-conversation-reply-records-inbound.json was recorded before it): a command, a button with a
      // document, a text the knowledge base answers, /stop (its opt-out written first), a stale button.
      const lead = newLead();
      const more = () => sentTo(lead).length + 1;
      await drive(text(lead, '/start replay'), lead, 1);
      await drive(text(lead, '/help'), lead, more());
      await conversations.deliver(press(lead, 'greeting:bonus'));
      await fake.waitFor(() => fake.callsTo('sendDocument', lead.id).length === 1, 20_000);
      await drive(text(lead, 'Можно ли вернуть деньги за курс?'), lead, more());
      await drive(text(lead, '/stop'), lead, more());
      const inbound = async () => Number((await db('messages').where({ chat_id: lead.id, direction: 'in' }).count<{ n: string }[]>({ n: '*' }))[0].n);
      await drive(press(lead, 'nowhere:stale'), lead, more());
      for (const started = Date.now(); (await inbound()) < 6; await new Promise((resolve) => setTimeout(resolve, 50))) {
        if (Date.now() - started > 20_000) throw new Error('an update was not recorded');
      }
      await save('lead-conversation-reply-sent-locally', leadWorkflowId(lead.id));
      await env.client.workflow.getHandle(leadWorkflowId(lead.id)).terminate('recorded');
    });
    return finish();
  }
  if (only === 'mode') {
    await (await newWorker()).runUntil(async () => {
      // The conversation writes its mode to the lead's row when it changes (patch conversation-mode-recorded): bot, then opted out.
      const lead = newLead();
      await drive(text(lead, '/start replay'), lead, 1);
      await drive(text(lead, '/stop'), lead, sentTo(lead).length + 1);
      const row = async () => (await db('leads').where({ telegram_user_id: lead.id }).first('conversation_mode'))?.conversation_mode;
      for (const started = Date.now(); (await row()) !== 'opted_out'; await new Promise((resolve) => setTimeout(resolve, 50))) {
        if (Date.now() - started > 20_000) throw new Error('the conversation did not write its mode');
      }
      await save('lead-conversation-mode-recorded', leadWorkflowId(lead.id));
      await env.client.workflow.getHandle(leadWorkflowId(lead.id)).terminate('recorded');
    });
    return finish();
  }
  if (only === undefined || only === 'payment') await recordPayment(env, await newWorker(), db, fake, taskQueue, save);
  if (only === undefined || only === 'campaign') await recordCampaign(env, await newWorker(), db, fake, taskQueue, save);
  if (only === undefined || only === 'campaign') await recordAbCampaign(env, await newWorker(), db, taskQueue, save);
  if (only === undefined || only === 'campaign-withdrawn') await recordWithdrawnCampaign(env, await newWorker(), db, fake, taskQueue, save);
  if (only === undefined || only === 'instalments') await recordInstalments(env, await newWorker(), db, fake, taskQueue, save);
  if (only === undefined || only === 'post-sale') {
    await (await newWorker()).runUntil(async () => {
      // Paid: the warm-up follow-ups stop and the post-sale day-1 message goes out.
      const lead = newLead();
      await drive(text(lead, '/start replay'), lead, 1);
      await env.client.workflow.getHandle(leadWorkflowId(lead.id)).signal('domainEvent', { id: 'payment-1-paid', name: 'payment_paid', payload: { orderId: 1 } });
      await env.sleep('36h');
      await fake.waitFor(() => sentTo(lead).some((c) => String(c.params.text).includes('первые шаги')), 20_000);
      await save('lead-conversation-post-sale', leadWorkflowId(lead.id));
      await env.client.workflow.getHandle(leadWorkflowId(lead.id)).terminate('recorded');
    });
  }
  if (only === undefined || only === 'scenario-timer') {
    await (await newWorker()).runUntil(async () => {
      // The bonus step's `then` as a deadline (patch scenario-step-timer), then continue-as-new after
      // the third event, checking the scenario file without retrying a broken one (patch scenario-candidate).
      const lead = newLead();
      const handle = await env.client.workflow.signalWithStart('leadConversationWorkflow', {
        workflowId: leadWorkflowId(lead.id),
        taskQueue,
        args: [{ telegramUserId: lead.id, chatId: lead.id, maxEventsPerRun: 3 }],
        signal: 'inbound',
        signalArgs: [text(lead, '/start replay')],
      });
      await fake.waitFor(() => sentTo(lead).length >= 1, 20_000);
      await conversations.deliver(press(lead, 'greeting:bonus'));
      await fake.waitFor(() => fake.callsTo('sendDocument', lead.id).length === 1, 20_000);
      await env.sleep('3s');
      await fake.waitFor(() => sentTo(lead).length >= 2, 20_000); // the opening question, by the timer
      await drive(press(lead, 'opening:manage_money'), lead, 3);
      const firstRun = env.client.workflow.getHandle(leadWorkflowId(lead.id), handle.signaledRunId);
      for (let tries = 0; (await firstRun.describe()).status.name === 'RUNNING'; tries++) {
        if (tries > 400) throw new Error('the conversation did not continue as new');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const history = await firstRun.fetchHistory();
      const file = join(OUT_DIR, 'lead-conversation-scenario-timer.json');
      writeFileSync(file, `${JSON.stringify(history, null, 1)}\n`);
      console.log(`recorded ${history.events?.length} events to ${file}`);
      await env.client.workflow.getHandle(leadWorkflowId(lead.id)).terminate('recorded');
    });
  }
  if (only === undefined || only === 'voice') {
    // A voice note heard and answered by the model, one that cannot be heard (to the managers), a photo's caption as text.
    const openaiFake = await FakeOpenAIServer.start({ apiKey: 'sk-record' });
    openaiFake.script({ kind: 'json', content: { reply: 'Обучение длится 8 недель.', intent: 'question', next_action: 'answer', confidence: 0.9, profile_updates: {}, readiness: 40, stage: 'frame' } });
    const voiceWorker = await newWorker(openaiFake);
    await voiceWorker.runUntil(async () => {
      const lead = newLead();
      const pushed = (fields: Record<string, unknown>) => toEvent(fake.pushedUpdate(fake.pushMessage(lead, fields)));
      const note = (bytes: string) => {
        const file = fake.addUserFile('voice.oga', bytes);
        return pushed({ voice: { file_id: file.file_id, file_unique_id: file.file_unique_id, duration: 3, file_size: file.file_size, mime_type: 'audio/ogg' } });
      };
      await drive(text(lead, '/start'), lead, 1);
      await drive(note(`${FAKE_AUDIO_PREFIX}Сколько длится обучение?`), lead, 2);
      await drive(note('not audio'), lead, 3);
      await fake.waitFor(() => fake.callsTo('copyMessage', -100).some((c) => c.params.from_chat_id === lead.id), 20_000);
      await drive(pushed({ photo: [{ file_id: 'ph-1', file_unique_id: 'uph-1', width: 90, height: 90 }], caption: 'позовите менеджера' }), lead, 4);
      await save('lead-conversation-voice-and-media', leadWorkflowId(lead.id));
      await env.client.workflow.getHandle(leadWorkflowId(lead.id)).terminate('recorded');
    });
    await openaiFake.stop();
  }
  if (only === undefined || only === 'stray-money') await recordStrayMoney(env, await newWorker(), db, taskQueue, save);
  if (only === undefined || only === 'offer-undelivered') await recordOfferUndelivered(env, await newWorker(), db, fake, taskQueue, save);
  if (only === undefined || only === 'materials-files') {
    // A cold lead's materials with one that has a file: the list, then the file (patch materials-as-files).
    const key = 'replay-materials-file';
    await db('materials').insert({ key, title: 'Чек-лист новичка (PDF)', summary: 'Десять шагов', category: 'article', segments: '["cold"]', stages: '[]', tags: '[]', priority: 10_000, status: 'ready', language: 'ru', version: 1, checksum: 'x', file_id: 'doc-replay-checklist' }).onConflict('key').ignore();
    try {
      await (await newWorker()).runUntil(async () => {
        const lead = newLead();
        await drive(text(lead, '/start'), lead, 1);
        await drive(text(lead, '/survey'), lead, 2);
        const codes = ['no_experience', 'start_investing', 'just_learning', 'under_10', 'not_ready'];
        for (const [index, code] of codes.entries()) await drive(press(lead, `svy:q${index + 1}.${code}`), lead, 3 + index * 2);
        await conversations.deliver(press(lead, 'result_product:next'));
        await fake.waitFor(() => fake.callsTo('sendDocument', lead.id).length >= 1, 20_000);
        await save('lead-conversation-materials-as-files', leadWorkflowId(lead.id));
        await env.client.workflow.getHandle(leadWorkflowId(lead.id)).terminate('recorded');
      });
    } finally {
      await db('materials').where({ key }).delete();
    }
  }
  if (only === undefined || only === 'knowledge') {
    await (await newWorker()).runUntil(async () => {
      // No key: a refund question answered from the knowledge base (patch knowledge-answer), then one it has no sure answer for.
      const lead = newLead();
      await drive(text(lead, '/start'), lead, 1);
      await drive(text(lead, 'Можно ли вернуть деньги за курс?'), lead, 2);
      await drive(text(lead, 'Чем proof-of-stake отличается от proof-of-work?'), lead, 3);
      await save('lead-conversation-knowledge-answer', leadWorkflowId(lead.id));
      await env.client.workflow.getHandle(leadWorkflowId(lead.id)).terminate('recorded');
    });
  }
  if (only === undefined || only === 'desk') await (await newWorker()).runUntil(() => recordDesk(newLead(), drive));
  if (only === undefined || only === 'profile') {
    // A model turn teaches facts and readiness (patch lead-profile: kept in Postgres), then a request for a manager ranked by readiness.
    const openaiFake = await FakeOpenAIServer.start({ apiKey: 'sk-record' });
    openaiFake.script({
      kind: 'json',
      content: { reply: 'Понимаю, давайте разберёмся.', intent: 'objection', next_action: 'answer', confidence: 0.9, profile_updates: { goal: 'пассивный доход', objections: 'дорого' }, readiness: 80, stage: 'frame' },
    });
    openaiFake.setFallback({ kind: 'text', content: 'Хочет пассивный доход, сомневается в цене.' });
    const profileWorker = await newWorker(openaiFake);
    await profileWorker.runUntil(async () => {
      const lead = newLead();
      await drive(text(lead, '/start'), lead, 1);
      await drive(text(lead, 'Хочу пассивный доход, но курс дорогой'), lead, 2);
      await drive(text(lead, 'позовите менеджера'), lead, 3);
      await fake.waitFor(() => fake.callsTo('sendMessage', -100).some((c) => String(c.params.text).includes(`(id ${lead.id})`)), 20_000);
      await save('lead-conversation-lead-profile', leadWorkflowId(lead.id));
      await env.client.workflow.getHandle(leadWorkflowId(lead.id)).terminate('recorded');
    });
    await openaiFake.stop();
  }
  if (only === 'desk' || only === 'profile' || only === 'knowledge' || only === 'voice' || only === 'instalments' || only === 'post-sale' || only === 'campaign' || only === 'campaign-withdrawn' || only === 'scenario-timer' || only === 'stray-money' || only === 'offer-undelivered' || only === 'materials-files') return finish();
  if (only === undefined || only === 'handoff') await (await newWorker()).runUntil(() => recordHandoff(newLead(), drive));
  if (only !== undefined && only !== 'lead') return finish();
  await (await newWorker()).runUntil(async () => {
    // The first minutes: greeting, bonus and its timer, readiness, free text, a stale button, /reset.
    const first = newLead();
    await drive(text(first, '/start replay'), first, 1);
    await conversations.deliver(press(first, 'greeting:bonus'));
    await fake.waitFor(() => fake.callsTo('sendDocument', first.id).length === 1);
    await env.sleep('3s');
    await drive(press(first, 'opening:manage_money'), first, 3);
    await drive(text(first, 'сколько стоит обучение?'), first, 4);
    await drive(press(first, 'greeting:bonus'), first, 6);
    await drive(text(first, '/reset'), first, 7);
    await drive(press(first, 'sys:reset_yes'), first, 9);
    await save('lead-conversation-first-minutes', leadWorkflowId(first.id));

    // The survey, the result card, a path, and a consultation booked with its reminder.
    const second = newLead();
    await drive(text(second, '/start'), second, 1);
    await drive(text(second, '/survey'), second, 2);
    const codes = ['trading', 'passive_income', 'three_months', 'hundred_to_five_hundred', 'ready_to_learn'];
    for (const [index, code] of codes.entries()) await drive(press(second, `svy:q${index + 1}.${code}`), second, 3 + index * 2);
    await drive(press(second, 'result_product:next'), second, 14);
    await drive(text(second, '/consult'), second, 15);
    const buttons = (n: number) =>
      ((sentTo(second)[n - 1].params.reply_markup as { inline_keyboard: { callback_data: string }[][] }).inline_keyboard.flat()).map((b) => b.callback_data);
    await drive(press(second, buttons(15)[0]), second, 16);
    await drive(press(second, buttons(16)[3]), second, 17); // 18:00
    await drive(text(second, '+7 912 345-67-89'), second, 18);
    await drive(press(second, 'bk:ok'), second, 19);
    await env.sleep('3d');
    await fake.waitFor(() => sentTo(second).some((c) => String(c.params.text).startsWith('⏰')), 20_000);
    await save('lead-conversation-survey-booking', leadWorkflowId(second.id));
  });

  // A model turn, the contact form and a follow-up, with a worker whose model is the fake OpenAI server.
  const openaiFake = await FakeOpenAIServer.start({ apiKey: 'sk-record' });
  openaiFake.script({
    kind: 'json',
    content: { reply: 'Обучение длится 8 недель.', intent: 'question', next_action: 'offer_consult', confidence: 0.9, profile_updates: {}, readiness: 40, stage: 'frame' },
  });
  const llmWorker = await newWorker(openaiFake);
  await llmWorker.runUntil(async () => {
    const third = newLead();
    await drive(text(third, '/start'), third, 1);
    await drive(text(third, 'Сколько длится обучение?'), third, 2);
    await drive(text(third, '/contact'), third, 3);
    await drive(text(third, '+7 912 111-22-33'), third, 4);
    await drive(text(third, 'Мария'), third, 5);
    await drive(text(third, 'maria@example.com'), third, 6);
    await env.sleep('25h');
    await fake.waitFor(() => sentTo(third).length >= 7, 20_000); // the 24h follow-up
    await save('lead-conversation-llm-form-follow-up', leadWorkflowId(third.id));
  });
  await openaiFake.stop();
  await finish();

  /** A manager handoff: the card, the SLA escalation, a take, one message each way, a close; and the lead's side of it. */
  async function recordHandoff(lead: { id: number; first_name: string }, driveLead: typeof drive): Promise<void> {
    const manager = 4242;
    await driveLead(text(lead, '/start'), lead, 1);
    await driveLead(text(lead, 'позовите менеджера'), lead, 2);
    // The conversation names its handoff (`handoff-<lead id>-<chain>-<n>` since patch handoff-id-of-chain).
    const id = (await env.client.workflow.getHandle(leadWorkflowId(lead.id)).query(leadStateQuery)).handoff?.workflowId;
    if (!id) throw new Error('the conversation opened no handoff');
    await fake.waitFor(() => fake.callsTo('sendMessage', -100).length > 0 && fake.callsTo('sendMessage', -100).some((c) => String(c.params.text).includes(`(id ${lead.id})`)), 20_000);
    await env.sleep('16m'); // the SLA: re-announced, escalated, the lead told the wait
    await fake.waitFor(() => sentTo(lead).length >= 3, 20_000);
    const handoffs = new Handoffs(env.client);
    fake.addChatMember(-100, manager); // no owners here: the take is checked against the managers' chat
    await handoffs.take(id, { managerId: manager, managerName: '@recorder' });
    await fake.waitFor(() => fake.callsTo('sendMessage', manager).length >= 1, 20_000);
    await conversations.deliver(text(lead, 'Сколько стоит курс?'));
    await fake.waitFor(() => fake.callsTo('sendMessage', manager).length >= 2, 20_000);
    await handoffs.reply(id, { managerId: manager, chatId: manager, messageId: 1, text: 'Курс стоит 30 000 ₽.', media: false });
    await fake.waitFor(() => sentTo(lead).length >= 4, 20_000);
    await handoffs.close(id, { managerId: manager, outcome: 'done', reason: 'записан на курс' });
    await env.client.workflow.getHandle(id).result();
    await fake.waitFor(() => sentTo(lead).length >= 5, 20_000); // the bot is back
    // New names: the histories recorded before the handoff patches stay, for workflows still running on that code.
    await save('manager-handoff-chain-sla-take-relay-close', id);
    await save('lead-conversation-handoff-chain', leadWorkflowId(lead.id));
  }

  /**
   * The manager's desk: a dialog a manager opens from the lead card (patch manager-opens-dialog, input
   * takenBy), given back to the queue (its card posted then: handoff-returned-announced), taken by
   * another manager, passed back (handoff-pass) and closed; and the lead's side of it.
   */
  async function recordDesk(lead: { id: number; first_name: string }, driveLead: typeof drive): Promise<void> {
    const [first, second] = [4343, 4444];
    // No owners here: staff are the managers' chat's members.
    fake.addChatMember(-100, first);
    fake.addChatMember(-100, second);
    const handoffs = new Handoffs(env.client);
    const toStaff = (id: number) => fake.callsTo('sendMessage', id).length;
    await driveLead(text(lead, '/start'), lead, 1);
    await handoffs.openDialog(lead.id, { managerId: first, managerName: '@first' }, 'record-desk');
    await fake.waitFor(() => toStaff(first) >= 1, 20_000);
    const id = (await env.client.workflow.getHandle(leadWorkflowId(lead.id)).query(leadStateQuery)).handoff?.workflowId;
    if (!id) throw new Error('the conversation opened no handoff');
    await conversations.deliver(text(lead, 'Здравствуйте!'));
    await fake.waitFor(() => toStaff(first) >= 2, 20_000);
    await handoffs.release(id, { managerId: first, reason: 'returned to the queue' });
    await fake.waitFor(() => fake.callsTo('sendMessage', -100).some((c) => String(c.params.text).includes(`(id ${lead.id})`)), 20_000);
    await handoffs.take(id, { managerId: second, managerName: '@second' });
    await fake.waitFor(() => toStaff(second) >= 1, 20_000);
    const passed = await handoffs.pass(id, { fromManagerId: second, to: { managerId: first, managerName: '@first' } });
    if (!passed.passed) throw new Error(`not passed: ${passed.why}`);
    await fake.waitFor(() => toStaff(first) >= 3 && toStaff(second) >= 2, 20_000);
    await handoffs.close(id, { managerId: first, outcome: 'done', reason: 'записан на курс' });
    await env.client.workflow.getHandle(id).result();
    await fake.waitFor(() => sentTo(lead).length >= 2, 20_000); // the bot is back
    await save('manager-handoff-opened-returned-passed', id);
    await save('lead-conversation-manager-opened', leadWorkflowId(lead.id));
    await env.client.workflow.getHandle(leadWorkflowId(lead.id)).terminate('recorded');
  }

  async function finish(): Promise<void> {
    await env.teardown();
    await fake.stop();
    await db.destroy();
  }
}

/** A payment: the link, the 1-hour reminder, a failed payment, a wrong amount flagged, a manager's confirm. */
async function recordPayment(
  env: TestWorkflowEnvironment,
  worker: Worker,
  db: Db,
  fake: FakeTelegramServer,
  taskQueue: string,
  save: (name: string, workflowId: string) => Promise<void>,
): Promise<void> {
  const telegramUserId = 990_000_000 + Math.floor(Math.random() * 1_000_000);
  await upsertLead(db, { id: telegramUserId, firstName: 'Replay', languageCode: 'ru' }, telegramUserId);
  const input = await createOrder(db, pino({ level: 'silent' }), { telegramUserId, productCode: 'crypto_start', type: 'instalment', method: 'link' });
  const payments = new PaymentWorkflows(env.client, taskQueue);
  await worker.runUntil(async () => {
    await payments.start(input);
    await fake.waitFor(() => fake.callsTo('sendMessage', telegramUserId).length >= 1, 20_000);
    await env.sleep('61m');
    await fake.waitFor(() => fake.callsTo('sendMessage', telegramUserId).length >= 2, 20_000);
    await payments.failed(input.orderId, { reason: 'card declined' });
    await fake.waitFor(() => fake.callsTo('sendMessage', telegramUserId).length >= 3, 20_000);
    await payments.paid(input.orderId, { via: 'webhook', amount: 1, currency: 'USD' });
    await payments.confirm(input.orderId, 1);
    // The later instalments are not part of this history: written off at once.
    await payments.cancel(input.orderId, 1);
    await env.client.workflow.getHandle(paymentWorkflowId(input.orderId)).result();
  });
  await save('payment-reminder-failure-confirm', paymentWorkflowId(input.orderId));
}

/** A scheduled broadcast to three leads in batches of two, paused and resumed on the way. */
async function recordCampaign(
  env: TestWorkflowEnvironment,
  worker: Worker,
  db: Db,
  fake: FakeTelegramServer,
  taskQueue: string,
  save: (name: string, workflowId: string) => Promise<void>,
): Promise<void> {
  const source = `replay-${Date.now()}`;
  const leads = await seedLeads(db, source, 3);
  const campaign = await seedCampaign(db, { sources: [source] }, new Date(Date.now() + 60 * 60_000));
  const handle = await env.client.workflow.start(broadcastCampaignWorkflow, {
    workflowId: campaignWorkflowId(campaign.id),
    taskQueue,
    args: [{ campaignId: campaign.id, scheduledAt: campaign.scheduled_at?.toISOString() ?? null, batchSize: 2 }],
  });
  await worker.runUntil(async () => {
    await handle.signal(pauseCampaignSignal);
    await env.sleep('61m');
    await handle.signal(resumeCampaignSignal);
    await handle.result();
  });
  if (leads.some((lead) => fake.callsTo('sendMessage', lead.telegramUserId).length !== 1)) throw new Error('the recorded campaign did not reach each lead once');
  await save('broadcast-campaign-paused-resumed', campaignWorkflowId(campaign.id));
}

/** A campaign whose launch withdrew its row (Temporal's answer was lost): the workflow ends cancelled, sending nothing. */
async function recordWithdrawnCampaign(
  env: TestWorkflowEnvironment,
  worker: Worker,
  db: Db,
  fake: FakeTelegramServer,
  taskQueue: string,
  save: (name: string, workflowId: string) => Promise<void>,
): Promise<void> {
  const source = `replay-withdrawn-${Date.now()}`;
  const leads = await seedLeads(db, source, 2);
  const campaign = await seedCampaign(db, { sources: [source] });
  await withdrawCampaign(db, campaign.id);
  const handle = await env.client.workflow.start(broadcastCampaignWorkflow, { workflowId: campaignWorkflowId(campaign.id), taskQueue, args: [{ campaignId: campaign.id }] });
  await worker.runUntil(handle.result());
  if (leads.some((lead) => fake.callsTo('sendMessage', lead.telegramUserId).length !== 0)) throw new Error('the withdrawn campaign sent a message');
  await save('broadcast-campaign-withdrawn', campaignWorkflowId(campaign.id));
}

/** An A/B test too small to decide: the window extended once, then the editor's pick goes to the rest. */
async function recordAbCampaign(env: TestWorkflowEnvironment, worker: Worker, db: Db, taskQueue: string, save: (name: string, workflowId: string) => Promise<void>): Promise<void> {
  const source = `replay-ab-${Date.now()}`;
  await seedLeads(db, source, 12);
  const content = (text: string) => ({ items: [{ kind: 'text' as const, text }], buttons: [[{ text: 'Записаться', action: 'command:consult' }]] });
  const campaign = await createCampaign(db, {
    name: 'Replay A/B',
    createdBy: 990_000_001,
    content: content('A'),
    audience: { sources: [source] },
    abTest: { variants: [{ key: 'A', weight: 1, content: content('A') }, { key: 'B', weight: 1, content: content('B') }], pilotShare: 50, metric: 'click_rate', windowHours: 12 },
    scheduledAt: null,
  });
  const handle = await env.client.workflow.start(broadcastCampaignWorkflow, {
    workflowId: campaignWorkflowId(campaign.id),
    taskQueue,
    args: [{ campaignId: campaign.id, ab: { windowHours: 12 } }],
  });
  await worker.runUntil(async () => {
    await env.sleep('13h');
    await handle.signal(pickWinnerSignal, 'B');
    await handle.result();
  });
  await save('broadcast-campaign-ab-extended-picked', campaignWorkflowId(campaign.id));
}

/** An instalment order: the first paid, 30 days later the second's link and reminder, paid twice, the rest written off. */
async function recordInstalments(
  env: TestWorkflowEnvironment,
  worker: Worker,
  db: Db,
  fake: FakeTelegramServer,
  taskQueue: string,
  save: (name: string, workflowId: string) => Promise<void>,
): Promise<void> {
  const telegramUserId = 990_000_000 + Math.floor(Math.random() * 1_000_000);
  await upsertLead(db, { id: telegramUserId, firstName: 'Replay', languageCode: 'ru' }, telegramUserId);
  const input = await createOrder(db, pino({ level: 'silent' }), { telegramUserId, productCode: 'crypto_start', type: 'instalment', method: 'link' });
  const payments = new PaymentWorkflows(env.client, taskQueue);
  const sent = () => fake.callsTo('sendMessage', telegramUserId).length;
  await worker.runUntil(async () => {
    await payments.start(input);
    await fake.waitFor(() => sent() >= 1, 20_000);
    await payments.paid(input.orderId, { via: 'webhook', amount: 96.67, currency: 'USD' });
    // Skip time only once the first payment's activities are done (a skip would time them out).
    const handle = env.client.workflow.getHandle(paymentWorkflowId(input.orderId));
    for (let at = Date.now(); (await handle.query(paymentStateQuery)).instalment !== 2; await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() - at > 20_000) throw new Error('the first instalment was not fulfilled');
    }
    await env.sleep('30d');
    await env.sleep('2h');
    await fake.waitFor(() => sent() >= 4, 20_000); // the second's link and its 1-hour reminder
    await payments.paid(input.orderId, { via: 'webhook', amount: 96.67, currency: 'USD', instalment: 2 });
    await payments.paid(input.orderId, { via: 'webhook', amount: 96.67, currency: 'USD', instalment: 2 });
    await fake.waitFor(() => sent() >= 5, 20_000);
    await payments.cancel(input.orderId, 1);
    await env.client.workflow.getHandle(paymentWorkflowId(input.orderId)).result();
  });
  await save('payment-instalments', paymentWorkflowId(input.orderId));
}

/**
 * Patch `payment-stray-money`: money during a cancel (a lead's /reset) flagged and told; a second charge
 * while the first is fulfilled flagged with both ids; a manager's confirm answered within its bound.
 */
async function recordStrayMoney(env: TestWorkflowEnvironment, worker: Worker, db: Db, taskQueue: string, save: (name: string, workflowId: string) => Promise<void>): Promise<void> {
  const order = async () => {
    const telegramUserId = 990_000_000 + Math.floor(Math.random() * 1_000_000);
    await upsertLead(db, { id: telegramUserId, firstName: 'Replay', languageCode: 'ru' }, telegramUserId);
    return createOrder(db, pino({ level: 'silent' }), { telegramUserId, productCode: 'crypto_start', type: 'full', method: 'link' });
  };
  const payments = new PaymentWorkflows(env.client, taskQueue);
  const untilSent = async (orderId: number) => {
    for (let at = Date.now(); (await db('orders').where({ id: orderId }).first('status')).status !== 'sent'; await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() - at > 20_000) throw new Error(`order ${orderId} was not sent`);
    }
  };
  const [reset, twice, confirmed] = [await order(), await order(), await order()];
  await worker.runUntil(async () => {
    for (const input of [reset, twice, confirmed]) await payments.start(input);
    for (const input of [reset, twice, confirmed]) await untilSent(input.orderId);

    await env.client.workflow.getHandle(paymentWorkflowId(reset.orderId)).signal('paymentCancelled', { reason: 'lead_reset' });
    if (!(await payments.paid(reset.orderId, { via: 'stars', amount: 290, currency: 'USD', chargeId: 'replay-charge-1' }))) throw new Error('the cancel ended before the payment came');
    await env.client.workflow.getHandle(paymentWorkflowId(reset.orderId)).result();

    await payments.paid(twice.orderId, { via: 'webhook', amount: 290, currency: 'USD', providerPayload: { payment_id: 'replay-p-1' } });
    await payments.paid(twice.orderId, { via: 'webhook', amount: 290, currency: 'USD', providerPayload: { payment_id: 'replay-p-2' } });
    await env.client.workflow.getHandle(paymentWorkflowId(twice.orderId)).result();

    const answer = await payments.confirm(confirmed.orderId, 1);
    if (answer?.outcome !== 'confirmed') throw new Error(`the confirm answered ${JSON.stringify(answer)}`);
    await env.client.workflow.getHandle(paymentWorkflowId(confirmed.orderId)).result();
  });
  for (const { orderId } of [reset, twice]) {
    const { flagged_reason: reason } = await db('orders').where({ id: orderId }).first('flagged_reason');
    if (!reason) throw new Error(`order ${orderId} was not flagged`);
  }
  await save('payment-stray-money-lead-reset', paymentWorkflowId(reset.orderId));
  await save('payment-stray-money-second-charge', paymentWorkflowId(twice.orderId));
  await save('payment-confirm-bounded', paymentWorkflowId(confirmed.orderId));
}

/** An offer to a lead who blocked the bot: the managers are told at once (patch payment-offer-undelivered-notice), then a manager confirms. */
async function recordOfferUndelivered(
  env: TestWorkflowEnvironment,
  worker: Worker,
  db: Db,
  fake: FakeTelegramServer,
  taskQueue: string,
  save: (name: string, workflowId: string) => Promise<void>,
): Promise<void> {
  const telegramUserId = 990_000_000 + Math.floor(Math.random() * 1_000_000);
  await upsertLead(db, { id: telegramUserId, firstName: 'Replay', languageCode: 'ru' }, telegramUserId);
  const input = await createOrder(db, pino({ level: 'silent' }), { telegramUserId, productCode: 'crypto_start', type: 'full', method: 'link' });
  fake.blockUser(telegramUserId);
  const payments = new PaymentWorkflows(env.client, taskQueue);
  const told = () => fake.callsTo('sendMessage', -100).some((c) => String(c.params.text).includes(`заказа №${input.orderId} `));
  await worker.runUntil(async () => {
    await payments.start(input);
    await fake.waitFor(told, 20_000);
    const answer = await payments.confirm(input.orderId, 1);
    if (answer?.outcome !== 'confirmed') throw new Error(`the confirm answered ${JSON.stringify(answer)}`);
    await env.client.workflow.getHandle(paymentWorkflowId(input.orderId)).result();
  });
  await save('payment-offer-undelivered', paymentWorkflowId(input.orderId));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

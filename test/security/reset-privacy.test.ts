import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import pino from 'pino';
import { buildApi } from '../../api/app';
import { createMetrics } from '../../api/metrics';
import { PAYMENT_WEBHOOK_PATH, paymentSignature } from '../../api/payment-webhook-routes';
import { createBot } from '../../bot/bot';
import type { BotContext } from '../../bot/context';
import { PaymentWorkflows } from '../../bot/payments/payment-workflows';
import { salesMetrics } from '../../db/analytics-optional';
import { periodOf } from '../../db/analytics-period';
import { settleDelivery, snapshotAudienceChunk } from '../../db/campaigns';
import type { Db } from '../../db/knex';
import { flagOrder, recordPaymentWebhook } from '../../db/orders';
import { resolveOrderFlags } from '../../db/payment-flags';
import { seedCatalogue } from '../../db/seed';
import { recordDroppedUpdate } from '../../db/spam-guard';
import { setStaffRole } from '../../db/staff';
import { defaultScenarioPath, loadScenarioFile } from '../../scenarios/loader';
import { paymentWorkflowId, paymentWorkflowType } from '../../workflows/payment/contract';
import { seedCampaign } from '../support/campaigns';
import { uniqueUserId } from '../support/db';
import { MANAGERS_CHAT, TEST_TOKEN, useLeadHarness } from '../support/lead-harness';
import { ownDatabase } from '../support/own-database';
import { textUpdate } from '../support/updates';
import { eventually } from '../support/eventually';

jest.setTimeout(120_000);

const ru = loadScenarioFile(defaultScenarioPath('ru'));
const h = useLeadHarness();
const silent = pino({ level: 'silent' });
let db: Db;

beforeAll(async () => {
  // Its own database: the scan reads every row, so no other test file's rows may be there.
  ({ db } = await ownDatabase('reset_privacy'));
  await seedCatalogue(db);
});
afterAll(() => db?.destroy());

const owner = uniqueUserId();
const manager = uniqueUserId();

/** What identifies the person: the scan looks for each of these in every column of every table. */
const person = {
  id: uniqueUserId(),
  first_name: 'Анна',
  username: `anna_private_${Math.random().toString(36).slice(2, 8)}`,
  language_code: 'ru',
};
const PHONE = '+79161234567';
const EMAIL = `anna.${person.username}@example.com`;
const QUESTION = 'Подскажите, реально ли закрыть ипотеку через три года с моей зарплатой Квазар-17?';
const WEBHOOK_SECRET = 'provider-secret-for-reset-test';
const CONTACT_TEXT = `Мой телефон ${PHONE}, почта ${EMAIL}, звоните после семи`;

function bot(): Promise<Bot<BotContext>> {
  const instance = createBot({
    token: TEST_TOKEN,
    apiRoot: h.fake.apiRoot,
    logger: silent,
    conversations: h.conversations(),
    antiSpam: { db, owners: [owner], logger: silent },
    payments: { db, owners: [owner], logger: silent, workflows: new PaymentWorkflows(h.env.client, h.taskQueue) },
  });
  return instance.init().then(() => instance);
}

async function say(from: { id: number; first_name: string; username?: string }, text: string): Promise<void> {
  await (await bot()).handleUpdate(textUpdate(from, text) as unknown as Update);
}

/** Hands an update the fake queued (a button press, a Stars payment) to the bot, as long polling would. */
async function handlePushed(updateId: number): Promise<void> {
  const instance = await bot();
  const [update] = await instance.api.getUpdates({ offset: updateId, limit: 1, timeout: 0 });
  await instance.handleUpdate(update);
}

const until = eventually;

const count = async (table: string, where: Record<string, unknown>) => Number((await db(table).where(where).count('* as n'))[0].n);
const texts = () => h.texts(person);
const managerTexts = () => h.fake.callsTo('sendMessage', MANAGERS_CHAT).map((c) => String(c.params.text));

async function revenue() {
  const period = await periodOf(db, 30, new Date(Date.now() + 86_400_000), 'UTC');
  return salesMetrics(db, period, new Set(['orders', 'order_instalments']));
}

/** Every column of every table, cast to text, searched for a needle; "table.column" for each hit. */
async function scan(needle: string, exclude: { leadId: number }): Promise<string[]> {
  const columns: { table_name: string; column_name: string }[] = (
    await db.raw(
      `select c.table_name, c.column_name from information_schema.columns c
         join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where c.table_schema = 'public' and t.table_type = 'BASE TABLE' order by 1, 2`,
    )
  ).rows;
  const numeric = /^\d+$/.test(needle);
  const pattern = numeric ? `(^|[^0-9])${needle}([^0-9]|$)` : needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const hits: string[] = [];
  for (const { table_name: table, column_name: column } of columns) {
    const query = db(table).whereRaw('??::text ~* ?', [column, pattern]);
    // The person started over after /reset: their fresh, empty lead row and what the bot said since are theirs now.
    if (table === 'leads') query.whereNot('id', exclude.leadId);
    if (table === 'messages') query.where((q) => q.whereNull('lead_id').orWhereNot('lead_id', exclude.leadId));
    if (table === 'events') query.where((q) => q.whereNull('lead_id').orWhereNot('lead_id', exclude.leadId));
    if (Number((await query.count('* as n'))[0].n) > 0) hits.push(`${table}.${column}`);
  }
  return hits;
}

describe('/reset wipes everything personal and keeps the books', () => {
  it('after a lead did everything, no table holds who they were; orders, revenue and /refund stay', async () => {
    await setStaffRole(db, manager, 'manager', owner);
    const acts = h.activities({ db });
    const worker = await h.worker({ db });
    const started: string[] = [];
    await worker.runUntil(async () => {
      // The conversation, through the bot (anti-spam included) and the lead workflow.
      await say(person, '/start privacy_ads');
      await h.until('sendMessage', person, 1);
      await say(person, QUESTION);
      await until('the free question reached the model log', async () => (await db('llm_calls').count('* as n'))[0].n !== '0');
      await say(person, CONTACT_TEXT);
      const leadId = Number((await db('leads').where({ telegram_user_id: person.id }).first('id')).id);
      await until('both texts stored', async () => (await count('messages', { lead_id: leadId, direction: 'in' })) >= 3);

      // The rest of the journey through the activities the workflows call.
      await acts.saveSurveyOutcome({ leadId, outcome: { score: 9, maxScore: 13, segment: 'hot', budgetLevel: 2, urgencyLevel: 3 }, answers: { goal: 'ипотека', income: 'Квазар-17' } });
      await acts.bookConsultation({ leadId, startsAt: '2026-12-10T10:00:00Z', idempotencyKey: `privacy-${person.id}-booking` });
      await acts.saveContact({ leadId, phone: PHONE, name: 'Анна Петрова', email: EMAIL });
      await acts.createDraft({ leadId, telegramUserId: person.id, text: `Анна, перезвоним на ${PHONE}`, chatId: MANAGERS_CHAT, idempotencyKey: `privacy-${person.id}-draft` });
      const handoff = `handoff-${leadId}-7`;
      await acts.openHandoff({ workflowId: handoff, leadId, trigger: 'manager_requested', priority: 80 });
      await acts.notifyManagers({ outboundId: `privacy-${person.id}/card`, leadId, text: `Лид @${person.username}, ${PHONE}: «${QUESTION}»` });
      await acts.handoffClosed({ workflowId: handoff, outcome: 'done', reason: `перезвонил на ${PHONE}`, summary: `@${person.username} хочет закрыть ипотеку`, wasTaken: true });
      // A staff-chat notice filed under no lead that quotes them (a digest line).
      await acts.notifyManagers({ outboundId: `privacy-${person.id}/digest`, leadId: null, text: `Сводка: горячий лид @${person.username} (id ${person.id}), ${EMAIL}` });
      const campaign = await seedCampaign(db, {});
      await snapshotAudienceChunk(db, campaign.id, {}, 0, 100);
      const delivery = await db('campaign_deliveries').where({ campaign_id: campaign.id, lead_id: leadId }).first('id');
      await settleDelivery(db, Number(delivery.id), { status: 'sent', telegramMessageId: 4242 });
      await recordDroppedUpdate(db, { telegramUserId: person.id, updateId: 990_000 + (person.id % 1000), reason: 'flood', mutedUntil: null, update: textUpdate(person, QUESTION) });
      // The lead tries a staff command: refused and audited under their id.
      await say(person, '/refund 1');

      // A paid Stars instalment order: its workflow stays open, collecting the second and third payments.
      const stars = await acts.createOrder({ telegramUserId: person.id, productCode: 'crypto_start', type: 'instalment', method: 'stars' });
      started.push(paymentWorkflowId(stars.orderId));
      await h.env.client.workflow.start(paymentWorkflowType, { workflowId: paymentWorkflowId(stars.orderId), taskQueue: h.taskQueue, args: [stars] });
      await h.until('sendInvoice', person, 1);
      const paid = h.fake.pushSuccessfulPayment(person, { payload: `order:${stars.orderId}`, total_amount: stars.amount });
      await handlePushed(paid.updateId);
      await h.fake.waitFor(() => texts().some((t) => t.includes('Оплата получена')));
      await until('the Stars order paid', async () => (await db('orders').where({ id: stars.orderId }).first('status')).status === 'paid');

      // A manager's personal link: audited with the lead's Telegram id, an open order with a payment workflow.
      await say({ id: manager, first_name: 'Ольга' }, `/order_link ${person.id} crypto_start 990 https://pay.example.com/p/${person.username}`);
      const manual = Number((await db('orders').where({ lead_id: leadId, type: 'manual' }).first('id')).id);
      started.push(paymentWorkflowId(manual));
      await until('the personal link sent', async () => (await db('orders').where({ id: manual }).first('status')).status === 'sent');
      const providerBody = { order_id: manual, status: 'paid', amount: 1, currency: 'RUB', payment_id: 'pay_1', customer: { email: EMAIL, phone: PHONE } };
      await recordPaymentWebhook(db, { outcome: 'amount_mismatch', orderId: manual, body: JSON.stringify(providerBody), providerEventId: 'pay_1' });
      await flagOrder(db, manual, `amount 1 instead of 990 from ${EMAIL}`, providerBody);
      // A person settled that flag, quoting the customer in their note (what /refund_done keeps).
      await resolveOrderFlags(db, manual, manager, `refund made at the provider: called ${PHONE}`);
      // Stars money for no order we know: kept with its payer, for a refund.
      const stray = h.fake.pushSuccessfulPayment(person, { payload: 'order:999999999', total_amount: 700 });
      await handlePushed(stray.updateId);
      await until('the stray Stars payment flagged', async () => (await count('payment_flags', { payment_ref: stray.chargeId })) === 1);

      expect(await count('spam_guard', { telegram_user_id: person.id })).toBe(1);
      expect(await count('staff_audit', { actor_telegram_id: person.id })).toBe(1);
      // The needles are really there before: the scan would see them.
      const everywhere = { leadId: -1 };
      expect(await scan(String(person.id), everywhere)).toEqual(
        expect.arrayContaining(['leads.telegram_user_id', 'spam_guard.telegram_user_id', 'dropped_updates.update', 'staff_audit.details', 'staff_audit.actor_telegram_id', 'messages.text', 'llm_drafts.telegram_user_id']),
      );
      expect(await scan(PHONE, everywhere)).toEqual(
        expect.arrayContaining(['leads.phone', 'messages.text', 'llm_drafts.draft', 'handoffs.reason', 'orders.provider_payload', 'payment_webhooks.body', 'payment_flags.payload', 'payment_flags.resolution']),
      );
      expect(await scan(person.username, everywhere)).toEqual(expect.arrayContaining(['leads.username', 'handoffs.summary', 'orders.payment_url', 'staff_audit.details']));
      expect(await scan('Квазар-17', everywhere)).toEqual(expect.arrayContaining(['leads.answers', 'messages.text', 'dropped_updates.update']));
      const before = await revenue();
      expect(before).toMatchObject({ available: true, paidOrders: 1 });

      // /reset through the bot, confirmed with the button.
      const conversation = h.env.client.workflow.getHandle(`lead-${person.id}`);
      const runBefore = (await conversation.describe()).runId;
      const sentBefore = texts().length;
      await say(person, '/reset');
      await h.until('sendMessage', person, sentBefore + 1);
      await handlePushed(h.fake.pushCallback(person, 'sys:reset_yes', { message_id: 1 }));
      await h.fake.waitFor(() => texts().slice(sentBefore).includes(ru.texts.resetDone));
      await h.fake.waitFor(() => texts().slice(sentBefore).some((t) => t.includes('Здравствуйте, Анна!')));

      // Open payment workflows are cancelled (reason lead_reset): the unpaid order closes, the rest of the plan is written off.
      await until('the personal-link order cancelled', async () => (await db('orders').where({ id: manual }).first('status')).status === 'cancelled');
      await until('instalments 2 and 3 written off', async () => (await count('order_instalments', { order_id: stars.orderId, status: 'cancelled' })) === 2);
      for (const id of started) await h.env.client.workflow.getHandle(id).result();
      // The managers hear of both, without a word about who it was.
      expect(managerTexts().filter((t) => t.includes(`№${manual}`) || t.includes(`№${stars.orderId}`)).slice(-2).join('\n')).toContain('данные удалены по /reset');

      // Temporal: the run whose history holds their texts closed; the run going on starts clean.
      await until('the conversation continued as new', async () => (await conversation.describe()).runId !== runBefore);
      expect((await h.env.client.workflow.getHandle(`lead-${person.id}`, runBefore).describe()).status.name).toBe('CONTINUED_AS_NEW');
      const newRun = JSON.stringify(await conversation.fetchHistory());
      for (const quote of [QUESTION, PHONE, EMAIL, 'Квазар-17']) expect(newRun).not.toContain(quote);

      const fresh = await db('leads').where({ telegram_user_id: person.id }).first();
      expect(fresh).toMatchObject({ phone: null, email: null, source: null, segment: null, answers: {} });
      const freshMessages = await db('messages').where({ lead_id: fresh.id }).orderBy('id').pluck('text');
      expect(freshMessages[0]).toBe(ru.texts.resetDone);
      expect(freshMessages.join('\n')).not.toContain(QUESTION);

      // The scan: nothing outside the kept payment detail a Stars refund needs.
      const exclude = { leadId: Number(fresh.id) };
      expect(await scan(String(person.id), exclude)).toEqual(['orders.payer_telegram_id', 'payment_flags.payer_telegram_id']);
      expect(await db('payment_flags').where({ payment_ref: stray.chargeId }).first('payer_telegram_id', 'payload')).toEqual({
        payer_telegram_id: person.id,
        payload: expect.objectContaining({ total_amount: 700, telegram_payment_charge_id: stray.chargeId }),
      });
      expect(await scan(person.username, exclude)).toEqual([]);
      expect(await scan(PHONE, exclude)).toEqual([]);
      expect(await scan(PHONE.slice(2), exclude)).toEqual([]);
      expect(await scan(EMAIL, exclude)).toEqual([]);
      expect(await scan('Квазар-17', exclude)).toEqual([]);
      expect(await scan('звоните после семи', exclude)).toEqual([]);
      expect(await scan('ипотек', exclude)).toEqual([]);

      // The books: both orders, their instalments and provider ids, the revenue to the kopeck.
      const orders = await db('orders').whereIn('id', [stars.orderId, manual]).orderBy('id');
      expect(orders.map((o) => [o.status, o.lead_id])).toEqual([
        ['paid', null],
        ['cancelled', null],
      ]);
      expect(orders[0]).toMatchObject({ amount: '4834.00', currency: 'XTR', telegram_payment_charge_id: paid.chargeId, payer_telegram_id: person.id });
      expect(orders[1]).toMatchObject({ provider_payload: { order_id: manual, status: 'paid', amount: 1, currency: 'RUB', payment_id: 'pay_1' }, payer_telegram_id: null });
      expect(orders[0].customer_pseudonym).toMatch(/^customer-/);
      expect(orders[1].customer_pseudonym).toBe(orders[0].customer_pseudonym);
      expect((await db('order_instalments').where({ order_id: stars.orderId }).orderBy('number')).map((i) => i.status)).toEqual(['paid', 'cancelled', 'cancelled']);
      expect(await db('payment_webhooks').where({ order_id: manual }).first('outcome', 'provider_event_id', 'body')).toEqual({ outcome: 'amount_mismatch', provider_event_id: 'pay_1', body: null });
      expect(await db('campaign_deliveries').where({ campaign_id: campaign.id })).toEqual([expect.objectContaining({ status: 'sent', lead_id: null, telegram_message_id: null })]);
      expect(await revenue()).toEqual(before);

      // /refund still finds the order and returns the Stars to the payer.
      await say({ id: owner, first_name: 'Ирина' }, `/refund ${stars.orderId}`);
      expect(String(h.fake.callsTo('sendMessage', owner).at(-1)?.params.text)).toBe(`✅ Возврат по заказу №${stars.orderId} (4834 ⭐) выполнен.`);
      expect(h.fake.callsTo('refundStarPayment').at(-1)?.params).toMatchObject({ user_id: person.id, telegram_payment_charge_id: paid.chargeId });

      // A provider's late webhook for the cancelled order still finds it (no 404): flagged for the managers.
      const api = buildApi({
        logger: silent,
        metrics: createMetrics(),
        health: { postgres: async () => {}, temporal: async () => {} },
        payments: { secret: WEBHOOK_SECRET, db, logger: silent, workflows: new PaymentWorkflows(h.env.client, h.taskQueue) },
      });
      const { currency } = await db('orders').where({ id: manual }).first('currency');
      const late = JSON.stringify({ order_id: manual, status: 'paid', amount: 990, currency, payment_id: 'pay_late' });
      const aboutManual = () => managerTexts().filter((t) => t.includes(`№${manual} `));
      const noticesBefore = aboutManual().length;
      const answer = await api.inject({ method: 'POST', url: PAYMENT_WEBHOOK_PATH, payload: late, headers: { 'content-type': 'application/json', 'x-payment-signature': paymentSignature(WEBHOOK_SECRET, late) } });
      await api.close();
      expect(answer.statusCode).toBe(200);
      expect((await db('orders').where({ id: manual }).first('flagged_reason')).flagged_reason).toMatch(/cancel/);
      await h.fake.waitFor(() => aboutManual().length > noticesBefore);
      expect(aboutManual().at(-1)).toContain('данные удалены по /reset');
      await h.env.client.workflow.getHandle(`lead-${person.id}`).terminate('test finished');
    });
  });
});

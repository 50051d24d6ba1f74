import { Api } from 'grammy';
import { createDialogMirrorActivities } from '../../activities/dialog-mirror';
import { createTelegramActivities } from '../../activities/telegram';
import { createBot } from '../../bot/bot';
import { Handoffs } from '../../bot/handoffs/handoffs';
import { leadStateQuery } from '../../workflows/lead-conversation/contract';
import { handoffDesk, waitUntil, type Person } from '../support/handoff-desk';
import { TEST_TOKEN, useLeadHarness } from '../support/lead-harness';
import { testWorker } from '../support/temporal';
import { text, type TestUser } from '../support/updates';

const h = useLeadHarness({ serverPerTest: true });
const { staffMember, leadIdOf, cardsAbout } = handoffDesk(h);
const DIALOGS = -100_424_242_4242;

/** Owners, two managers, someone who is not staff, the bot with the dialogs group, a worker, and the mirror. */
async function setup() {
  h.fake.addGroup(DIALOGS, 'Диалоги', { forum: true });
  const owner = await staffMember('Owner', null);
  const [oleg, maria, stranger] = [await staffMember('Oleg', 'manager'), await staffMember('Maria', 'manager'), await staffMember('Stranger', null)];
  const staff = { db: h.db, owners: [owner.id], logger: h.logger };
  const bot = createBot({ token: TEST_TOKEN, apiRoot: h.fake.apiRoot, conversations: h.conversations(), logger: h.logger, staff, handoffs: new Handoffs(h.env.client), leadCard: staff, dialogsChatId: DIALOGS });
  await bot.init();
  const worker = await testWorker(h.env, h.taskQueue, h.activities({ owners: [owner.id], leadWorkflows: h.env.client.workflow }));
  const api = new Api(TEST_TOKEN, { apiRoot: h.fake.apiRoot });
  const mirror = createDialogMirrorActivities({ db: h.db, api, logger: h.logger, telegram: createTelegramActivities({ api, db: h.db, logger: h.logger }), dialogsChatId: DIALOGS, timing: { batchWindowMs: 200, settleMs: 100 }, postsPerMinute: 600 });
  await mirror.mirrorDialogs({ budgetMs: 0 });
  return { oleg, maria, stranger, bot, worker, mirror };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** A message written in the lead's topic, handled by the bot as Telegram would deliver it. */
async function writeInTopic(s: Setup, by: Person, threadId: number, body: string): Promise<void> {
  const updateId = h.fake.pushText(by, body, { chatId: DIALOGS, threadId });
  await s.bot.handleUpdate(h.fake.pushedUpdate(updateId));
}

const inTopic = (threadId: number) => h.fake.topicMessages(DIALOGS, threadId).map((m) => String(m.text ?? ''));
/** Everything the lead's chat holds from the bot (sent or copied). */
const leadSees = (lead: TestUser) => h.fake.chatMessages(lead.id).filter((m) => (m.from as { id: number }).id !== lead.id).map((m) => String(m.text ?? ''));

async function topicOfLead(s: Setup, lead: TestUser): Promise<number> {
  await h.conversations().deliver(text(lead, '/start'));
  await h.fake.waitFor(() => h.texts(lead).length > 0);
  const leadId = await leadIdOf(lead);
  let threadId: number | undefined;
  await waitUntil(async () => {
    await s.mirror.mirrorDialogs({ budgetMs: 300 });
    threadId = h.fake.forumTopics(DIALOGS).find((t) => t.name.endsWith(`#${leadId}`))?.threadId;
    return threadId !== undefined && inTopic(threadId).length >= 3; // opened, the card, the first batch
  });
  return threadId as number;
}

describe("a lead's topic in the dialogs group", () => {
  it('a manager writing there takes the dialog and reaches the lead; another manager is refused; /close there closes it', async () => {
    const lead = h.newLead();
    const s = await setup();
    await s.worker.runUntil(async () => {
      const threadId = await topicOfLead(s, lead);

      await writeInTopic(s, s.oleg, threadId, 'Здравствуйте! Я Олег, менеджер школы.');
      await h.fake.waitFor(() => leadSees(lead).includes('Здравствуйте! Я Олег, менеджер школы.'), 20_000);
      const view = await h.env.client.workflow.getHandle(`lead-${lead.id}`).query(leadStateQuery);
      expect(view).toMatchObject({ mode: 'with_manager', handoff: { phase: 'taken' } });
      const leadId = await leadIdOf(lead);
      expect(await h.db('handoffs').where({ lead_id: leadId, status: 'taken' }).first('manager_telegram_id')).toEqual({ manager_telegram_id: s.oleg.id });

      // One holder at a time: Maria's message is refused in the topic and never reaches the lead.
      const seen = leadSees(lead).length;
      await writeInTopic(s, s.maria, threadId, 'Я тоже могу помочь');
      await h.fake.waitFor(() => inTopic(threadId).some((t) => t.startsWith(`⛔ Диалог ведёт @${s.oleg.username}`)));
      expect(leadSees(lead)).toHaveLength(seen);
      expect(await h.db('staff_audit').where({ actor_telegram_id: s.maria.id, command: 'topic_reply' }).first('allowed', 'reason')).toMatchObject({ allowed: false });

      // The lead's answer is mirrored; the manager's own message is not posted a second time.
      await h.conversations().deliver(text(lead, 'Спасибо, а сколько стоит курс?'));
      await waitUntil(async () => {
        await s.mirror.mirrorDialogs({ budgetMs: 300 });
        return inTopic(threadId).some((t) => t.includes('Спасибо, а сколько стоит курс?'));
      });
      expect(inTopic(threadId).filter((t) => t.includes('Я Олег, менеджер школы'))).toHaveLength(1);

      await writeInTopic(s, s.oleg, threadId, '/close done договорились о звонке');
      await h.fake.waitFor(() => inTopic(threadId).includes('🔒 Диалог закрыт.'));
      await waitUntil(async () => (await h.db('handoffs').where({ lead_id: leadId }).first('status'))?.status === 'closed');
    });
  });

  it('a lead waiting for a manager is taken by the first manager who writes in the topic, as Take on the card does', async () => {
    const lead = h.newLead();
    const s = await setup();
    await s.worker.runUntil(async () => {
      const threadId = await topicOfLead(s, lead);
      await h.conversations().deliver(text(lead, 'позовите менеджера'));
      await h.fake.waitFor(() => cardsAbout(lead).length === 1);
      const waiting = await h.env.client.workflow.getHandle(`lead-${lead.id}`).query(leadStateQuery);
      expect(waiting.handoff).toMatchObject({ phase: 'waiting' });

      await writeInTopic(s, s.maria, threadId, 'Добрый день, это Мария.');
      await h.fake.waitFor(() => leadSees(lead).includes('Добрый день, это Мария.'), 20_000);
      const taken = await h.env.client.workflow.getHandle(`lead-${lead.id}`).query(leadStateQuery);
      expect(taken.handoff).toEqual({ workflowId: waiting.handoff?.workflowId, phase: 'taken' });
      expect(await h.db('staff_audit').where({ actor_telegram_id: s.maria.id, command: 'topic_reply' }).first('allowed', 'details')).toMatchObject({ allowed: true, details: { took: true } });
    });
  });

  it('someone who is not staff writing in a topic is refused and recorded; nothing reaches the lead', async () => {
    const lead = h.newLead();
    const s = await setup();
    await s.worker.runUntil(async () => {
      const threadId = await topicOfLead(s, lead);
      const seen = leadSees(lead).length;
      await writeInTopic(s, s.stranger, threadId, 'Купите у меня дешевле');
      await h.fake.waitFor(() => inTopic(threadId).some((t) => t.startsWith('⛔ Писать лидам из этой группы')));
      expect(leadSees(lead)).toHaveLength(seen);
      expect(await h.db('staff_audit').where({ actor_telegram_id: s.stranger.id, command: 'topic_reply' }).first('allowed', 'reason')).toEqual({ allowed: false, reason: 'not staff' });
      // Someone who keeps writing is recorded each time, but told only once: the group's budget is the mirror's.
      const answers = inTopic(threadId).length;
      await writeInTopic(s, s.stranger, threadId, 'Ещё раз: дешевле!');
      expect(await h.db('staff_audit').where({ actor_telegram_id: s.stranger.id, command: 'topic_reply' }).count('* as n').first()).toEqual({ n: 2 });
      expect(inTopic(threadId)).toHaveLength(answers + 1); // their own message, no second refusal
      const view = await h.env.client.workflow.getHandle(`lead-${lead.id}`).query(leadStateQuery);
      expect(view.handoff).toBeNull();
    });
  });
});

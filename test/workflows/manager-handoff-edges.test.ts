import { defaultPayloadConverter } from '@temporalio/common';
import { Handoffs } from '../../bot/handoffs/handoffs';
import { leadStateQuery, leadWorkflowId } from '../../workflows/lead-conversation/contract';
import { handoffStateQuery, type ManagerHandoffInput } from '../../workflows/manager-handoff/contract';
import { Gate, thenRelease } from '../support/activity-gate';
import { handoffDesk, privateMessage, waitUntil } from '../support/handoff-desk';
import { buttonsOf, MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { text, type TestUser } from '../support/updates';

// The edges of a handoff's life (docs/manager-handoff.md: take, the dialog, closing): a card that cannot
// be edited, a dialog long enough to continue as new, messages that cross the close, a handoff that dies unseen.
const h = useLeadHarness({ serverPerTest: true });
const d = handoffDesk(h);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Small, so a short dialog continues as new as one of weeks would. */
const HANDOFF_RELAYS_PER_RUN = 2;

afterEach(() => h.fake.clearFailures());

const THANKS = 'Спасибо, что пообщались с менеджером';
const conversationOf = (lead: TestUser) => h.env.client.workflow.getHandle(leadWorkflowId(lead.id));
/** The lead's cards (with buttons) in the managers' chat; the managers' notices about the lead are left out. */
const cardsWithButtons = (lead: TestUser) => d.cardsAbout(lead).filter((c) => buttonsOf(c).length > 0);
const noticesAbout = (lead: TestUser) => d.cardsAbout(lead).filter((c) => buttonsOf(c).length === 0).map((c) => String(c.params.text));

/** No workflow task waiting and no activity running (but `running`): a terminate now leaves nothing in flight on the test server. */
async function quiet(workflowId: string, running = 0): Promise<boolean> {
  const events = (await h.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const open = new Set<string>();
  let taskPending = false;
  for (const event of events) {
    if (event.workflowTaskScheduledEventAttributes) taskPending = true;
    if (event.workflowTaskCompletedEventAttributes || event.workflowTaskFailedEventAttributes || event.workflowTaskTimedOutEventAttributes) taskPending = false;
    if (event.activityTaskScheduledEventAttributes) open.add(String(event.eventId));
    const closed = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes ?? event.activityTaskCanceledEventAttributes;
    if (closed?.scheduledEventId) open.delete(String(closed.scheduledEventId));
  }
  return !taskPending && open.size === running;
}

/** The input a handoff was started with (its first run), read from its history. */
async function handoffInput(workflowId: string): Promise<ManagerHandoffInput> {
  const [started] = (await h.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const payload = started?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return defaultPayloadConverter.fromPayload(payload as never);
}

describe('the edges of a manager handoff on the time-skipping server', () => {
  it('card edits that keep failing at the take and at the close: the take counts, the conversation learns the dialog ended, and follow-ups and a new request work again', async () => {
    const lead = h.newLead();
    const { oleg, bot, worker } = await d.setup();
    // Every edit of the card fails like a Telegram outage (5xx, retried by the activity).
    h.fake.failNext('editMessageReplyMarkup', { code: 500, description: 'Internal Server Error' }, 1000);
    await worker.runUntil(async () => {
      await d.askForManager(lead);
      expect(await d.pressCard(bot, oleg, d.takeData(lead))).toContain('Лид ваш');
      await h.env.sleep(MINUTE); // the edit's retries and backoff run out
      await h.fake.waitFor(() => d.privateTexts(oleg).some((t) => t.startsWith('✅ Вы взяли лида')));
      const failedEdits = () => h.fake.calls.filter((c) => c.method === 'editMessageReplyMarkup' && c.error?.error_code === 500).length;
      expect(failedEdits()).toBeGreaterThan(1);
      expect(h.fake.callsTo('editMessageReplyMarkup', MANAGERS_CHAT)).toHaveLength(0);

      // The take counts: the lead's message goes to the manager, the manager's reply to the lead.
      await h.conversations().deliver(text(lead, 'Сколько стоит курс?'));
      await h.fake.waitFor(() => d.privateTexts(oleg).some((t) => t.includes('Сколько стоит курс?')));
      await bot.handleUpdate(privateMessage(oleg, 'Курс стоит 30 000 ₽.'));
      await h.fake.waitFor(() => h.texts(lead).includes('Курс стоит 30 000 ₽.'));
      expect((await conversationOf(lead).query(leadStateQuery)).mode).toBe('with_manager');

      const editsBeforeClose = failedEdits();
      await bot.handleUpdate(privateMessage(oleg, `/close ${await d.leadIdOf(lead)} done купил курс`));
      await h.fake.waitFor(() => h.texts(lead).some((t) => t.includes(THANKS)));
      expect((await d.handoffEnded(lead)).summary).toContain('Итог: done (купил курс)');
      expect(failedEdits()).toBeGreaterThan(editsBeforeClose); // the close's edit was tried and failed too
      await h.fake.waitFor(() => d.privateTexts(oleg).some((t) => t.includes('закрыт (done)')));
      await h.idle(lead);
      expect(await conversationOf(lead).query(leadStateQuery)).toMatchObject({ handoff: null, mode: 'bot' });

      // Not stranded: the silence after the close brings the follow-up (quiet hours may hold it till 09:00)...
      await h.env.sleep(36 * HOUR);
      await h.fake.waitFor(() => h.texts(lead).some((t) => t.includes('вы вчера заглядывали')));
      // ...and a new request for a manager posts a new card, not a repeat of the closed one.
      await h.conversations().deliver(text(lead, 'позовите менеджера'));
      await h.fake.waitFor(() => cardsWithButtons(lead).length === 2);
      await h.endAfterHandoffAnnounced(lead);
    });
    expect((await d.events(lead.id)).map((e) => e.type)).not.toContain('handoff_repeated');
  });

  it(`a dialog longer than ${HANDOFF_RELAYS_PER_RUN} relays per run continues as new: the holder and the counts carry over, every message arrives once and in order, and the close reaches the conversation`, async () => {
    const lead = h.newLead();
    // The sales script is held in flight, so the run that is due to continue waits for it while messages queue up.
    const script = new Gate();
    const { oleg, maria, bot, worker } = await d.setup({ activities: (real) => ({ salesScript: script.wrap(real.salesScript) }) });
    const fromLead = ['Первый вопрос лида', 'Второй вопрос лида', 'Третий вопрос лида', 'Четвёртый вопрос лида'];
    const fromManager = ['Первый ответ менеджера', 'Второй ответ менеджера', 'Третий ответ менеджера', 'Четвёртый ответ менеджера'];
    const arrived = (upTo: number) => () =>
      fromLead.slice(0, upTo).every((m) => d.privateTexts(oleg).some((t) => t.includes(m))) && fromManager.slice(0, upTo).every((m) => h.texts(lead).includes(m));
    await worker.runUntil(
      thenRelease(script, async () => {
        // The conversation gives every handoff it opens this relay limit.
        await h.env.client.workflow.signalWithStart('leadConversationWorkflow', {
          workflowId: leadWorkflowId(lead.id),
          taskQueue: h.taskQueue,
          args: [{ telegramUserId: lead.id, chatId: lead.id, handoffRelaysPerRun: HANDOFF_RELAYS_PER_RUN }],
          signal: 'inbound',
          signalArgs: [text(lead, '/start')],
        });
        await d.askForManager(lead);
        expect(await d.pressCard(bot, oleg, d.takeData(lead))).toContain('Лид ваш');
        await h.fake.waitFor(() => d.privateTexts(oleg).some((t) => t.startsWith('✅ Вы взяли лида')));
        const id = await d.openHandoffId(lead);
        const handoff = h.env.client.workflow.getHandle(id);
        const firstRun = (await handoff.describe()).runId;

        const scriptData = buttonsOf(d.cardsAbout(lead)[0]).find((b) => b.text.includes('Скрипт'))?.callback_data as string;
        const scriptPress = d.pressCard(bot, maria, scriptData);
        await script.entered;
        // One message each way reaches the limit; the run waits for the script before it continues as new.
        await h.conversations().deliver(text(lead, fromLead[0]));
        await h.fake.waitFor(() => d.privateTexts(oleg).some((t) => t.includes(fromLead[0])));
        await bot.handleUpdate(privateMessage(oleg, fromManager[0]));
        await waitUntil(async () => (await d.events(lead.id)).filter((e) => e.type === 'message_relayed').length === 2);
        await waitUntil(() => quiet(id, 1)); // only the script runs: the flow waits for it to continue as new
        // These wait for the next run.
        await h.conversations().deliver(text(lead, fromLead[1]));
        await bot.handleUpdate(privateMessage(oleg, fromManager[1]));
        const signals = async () => ((await handoff.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
        await waitUntil(async () => (await signals()) === 4); // the lead's comes through the conversation
        script.release();
        expect(await scriptPress).toBe('Отправил вам в личный чат.');
        await h.fake.waitFor(arrived(2));

        // Then both sides write in bursts, so messages arrive while a run hands over to the next.
        for (const message of fromLead.slice(2)) await h.conversations().deliver(text(lead, message));
        for (const message of fromManager.slice(2)) await bot.handleUpdate(privateMessage(oleg, message));
        await h.fake.waitFor(arrived(4));

        await waitUntil(async () => (await handoff.describe()).runId !== firstRun);
        const firstRunEvents = (await h.env.client.workflow.getHandle(id, firstRun).fetchHistory()).events ?? [];
        const handedOver = firstRunEvents.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
        expect(handedOver).toBeTruthy();
        // The first run handed the two queued messages to the next one.
        const next: ManagerHandoffInput = defaultPayloadConverter.fromPayload(handedOver?.input?.payloads?.[0] as never);
        expect(next.carriedOver?.pending.map((p) => p.message.text).sort()).toEqual([fromLead[1], fromManager[1]].sort());
        expect(await handoff.query(handoffStateQuery)).toMatchObject({ status: 'taken', managerId: oleg.id, relayed: { fromLead: fromLead.length, fromManager: fromManager.length } });
        // The holder carried over: the workflow itself refuses another manager's close.
        expect(await new Handoffs(h.env.client).close(id, { managerId: maria.id, outcome: 'done', reason: 'чужой' })).toEqual({ closed: false, why: `лида ведёт @${oleg.username}` });

        await bot.handleUpdate(privateMessage(oleg, `/close ${await d.leadIdOf(lead)} paid оплатил`));
        await h.fake.waitFor(() => h.texts(lead).some((t) => t.includes(THANKS)));
        const result = await d.handoffEnded(lead);
        expect(result.summary).toContain('Итог: paid (оплатил)');
        expect(result.summary).toContain(`Сообщений: лид ${fromLead.length}, менеджер ${fromManager.length}`);
        expect(result.summary).toContain(`лид: «${fromLead.at(-1)}»`);
        await h.idle(lead);
        await h.endConversations();
      }),
    );
    // Once each, in the order written.
    expect(d.privateTexts(oleg).filter((t) => fromLead.some((m) => t.includes(m))).map((t) => fromLead.find((m) => t.includes(m)))).toEqual(fromLead);
    expect(h.texts(lead).filter((t) => fromManager.includes(t))).toEqual(fromManager);
    expect(await h.db('messages').where({ lead_id: await d.leadIdOf(lead), direction: 'manager' }).orderBy('id').pluck('text')).toEqual(fromManager);
    expect(await h.db('handoffs').where({ lead_id: await d.leadIdOf(lead) }).first('status', 'outcome', 'manager_telegram_id')).toEqual({ status: 'closed', outcome: 'paid', manager_telegram_id: oleg.id });
  }, 180_000);

  it('a manager\'s reply that arrives while the dialog is closing is not delivered, and the manager is told so', async () => {
    const lead = h.newLead();
    const closing = new Gate();
    const { oleg, bot, worker } = await d.setup({ activities: (real) => ({ handoffClosed: closing.wrap(real.handoffClosed) }) });
    const late = 'И ещё: скидка 10% действует до пятницы';
    await worker.runUntil(
      thenRelease(closing, async () => {
        await d.askForManager(lead);
        expect(await d.pressCard(bot, oleg, d.takeData(lead))).toContain('Лид ваш');
        await h.fake.waitFor(() => d.privateTexts(oleg).some((t) => t.startsWith('✅ Вы взяли лида')));
        await bot.handleUpdate(privateMessage(oleg, `/close ${await d.leadIdOf(lead)} done договорились`));
        await closing.entered; // the dialog is closing: its row is being closed
        await bot.handleUpdate(privateMessage(oleg, late));
        closing.release();
        await h.fake.waitFor(() => d.privateTexts(oleg).some((t) => t.includes('Не доставлено лиду') && t.includes(late)));
        expect((await d.handoffEnded(lead)).outcome).toBe('done');
        await h.fake.waitFor(() => h.texts(lead).some((t) => t.includes(THANKS)));
        await h.idle(lead);
        await h.endConversations();
      }),
    );
    expect(h.texts(lead).some((t) => t.includes(late))).toBe(false);
    expect(d.privateTexts(oleg).filter((t) => t.includes(late))).toHaveLength(1);
    expect(d.privateTexts(oleg).find((t) => t.includes(late))).toContain('диалог уже закрыт (done)');
  });

  it('a relay that fails with a close queued behind it: the manager hears of the blocked message, and the close with its summary still reaches the conversation', async () => {
    const lead = h.newLead();
    const crossing = 'Я ещё здесь, можно вопрос?';
    const inbound = new Gate();
    const { oleg, bot, worker } = await d.setup({
      activities: (real) => ({
        // Holds the lead's message that crosses the close, so the close arrives while it is being handled.
        recordInbound: (event) => (event.kind === 'text' && event.text === crossing ? inbound.wrap(real.recordInbound)(event) : real.recordInbound(event)),
      }),
    });
    await worker.runUntil(
      thenRelease(inbound, async () => {
        await d.askForManager(lead);
        expect(await d.pressCard(bot, oleg, d.takeData(lead))).toContain('Лид ваш');
        await h.fake.waitFor(() => d.privateTexts(oleg).some((t) => t.startsWith('✅ Вы взяли лида')));
        const id = await d.openHandoffId(lead);

        // The lead has blocked the bot: the manager's reply fails (403) and the manager is told.
        h.fake.failNext('sendMessage', { code: 403, description: 'Forbidden: bot was blocked by the user' });
        await bot.handleUpdate(privateMessage(oleg, 'Курс стоит 30 000 ₽.'));
        await h.fake.waitFor(() => d.privateTexts(oleg).some((t) => t.includes('Сообщение не доставлено лиду')));

        // The lead writes again just as the manager closes: the relay of that message finds the handoff gone.
        await h.conversations().deliver(text(lead, crossing));
        await inbound.entered;
        await bot.handleUpdate(privateMessage(oleg, `/close ${await d.leadIdOf(lead)} cancelled передумал`));
        await waitUntil(async () => (await h.env.client.workflow.getHandle(id).describe()).status.name === 'COMPLETED');
        inbound.release();

        await h.fake.waitFor(() => h.texts(lead).some((t) => t.includes(THANKS)));
        await h.idle(lead);
        expect((await conversationOf(lead).query(leadStateQuery)).handoff).toBeNull();
        // The summary is in the conversation's facts: the next handoff is started with it.
        await h.conversations().deliver(text(lead, 'позовите менеджера'));
        await h.fake.waitFor(() => cardsWithButtons(lead).length === 2);
        const next = await d.openHandoffId(lead);
        expect(next).not.toBe(id);
        expect((await handoffInput(next)).facts.manager_dialog).toContain('Итог: cancelled (передумал)');
        await h.endAfterHandoffAnnounced(lead);
      }),
    );
    const types = (await d.events(lead.id)).map((e) => e.type);
    expect(types).toContain('back_to_bot');
    expect(types).not.toContain('handoff_lost');
    // The crossing message is not lost either: it is recorded once.
    expect(await h.db('messages').where({ lead_id: await d.leadIdOf(lead), direction: 'in', text: crossing }).pluck('text')).toEqual([crossing]);
  });

  it('the hourly check of a conversation that continued as new notices a handoff that was terminated: the lead is back with the bot and may ask again', async () => {
    const lead = h.newLead();
    const { worker } = await d.setup();
    await worker.runUntil(async () => {
      // Two events per run: the request for a manager is the last event of the first run.
      const started = await h.env.client.workflow.signalWithStart('leadConversationWorkflow', {
        workflowId: leadWorkflowId(lead.id),
        taskQueue: h.taskQueue,
        args: [{ telegramUserId: lead.id, chatId: lead.id, maxEventsPerRun: 2 }],
        signal: 'inbound',
        signalArgs: [text(lead, '/start')],
      });
      const firstRun = started.signaledRunId;
      await h.conversations().deliver(text(lead, 'позовите менеджера'));
      await h.fake.waitFor(() => cardsWithButtons(lead).length === 1);
      const conversation = conversationOf(lead);
      await waitUntil(async () => (await conversation.describe()).runId !== firstRun);
      const id = await d.openHandoffId(lead);
      expect(id).toBeTruthy();

      // The new run cannot await the handoff its first run started; an operator terminates it.
      await waitUntil(() => quiet(id));
      await h.env.client.workflow.getHandle(id).terminate('operator');
      await h.idle(lead);
      expect((await conversation.query(leadStateQuery)).handoff?.workflowId).toBe(id);

      await h.env.sleep(61 * MINUTE);
      await h.fake.waitFor(() => noticesAbout(lead).some((t) => t.includes('прерван (ended unseen)')));
      await h.idle(lead);
      expect(await conversation.query(leadStateQuery)).toMatchObject({ handoff: null, mode: 'bot' });
      expect(await h.db('handoffs').where({ workflow_id: id }).first('status', 'reason')).toEqual({ status: 'closed', reason: 'handoff ended unseen' });

      await h.conversations().deliver(text(lead, 'позовите менеджера'));
      await h.fake.waitFor(() => cardsWithButtons(lead).length === 2);
      await h.endAfterHandoffAnnounced(lead);
    });
    const types = (await d.events(lead.id)).map((e) => e.type);
    expect(types).toContain('handoff_lost');
    expect(types).not.toContain('handoff_repeated');
  });
});

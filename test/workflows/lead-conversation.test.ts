import { defaultScenarioPath, loadScenarioFile } from '../../scenarios/loader';
import { leadStateQuery, leadWorkflowId } from '../../workflows/lead-conversation/contract';
import { leadRows } from '../support/db';
import { buttonsOf, MANAGERS_CHAT, useLeadHarness, type LeadHarness } from '../support/lead-harness';
import { press, text } from '../support/updates';

const ru = loadScenarioFile(defaultScenarioPath('ru'));

const h = useLeadHarness();

const conversations = () => h.conversations();
const sent: LeadHarness['sent'] = (method, user) => h.sent(method, user);
const texts: LeadHarness['texts'] = (user) => h.texts(user);
const until: LeadHarness['until'] = (method, user, count) => h.until(method, user, count);
const newLead: LeadHarness['newLead'] = (overrides) => h.newLead(overrides);

describe('leadConversationWorkflow on the time-skipping server', () => {
  it('greets on /start, sends the bonus, and 3 seconds later the opening question; all recorded', async () => {
    const lead = newLead();
    const worker = await h.worker();
    await worker.runUntil(async () => {
      await conversations().deliver(text(lead, '/start ads_vk'));
      await until('sendMessage', lead, 1);
      const [greeting] = sent('sendMessage', lead);
      expect(greeting.params.text).toContain('Здравствуйте, Анна!');
      expect(buttonsOf(greeting).map((b) => b.text)).toEqual(['🎁 Получить бонус', '📝 Оставить заявку']);

      await conversations().deliver(press(lead, buttonsOf(greeting)[0].callback_data as string));
      await until('sendDocument', lead, 1);
      const [bonus] = sent('sendDocument', lead);
      expect(bonus.files.document).toEqual({ filename: 'bonus.pdf', size: expect.any(Number) });
      expect(bonus.params.caption).toBe(ru.steps.bonus.messages[0] && 'caption' in ru.steps.bonus.messages[0] ? ru.steps.bonus.messages[0].caption : undefined);
      expect(sent('sendMessage', lead)).toHaveLength(1); // the question waits for the timer

      await h.env.sleep('3s');
      await until('sendMessage', lead, 2);
      expect(texts(lead)[1]).toContain('управлять своими деньгами');
      await h.env.sleep('1m');
      expect(sent('sendMessage', lead)).toHaveLength(2);
    });

    const { lead: row, messages, events } = await leadRows(h.db, lead.id);
    expect(row).toMatchObject({ source: 'ads_vk', first_name: 'Анна', username: 'anna_invests', mode: 'bot', blocked: false });
    expect(messages.map((m) => [m.direction, m.status])).toEqual([
      ['in', 'received'],
      ['out', 'sent'],
      ['in', 'received'],
      ['out', 'sent'],
      ['out', 'sent'],
    ]);
    expect(messages[0].text).toBe('/start ads_vk');
    expect(messages.filter((m) => m.direction === 'out').every((m) => m.telegram_message_id > 0 && m.outbound_id)).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['greeted', 'bonus_taken']);
  });

  it('ignores an update id it has already seen', async () => {
    const lead = newLead();
    const worker = await h.worker();
    await worker.runUntil(async () => {
      const start = text(lead, '/start');
      await conversations().deliver(start);
      await conversations().deliver(start);
      await conversations().deliver(text(lead, 'привет'));
      await until('sendMessage', lead, 2);
      await h.env.sleep('5s');
    });
    expect(texts(lead)).toHaveLength(2);
    const { messages } = await leadRows(h.db, lead.id);
    expect(messages.filter((m) => m.direction === 'in')).toHaveLength(2);
  });

  it('answers a stale button with "out of date" and the current step again', async () => {
    const lead = newLead();
    const worker = await h.worker();
    await worker.runUntil(async () => {
      await conversations().deliver(text(lead, '/start'));
      await conversations().deliver(press(lead, 'greeting:bonus'));
      await until('sendDocument', lead, 1);
      await h.env.sleep('3s');
      await until('sendMessage', lead, 2); // the opening question
      await conversations().deliver(press(lead, 'greeting:request')); // from the old greeting
      await until('sendMessage', lead, 4);
    });
    expect(texts(lead)[2]).toBe(ru.texts.staleButton);
    expect(texts(lead)[3]).toContain('управлять своими деньгами'); // the opening question again
    expect(sent('sendDocument', lead)).toHaveLength(1);
    const { events } = await leadRows(h.db, lead.id);
    expect(events.map((e) => e.type)).toEqual(['greeted', 'bonus_taken', 'stale_button']);
  });

  it('/reset: cancel deletes nothing; confirm deletes every row and starts over', async () => {
    const lead = newLead();
    const worker = await h.worker();
    await worker.runUntil(async () => {
      await conversations().deliver(text(lead, '/start promo'));
      await conversations().deliver(text(lead, '/reset'));
      await until('sendMessage', lead, 2);
      expect(buttonsOf(sent('sendMessage', lead)[1]).map((b) => b.callback_data)).toEqual(['sys:reset_yes', 'sys:reset_no']);
      await conversations().deliver(press(lead, 'sys:reset_no'));
      await until('sendMessage', lead, 3);
      expect(texts(lead)[2]).toBe(ru.texts.resetCancelled);
      expect((await leadRows(h.db, lead.id)).messages.length).toBe(6);

      await conversations().deliver(text(lead, '/reset'));
      await conversations().deliver(press(lead, 'sys:reset_yes'));
      await until('sendMessage', lead, 6);
    });
    expect(texts(lead)[4]).toBe(ru.texts.resetDone);
    expect(texts(lead)[5]).toContain('Здравствуйте, Анна!');
    const { lead: row, messages, events } = await leadRows(h.db, lead.id);
    expect(row.source).toBeNull(); // the old source went with the old rows
    expect(messages.map((m) => m.text)).toEqual([ru.texts.resetDone, expect.stringContaining('Здравствуйте')]);
    expect(events.map((e) => e.type)).toEqual(['greeted']);
  });

  it('a 429 waits retry_after and the message arrives exactly once', async () => {
    const lead = newLead();
    h.fake.failNext('sendMessage', { code: 429, retryAfter: 1 });
    const worker = await h.worker();
    await worker.runUntil(async () => {
      await conversations().deliver(text(lead, '/start'));
      await until('sendMessage', lead, 1);
    });
    const attempts = h.fake.calls.filter((c) => c.method === 'sendMessage' && c.params.chat_id === lead.id);
    expect(attempts.map((c) => c.error?.error_code ?? 'ok')).toEqual([429, 'ok']);
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(900);
    const { messages } = await leadRows(h.db, lead.id);
    expect(messages.filter((m) => m.direction === 'out').map((m) => m.status)).toEqual(['sent']);
  });

  it('a lead who blocked the bot is marked blocked, is not messaged, and is answered again after writing', async () => {
    const lead = newLead();
    h.fake.blockUser(lead.id);
    const worker = await h.worker();
    const handle = h.env.client.workflow.getHandle(leadWorkflowId(lead.id));
    await worker.runUntil(async () => {
      await conversations().deliver(text(lead, '/start'));
      await h.fake.waitFor(() => h.fake.calls.some((c) => c.params.chat_id === lead.id && c.error?.error_code === 403));
      await h.idle(lead);
      expect(await handle.query(leadStateQuery)).toMatchObject({ blocked: true, step: 'greeting' });
      expect((await leadRows(h.db, lead.id)).lead.blocked).toBe(true);
      // They unblock the bot and write: the conversation goes on.
      h.fake.pushText({ id: lead.id }, 'unblock'); // the fake unblocks a user who writes
      await conversations().deliver(text(lead, 'я вернулся'));
      await until('sendMessage', lead, 1);
    });
    expect(h.fake.calls.filter((c) => c.params.chat_id === lead.id && c.error?.error_code === 403)).toHaveLength(1);
    expect((await leadRows(h.db, lead.id)).lead.blocked).toBe(false);
  });

  it('continues as new with its state: step, seen update ids and pending events carry over', async () => {
    const lead = newLead();
    const worker = await h.worker();
    const start = text(lead, '/start');
    await worker.runUntil(async () => {
      await h.env.client.workflow.signalWithStart('leadConversationWorkflow', {
        workflowId: leadWorkflowId(lead.id),
        taskQueue: h.taskQueue,
        args: [{ telegramUserId: lead.id, chatId: lead.id, maxEventsPerRun: 2 }],
        signal: 'inbound',
        signalArgs: [start],
      });
      const handle = h.env.client.workflow.getHandle(leadWorkflowId(lead.id));
      const firstRun = (await handle.describe()).runId;
      await conversations().deliver(press(lead, 'greeting:request'));
      await until('sendMessage', lead, 2);
      await h.idle(lead);
      await conversations().deliver(start); // a redelivery from before continue-as-new
      await conversations().deliver(press(lead, 'request:unknown'));
      await until('sendMessage', lead, 4);
      const now = await handle.describe();
      expect(now.runId).not.toBe(firstRun);
      expect(await handle.query(leadStateQuery)).toMatchObject({ step: 'request', scenario: { id: 'default', version: 1, language: 'ru' } });
    });
    expect(texts(lead)).toHaveLength(4);
    expect(texts(lead)[2]).toBe(ru.texts.staleButton);
  });

  it('a worker stopped during the bonus timer: the next worker sends the opening question once', async () => {
    const lead = newLead();
    // No workflow cache: the next worker cannot wait on the stopped one's sticky queue.
    const uncached = { maxCachedWorkflows: 0 };
    await (await h.worker({}, uncached)).runUntil(async () => {
      await conversations().deliver(text(lead, '/start'));
      await conversations().deliver(press(lead, 'greeting:bonus'));
      await until('sendDocument', lead, 1);
    });
    await h.env.sleep('10s'); // the timer fires while no worker runs
    expect(sent('sendMessage', lead)).toHaveLength(1);
    await (await h.worker({}, uncached)).runUntil(async () => {
      await until('sendMessage', lead, 2);
      await h.idle(lead); // a duplicate would have gone out by now
    });
    expect(texts(lead)).toHaveLength(2);
    expect(sent('sendDocument', lead)).toHaveLength(1);
  });

  it('speaks English to a lead whose Telegram is in English', async () => {
    const lead = newLead({ first_name: 'John', language_code: 'en' });
    const worker = await h.worker();
    await worker.runUntil(async () => {
      await conversations().deliver(text(lead, '/start'));
      await until('sendMessage', lead, 1);
    });
    expect(texts(lead)[0]).toContain('Hello, John!');
  });
});

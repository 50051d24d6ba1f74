import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultScenarioPath } from '../../scenarios/loader';
import { leadStateQuery, leadWorkflowId } from '../../workflows/lead-conversation/contract';
import { buttonsOf, useLeadHarness } from '../support/lead-harness';
import { press, text, type TestUser } from '../support/updates';

// A server per test: a test that ends with an activity in flight (a scenario load being retried) would stop
// the shared server's time skipping for the next one, and its sleep would never return.
const h = useLeadHarness({ serverPerTest: true });

const original = readFileSync(defaultScenarioPath('ru'), 'utf8');

/** A scenario folder of its own, so a test can edit the file while conversations run. */
function scenarioFolder() {
  const dir = mkdtempSync(join(tmpdir(), 'versions-'));
  cpSync(join(defaultScenarioPath('ru'), '..', 'media'), join(dir, 'media'), { recursive: true });
  const path = join(dir, 'scenario.ru.yaml');
  const write = (source: string) => writeFileSync(path, source);
  write(original);
  return { scenarioPath: () => path, write };
}

const v2 = (source: string) => source.replace('version: 1', 'version: 2').replace('Здравствуйте, {first_name}! 👋', 'Добрый день, {first_name}! Версия 2.');

async function startWithLimit(lead: TestUser, maxEventsPerRun: number) {
  await h.env.client.workflow.signalWithStart('leadConversationWorkflow', {
    workflowId: leadWorkflowId(lead.id),
    taskQueue: h.taskQueue,
    args: [{ telegramUserId: lead.id, chatId: lead.id, maxEventsPerRun }],
    signal: 'inbound',
    signalArgs: [text(lead, '/start')],
  });
}

describe('editing a scenario while conversations run', () => {
  it('running conversations keep their version; new ones take the new one', async () => {
    const folder = scenarioFolder();
    const [old, fresh] = [h.newLead(), h.newLead()];
    await (await h.worker({ scenarioPath: folder.scenarioPath })).runUntil(async () => {
      await h.conversations().deliver(text(old, '/start'));
      await h.until('sendMessage', old, 1);
      folder.write(v2(original));
      await h.conversations().deliver(text(fresh, '/start'));
      await h.conversations().deliver(text(old, '/start'));
      await h.until('sendMessage', fresh, 1);
      await h.until('sendMessage', old, 2);
      const query = (lead: TestUser) => h.env.client.workflow.getHandle(leadWorkflowId(lead.id)).query(leadStateQuery);
      expect((await query(old)).scenario?.version).toBe(1);
      expect((await query(fresh)).scenario?.version).toBe(2);
    });
    expect(h.texts(old)).toEqual([expect.stringContaining('Здравствуйте, Анна!'), expect.stringContaining('Здравствуйте, Анна!')]);
    expect(h.texts(fresh)[0]).toContain('Добрый день, Анна! Версия 2.');
  });

  it('at continue-as-new a conversation moves to the new version when its step still exists there', async () => {
    const folder = scenarioFolder();
    const lead = h.newLead();
    await (await h.worker({ scenarioPath: folder.scenarioPath })).runUntil(async () => {
      await startWithLimit(lead, 2);
      await h.until('sendMessage', lead, 1);
      folder.write(v2(original));
      await h.conversations().deliver(press(lead, 'greeting:request')); // the 2nd event: continue-as-new follows
      await h.until('sendMessage', lead, 2);
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 3);
    });
    expect(h.texts(lead)[2]).toContain('Версия 2.');
  });

  it('a conversation whose step is gone from the new version stays on its own', async () => {
    const folder = scenarioFolder();
    const lead = h.newLead();
    await (await h.worker({ scenarioPath: folder.scenarioPath })).runUntil(async () => {
      await startWithLimit(lead, 2);
      await h.until('sendMessage', lead, 1);
      // v2 renames the "request" step: a lead standing on it cannot move over.
      folder.write(v2(original).replaceAll('goto: request', 'goto: application').replace('  request:\n', '  application:\n').replace('contact: request', 'contact: application'));
      await h.conversations().deliver(press(lead, 'greeting:request'));
      await h.until('sendMessage', lead, 2);
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 3);
      const state = await h.env.client.workflow.getHandle(leadWorkflowId(lead.id)).query(leadStateQuery);
      expect(state.scenario?.version).toBe(1);
    });
    expect(h.texts(lead)[2]).toContain('Здравствуйте, Анна!');
  });
});

describe('a scenario edited badly, and a step timer', () => {
  it('a broken newer scenario at continue-as-new: the conversation keeps its pinned version and goes on answering', async () => {
    const folder = scenarioFolder();
    const lead = h.newLead();
    await (await h.worker({ scenarioPath: folder.scenarioPath })).runUntil(async () => {
      await startWithLimit(lead, 2);
      await h.until('sendMessage', lead, 1);
      // An editor saves a file that does not load (a step points at one that does not exist).
      folder.write(v2(original).replace('goto: opening', 'goto: no_such_step'));
      await h.conversations().deliver(press(lead, 'greeting:request')); // the 2nd event: continue-as-new follows
      await h.until('sendMessage', lead, 2);
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 3);
      const state = await h.env.client.workflow.getHandle(leadWorkflowId(lead.id)).query(leadStateQuery);
      expect(state.scenario?.version).toBe(1);
    });
    expect(h.texts(lead)[2]).toContain('Здравствуйте, Анна!');
  });

  it("a step's after_seconds is a timer, not a pause: the lead's next message is answered at once, and the timer still fires", async () => {
    const folder = scenarioFolder();
    folder.write(original.replace('then: { after_seconds: 3, goto: opening }', 'then: { after_seconds: 3600, goto: opening }'));
    const lead = h.newLead();
    await (await h.worker({ scenarioPath: folder.scenarioPath })).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      await h.conversations().deliver(press(lead, 'greeting:bonus'));
      await h.fake.waitFor(() => h.sent('sendDocument', lead).length === 1);
      // Within the hour, on the workflow clock: the answer must not wait for the step's timer.
      await h.conversations().deliver(text(lead, '/help'));
      await h.until('sendMessage', lead, 2);
      expect(h.texts(lead)[1]).not.toContain('Скажите честно');
      await h.env.sleep('61m');
      await h.until('sendMessage', lead, 3);
    });
    expect(h.texts(lead)[2]).toContain('Скажите честно');
  });
});

describe('message history mode', () => {
  it('replace: a button press edits the message it came from instead of sending a new one', async () => {
    const folder = scenarioFolder();
    folder.write(original.replace('history_mode: preserve', 'history_mode: replace'));
    const lead = h.newLead();
    await (await h.worker({ scenarioPath: folder.scenarioPath })).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.conversations().deliver(text(lead, '/help'));
      await h.until('sendMessage', lead, 2);
      const help = h.sent('sendMessage', lead)[1];
      const messageId = (help.result as { message_id: number }).message_id;
      await h.conversations().deliver(press(lead, 'help:manager', undefined, messageId));
      await h.fake.waitFor(() => h.fake.callsTo('editMessageText', lead.id).length === 1);
      expect(h.fake.callsTo('editMessageText', lead.id)[0].params).toMatchObject({ message_id: messageId, text: expect.stringContaining('Передал ваш запрос менеджеру') });
    });
    expect(h.sent('sendMessage', lead)).toHaveLength(2);
  });
});

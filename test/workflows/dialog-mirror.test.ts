import { DIALOG_MIRROR_WORKFLOW_ID } from '../../workflows/dialog-mirror/contract';
import { waitUntil } from '../support/handoff-desk';
import { useLeadHarness } from '../support/lead-harness';
import { text } from '../support/updates';

const h = useLeadHarness({ serverPerTest: true });
let DIALOGS = -100_535_353_5353;
// The fake Telegram outlives a test: each test has a dialogs group of its own.
beforeEach(() => {
  DIALOGS -= 1;
});

/** The worker with the mirror switched on, and the mirror's workflow started as the system starts it. */
async function mirrorRunning() {
  const worker = await h.worker({ dialogsChatId: DIALOGS });
  const start = () => h.env.client.workflow.start('dialogMirrorWorkflow', { workflowId: `${DIALOG_MIRROR_WORKFLOW_ID}-${h.taskQueue}`, taskQueue: h.taskQueue, args: [] });
  return { worker, start };
}

const mirrored = () => h.fake.calls.filter((c) => c.params.chat_id === DIALOGS && c.result !== undefined);

describe('the dialog mirror workflow', () => {
  it("mirrors a lead's dialog into their topic while the conversation goes on", async () => {
    h.fake.addGroup(DIALOGS, 'Диалоги', { forum: true });
    const lead = h.newLead({ first_name: 'Ирина' });
    const { worker, start } = await mirrorRunning();
    await worker.runUntil(async () => {
      const mirror = await start();
      await h.conversations().deliver(text(lead, '/start'));
      await h.fake.waitFor(() => h.texts(lead).length > 0);
      await h.fake.waitFor(() => h.fake.forumTopics(DIALOGS).some((t) => t.name.startsWith('Ирина')), 30_000);
      const [topic] = h.fake.forumTopics(DIALOGS);
      // The card, then the lead's /start and the bot's answer, each with its author.
      await h.fake.waitFor(() => h.fake.topicMessages(DIALOGS, topic.threadId).some((m) => String(m.text ?? '').includes('🤖 Бот')), 30_000);
      const posts = h.fake.topicMessages(DIALOGS, topic.threadId).map((m) => String(m.text ?? ''));
      expect(posts.some((p) => p.includes('👤 Ирина:\n/start'))).toBe(true);
      await mirror.terminate();
    });
  });

  it("Telegram refusing every mirror post never delays or breaks a lead's conversation, and the mirror catches up afterwards", async () => {
    h.fake.addGroup(DIALOGS, 'Диалоги', { forum: true });
    // Everything for the dialogs group fails (Telegram answers 500) until the test lets it through.
    let refusing = true;
    h.fake.setFaultInjector(({ params }) => (refusing && params.chat_id === DIALOGS ? { code: 500 } : undefined));
    const lead = h.newLead({ first_name: 'Пётр' });
    const { worker, start } = await mirrorRunning();
    await worker.runUntil(async () => {
      const mirror = await start();
      await h.conversations().deliver(text(lead, '/start'));
      await h.fake.waitFor(() => h.texts(lead).length > 0);
      const replies = h.texts(lead).length;
      await h.conversations().deliver(text(lead, 'Расскажите о курсе'));
      await h.fake.waitFor(() => h.texts(lead).length > replies);
      expect(mirrored()).toHaveLength(0);
      await waitUntil(async () => h.fake.calls.some((c) => c.params.chat_id === DIALOGS && c.error?.error_code === 500));

      refusing = false;
      await h.fake.waitFor(() => mirrored().some((c) => String(c.params.text ?? '').includes('Расскажите о курсе')), 60_000);
      await mirror.terminate();
    });
    h.fake.setFaultInjector(undefined);
  });
});

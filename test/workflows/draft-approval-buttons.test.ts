import OpenAI from 'openai';
import pino from 'pino';
import { draftApprovalDeps } from '../../bot/handoffs/draft-approval-deps';
import { setStaffRole } from '../../db/staff';
import { STAFF_TEXTS } from '../../domain/staff/staff-texts';
import { defaultScenarioPath, loadScenarioFile } from '../../scenarios/loader';
import { FakeOpenAIServer, realmSafeFetch } from '../fakes/openai-server';
import { uniqueUserId } from '../support/db';
import { buttonsOf, MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { auditOf, groupChat, person, securityBot } from '../support/security-bot';
import { text, type TestUser } from '../support/updates';

/**
 * Approval mode wired as system.ts wires it (`draftApprovalDeps`: the staff check, drafts read from
 * Postgres, the decision signalled to the lead's workflow), pressed through the real bot. A bot test,
 * kept with the workflow tests because it needs the lead's workflow running on the time-skipping server.
 */
const h = useLeadHarness({ serverPerTest: true });
const KEY = 'sk-test-key';
const DRAFT = 'Думаю, курс подойдёт, но уточню у коллег.';
const ru = loadScenarioFile(defaultScenarioPath('ru'));
let openaiFake: FakeOpenAIServer;

beforeAll(async () => {
  openaiFake = await FakeOpenAIServer.start({ apiKey: KEY });
});
afterAll(() => openaiFake?.stop());

const managersChat = groupChat(MANAGERS_CHAT, 'Managers');

/** The bot of system.ts, owners configured, with a manager who may decide on drafts. */
async function staffedBot() {
  const owner = uniqueUserId();
  const manager = person('Oleg');
  await setStaffRole(h.db, manager.id, 'manager', owner);
  const approvals = draftApprovalDeps(h.db, h.env.client, MANAGERS_CHAT, [owner], pino({ level: 'silent' }));
  return { manager, sb: securityBot({ fake: h.fake, db: h.db, owners: [owner], managersChatId: MANAGERS_CHAT, approvals }) };
}

/** /start and an unsure question: the model's draft waits for a decision; returns its id and its card's message once posted. */
async function draftWaiting(lead: TestUser): Promise<{ draftId: number; cardMessageId: number }> {
  openaiFake.script({
    kind: 'json',
    content: { reply: DRAFT, intent: 'question', next_action: 'answer', confidence: 0.3, profile_updates: {}, readiness: 40, stage: 'frame' },
  });
  await h.conversations().deliver(text(lead, '/start'));
  await h.until('sendMessage', lead, 1);
  await h.conversations().deliver(text(lead, 'Подойдёт ли мне курс, если я работаю по сменам?'));
  const cards = () => h.fake.callsTo('sendMessage', MANAGERS_CHAT).filter((c) => String(c.params.text).includes(`(id ${lead.id})`));
  await h.fake.waitFor(() => cards().length > 0);
  const draftId = Number(buttonsOf(cards()[0])[0].callback_data?.match(/^dr:(\d+)\.ok$/)?.[1]);
  // The workflow waits for the decision once the card's message id is stored: the lead has nothing yet.
  await h.idle(lead);
  expect(await h.db('llm_drafts').where({ id: draftId }).first()).toMatchObject({ status: 'pending' });
  expect(h.texts(lead)).toHaveLength(1);
  return { draftId, cardMessageId: (cards()[0].result as { message_id: number }).message_id };
}

const worker = () => h.worker({ openai: new OpenAI({ apiKey: KEY, baseURL: openaiFake.baseUrl, maxRetries: 0, fetch: realmSafeFetch }), model: 'test-model', approval: { enabled: true, timeoutSeconds: 300 } });

describe('the draft approval buttons, wired as in system.ts', () => {
  it("a non-staff press is refused and recorded; a manager's approve sends the draft to the lead; a second press and an unknown draft say the draft is closed", async () => {
    const { manager, sb } = await staffedBot();
    const guest = person('Guest'); // in the managers' chat, without a role
    const lead = h.newLead();
    await (await worker()).runUntil(async () => {
      const { draftId } = await draftWaiting(lead);

      expect(await sb.press(guest, managersChat, `dr:${draftId}.ok`)).toBe(STAFF_TEXTS.notAllowed);
      await h.idle(lead);
      expect(h.texts(lead)).toHaveLength(1);
      expect(await h.db('llm_drafts').where({ id: draftId }).first()).toMatchObject({ status: 'pending' });
      expect(await auditOf(h.db, guest.id)).toEqual([
        expect.objectContaining({ command: 'draft_decision', allowed: false, reason: 'not staff', details: expect.objectContaining({ draftId: String(draftId), verdict: 'ok' }) }),
      ]);

      expect(await sb.press(manager, managersChat, `dr:${draftId}.ok`)).toBe(STAFF_TEXTS.approved);
      await h.until('sendMessage', lead, 2);
      await h.idle(lead);
      expect(h.texts(lead)).toEqual([expect.any(String), DRAFT]);
      expect(await h.db('llm_drafts').where({ id: draftId }).first()).toMatchObject({ status: 'approved', decided_by: manager.id, final_text: DRAFT });

      // The card was settled: a late press (its buttons still on someone's screen) and a made-up id change nothing.
      expect(await sb.press(manager, managersChat, `dr:${draftId}.no`)).toBe(STAFF_TEXTS.draftClosed);
      expect(await sb.press(manager, managersChat, `dr:${draftId + 1_000_000}.ok`)).toBe(STAFF_TEXTS.draftClosed);
      await h.idle(lead);
      expect(h.texts(lead)).toHaveLength(2);
      expect(await h.db('llm_drafts').where({ id: draftId }).first()).toMatchObject({ status: 'approved' });
    });
  });

  it("a manager's reject: the lead gets the templated answer, never the draft", async () => {
    const { manager, sb } = await staffedBot();
    const lead = h.newLead();
    await (await worker()).runUntil(async () => {
      const { draftId } = await draftWaiting(lead);
      expect(await sb.press(manager, managersChat, `dr:${draftId}.no`)).toBe(STAFF_TEXTS.rejected);
      await h.until('sendMessage', lead, 2);
      await h.idle(lead);
      expect(await h.db('llm_drafts').where({ id: draftId }).first()).toMatchObject({ status: 'rejected', decided_by: manager.id, final_text: null });
    });
    expect(h.texts(lead)[1]).toBe((ru.steps.fallback.messages[0] as { text: string }).text);
    expect(h.texts(lead)).not.toContain(DRAFT);
  });

  it("a manager's reply to the card sends the manager's text instead; a stranger's reply is refused and recorded", async () => {
    const { manager, sb } = await staffedBot();
    const guest = person('Guest');
    const lead = h.newLead();
    const own = 'Да, занятия в записи — удобно при сменном графике.';
    await (await worker()).runUntil(async () => {
      const { draftId, cardMessageId } = await draftWaiting(lead);
      await sb.say(guest, managersChat, 'Купите у меня со скидкой', cardMessageId);
      expect(h.fake.callsTo('sendMessage', MANAGERS_CHAT).at(-1)?.params.text).toBe(STAFF_TEXTS.notAllowed);
      expect(await auditOf(h.db, guest.id)).toEqual([expect.objectContaining({ command: 'draft_edit', allowed: false, reason: 'not staff' })]);
      await sb.say(manager, managersChat, own, cardMessageId);
      expect(h.fake.callsTo('sendMessage', MANAGERS_CHAT).at(-1)?.params.text).toBe(STAFF_TEXTS.edited);
      await h.until('sendMessage', lead, 2);
      await h.idle(lead);
      expect(await h.db('llm_drafts').where({ id: draftId }).first()).toMatchObject({ status: 'edited', decided_by: manager.id, final_text: own });
    });
    expect(h.texts(lead)).toEqual([expect.any(String), own]);
  });
});

import type { WorkflowHandle } from '@temporalio/client';
import { Handoffs } from '../../bot/handoffs/handoffs';
import { handoffStateQuery } from '../../workflows/manager-handoff/contract';
import { removeStaff, setStaffRole } from '../../db/staff';
import { buttonsOf, MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { auditOf, groupChat, person, privateChatOf, securityBot } from '../support/security-bot';
import { text, type TestUser } from '../support/updates';
import { eventually } from '../support/eventually';

/**
 * Issue 15, section 1: `/staff_remove` takes a manager's dialogs away at once. The bot's side: each
 * open handoff the person holds gets `releaseDialog` (and only those), and whatever the person sends
 * or presses afterwards is refused and recorded, whether or not a workflow has released them yet.
 */
const h = useLeadHarness({ serverPerTest: true });
const managersChat = groupChat(MANAGERS_CHAT, 'Managers');

const cardsAbout = (lead: TestUser) => h.fake.callsTo('sendMessage', MANAGERS_CHAT).filter((c) => String(c.params.text).includes(`(id ${lead.id})`));
const cardData = (lead: TestUser, label: string) => String(buttonsOf(cardsAbout(lead)[0]).find((b) => b.text.includes(label))?.callback_data);
const leadIdOf = async (lead: TestUser) => Number((await h.db('leads').where({ telegram_user_id: lead.id }).first('id')).id);
const workflowOf = async (lead: TestUser) => String((await h.db('handoffs').where({ lead_id: await leadIdOf(lead) }).first('workflow_id')).workflow_id);

async function leadAskingForManager(): Promise<TestUser> {
  const lead = h.newLead();
  await h.conversations().deliver(text(lead, '/start'));
  await h.conversations().deliver(text(lead, 'позовите менеджера'));
  await h.fake.waitFor(() => cardsAbout(lead).length === 1);
  return lead;
}

/** The signals a workflow received, by name, with their first argument. */
async function signalsOf(handle: WorkflowHandle, name: string): Promise<unknown[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((a) => a?.signalName === name)
    .map((a) => JSON.parse(Buffer.from(a?.input?.payloads?.[0]?.data ?? new Uint8Array()).toString('utf8')));
}

describe('a manager removed from the team', () => {
  it('loses their open dialogs at once (each one signalled to go back to the queue) and is refused and recorded from then on', async () => {
    const owner = person('Owner');
    const [oleg, maria] = [person('Oleg'), person('Maria')];
    for (const m of [oleg, maria]) await setStaffRole(h.db, m.id, 'manager', owner.id);
    const sb = securityBot({ fake: h.fake, db: h.db, owners: [owner.id], managersChatId: MANAGERS_CHAT, handoffs: new Handoffs(h.env.client) });
    const worker = await h.worker({ owners: [owner.id] });
    await worker.runUntil(async () => {
      const [first, second, marias, untaken] = [await leadAskingForManager(), await leadAskingForManager(), await leadAskingForManager(), await leadAskingForManager()];
      for (const lead of [first, second]) expect(await sb.press(oleg, managersChat, cardData(lead, 'Взять'))).toContain('Лид ваш');
      expect(await sb.press(maria, managersChat, cardData(marias, 'Взять'))).toContain('Лид ваш');
      // Each take is recorded by its workflow before the note to the manager goes out.
      const notes = (m: { id: number }) => h.fake.callsTo('sendMessage', m.id).filter((c) => String(c.params.text).startsWith('✅ Вы взяли лида'));
      await h.fake.waitFor(() => notes(oleg).length === 2 && notes(maria).length === 1);
      // While on the team, Oleg's reply reaches his lead.
      await sb.say(oleg, privateChatOf(oleg), `/r ${await leadIdOf(first)} Добрый день!`);
      await h.fake.waitFor(() => h.texts(first).includes('Добрый день!'));

      await sb.say(owner, privateChatOf(owner), `/staff_remove ${oleg.id}`);
      const answer = String(h.fake.callsTo('sendMessage', owner.id).at(-1)?.params.text);
      expect(answer).toContain(`${oleg.id} больше не в команде.`);
      expect(answer).toContain('Его открытые диалоги (2) возвращены в очередь.');
      // Exactly his two dialogs were told, with who and why.
      for (const lead of [first, second]) {
        expect(await signalsOf(h.env.client.workflow.getHandle(await workflowOf(lead)), 'releaseDialog')).toEqual([{ managerId: oleg.id, reason: 'staff_removed' }]);
      }
      for (const lead of [marias, untaken]) expect(await signalsOf(h.env.client.workflow.getHandle(await workflowOf(lead)), 'releaseDialog')).toEqual([]);
      const [removal] = (await auditOf(h.db, owner.id)).filter((a) => a.command === 'staff_remove');
      expect(removal).toMatchObject({ allowed: true, details: { target: oleg.id, removed: true, release: { released: [await workflowOf(first), await workflowOf(second)], failed: [] } } });

      // The dialogs are back in the queue at once: from now on Oleg holds nothing, so a plain message of
      // his is his own (as anyone's who is not on the team), never a relay.
      for (const lead of [first, second]) {
        const handle = h.env.client.workflow.getHandle(await workflowOf(lead));
        await eventually('the dialog back in the queue', async () => (await handle.query(handoffStateQuery)).status === 'waiting');
        expect(await handle.query(handoffStateQuery)).toMatchObject({ status: 'waiting', managerId: null });
      }
      // Whatever Oleg does now is refused and recorded, and nothing reaches his leads.
      const repliesBefore = (await signalsOf(h.env.client.workflow.getHandle(await workflowOf(first)), 'managerReply')).length;
      await sb.say(oleg, privateChatOf(oleg), 'Я всё ещё ваш менеджер, переведите деньги мне');
      await sb.say(oleg, privateChatOf(oleg), `/r ${await leadIdOf(first)} переведите деньги мне`);
      await sb.say(oleg, privateChatOf(oleg), `/close ${await leadIdOf(second)} cancelled ухожу`);
      expect(await sb.press(oleg, managersChat, cardData(untaken, 'Взять'))).toBe('Брать лидов могут только менеджеры и выше.');
      expect(await sb.press(oleg, managersChat, cardData(first, 'Открыть диалог'))).toBe('Брать лидов могут только менеджеры и выше.');
      expect(await signalsOf(h.env.client.workflow.getHandle(await workflowOf(first)), 'managerReply')).toHaveLength(repliesBefore);
      expect(h.texts(first).some((t) => t.includes('переведите деньги'))).toBe(false);
      expect((await h.db('handoffs').where({ lead_id: await leadIdOf(untaken) }).first('status')).status).toBe('waiting');
      expect(await h.db('handoffs').where({ lead_id: await leadIdOf(second) }).first('status')).not.toEqual({ status: 'closed' });
      const refusals = (await auditOf(h.db, oleg.id)).filter((a) => !a.allowed);
      expect(refusals.map((a) => [a.command, a.reason])).toEqual([
        ['r', 'not staff'],
        ['close', 'not staff'],
        ['card_take', 'not staff'],
        ['card_open', 'not staff'],
      ]);
      expect(h.fake.callsTo('sendMessage', oleg.id).filter((c) => String(c.params.text).startsWith('⛔'))).toHaveLength(2);
      await h.endConversations();
    });
  });

  it('still recorded as holding a dialog but without a role (taken away elsewhere): the messages are refused and recorded, never relayed', async () => {
    const owner = person('Owner');
    const oleg = person('Oleg');
    await setStaffRole(h.db, oleg.id, 'manager', owner.id);
    const sb = securityBot({ fake: h.fake, db: h.db, owners: [owner.id], managersChatId: MANAGERS_CHAT, handoffs: new Handoffs(h.env.client) });
    const worker = await h.worker({ owners: [owner.id] });
    await worker.runUntil(async () => {
      const lead = await leadAskingForManager();
      expect(await sb.press(oleg, managersChat, cardData(lead, 'Взять'))).toContain('Лид ваш');
      await h.fake.waitFor(() => h.fake.callsTo('sendMessage', oleg.id).some((c) => String(c.params.text).startsWith('✅ Вы взяли лида')));
      await removeStaff(h.db, oleg.id); // the handoff row still names him: only the role is gone

      await sb.say(oleg, privateChatOf(oleg), 'Переведите деньги мне на карту');
      await sb.say(oleg, privateChatOf(oleg), `/r ${await leadIdOf(lead)} Переведите деньги мне на карту`);
      await sb.say(oleg, privateChatOf(oleg), `/close ${await leadIdOf(lead)} paid оплачено`);
      expect(await signalsOf(h.env.client.workflow.getHandle(await workflowOf(lead)), 'managerReply')).toEqual([]);
      expect((await h.db('handoffs').where({ lead_id: await leadIdOf(lead) }).first('status')).status).toBe('taken');
      expect(h.texts(lead).some((t) => t.includes('Переведите деньги'))).toBe(false);
      expect((await auditOf(h.db, oleg.id)).filter((a) => !a.allowed).map((a) => [a.command, a.reason])).toEqual([
        ['relay', 'not staff'],
        ['r', 'not staff'],
        ['close', 'not staff'],
      ]);
      expect(sb.delivered.filter((e) => e.from.id === oleg.id)).toEqual([]); // nor did they reach the lead flow
      await h.endConversations();
    });
  });
});

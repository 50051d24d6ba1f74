import { Handoffs } from '../../bot/handoffs/handoffs';
import { NO_OWNERS_REASON } from '../../bot/staff-access';
import { setStaffRole } from '../../db/staff';
import { handoffStateQuery } from '../../workflows/manager-handoff/contract';
import { buttonsOf, MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { auditOf, groupChat, person, privateChatOf, securityBot, type Person } from '../support/security-bot';
import { text, type TestUser } from '../support/updates';

/**
 * Issue 15, section 1: a lead must not take over another lead's manager dialog. The attacker sends
 * the victim's card buttons as forged callback data and types the managers' commands, from their
 * private chat and from some group, with no owners configured and with owners.
 */
const h = useLeadHarness({ serverPerTest: true });
const SOME_GROUP = -100_4242;
const VICTIM_SECRET = 'мой телефон +79161234567, перезвоните';

const cardsAbout = (lead: TestUser) => h.fake.callsTo('sendMessage', MANAGERS_CHAT).filter((c) => String(c.params.text).includes(`(id ${lead.id})`));
const cardData = (lead: TestUser, label: string) => String(buttonsOf(cardsAbout(lead)[0]).find((b) => b.text.includes(label))?.callback_data);
/** Everything the bot sent into a chat, as text. */
const textsIn = (chatId: number) => [...h.fake.callsTo('sendMessage', chatId), ...h.fake.callsTo('copyMessage', chatId)].map((c) => String(c.params.text ?? c.params.caption ?? ''));
const leadIdOf = async (lead: TestUser) => Number((await h.db('leads').where({ telegram_user_id: lead.id }).first('id')).id);
/** The take is recorded by the workflow after it answers; its note to the manager comes after the record. */
const tookLead = (manager: Person) => h.fake.waitFor(() => textsIn(manager.id).some((t) => t.startsWith('✅ Вы взяли лида')));
const handoffOf = async (lead: TestUser) => h.db('handoffs').where({ lead_id: await leadIdOf(lead) }).first('workflow_id', 'status', 'manager_telegram_id');

/** The victim: a lead who asked for a manager and told the bot something private. */
async function victimWaitingForManager(): Promise<TestUser> {
  const victim = h.newLead({ username: `victim_${Math.floor(Math.random() * 1e6)}` });
  await h.conversations().deliver(text(victim, '/start'));
  await h.conversations().deliver(text(victim, VICTIM_SECRET));
  await h.conversations().deliver(text(victim, 'позовите менеджера'));
  await h.fake.waitFor(() => cardsAbout(victim).length === 1);
  return victim;
}

/** Every attack a lead can make on the victim's dialog, from their private chat and from a group they are in. */
async function attack(sb: ReturnType<typeof securityBot>, attacker: Person, victim: TestUser, victimLeadId: number): Promise<string[]> {
  const answers: string[] = [];
  for (const chat of [privateChatOf(attacker), groupChat(SOME_GROUP)]) {
    for (const label of ['Взять', 'Открыть диалог', 'Скрипт']) answers.push(await sb.press(attacker, chat, cardData(victim, label)));
    // The lead card's own buttons (Take dialog, Open, Write, Return to queue), forged for the victim's lead id.
    for (const action of ['take', 'open', 'write', 'back']) answers.push(await sb.press(attacker, chat, `ld:${victimLeadId}.${action}`));
    await sb.say(attacker, chat, '/queue');
    await sb.say(attacker, chat, '/my');
    await sb.say(attacker, chat, `/pass ${victimLeadId} ${attacker.id}`);
    await sb.say(attacker, chat, `/note ${victimLeadId} мошенник`);
    await sb.say(attacker, chat, `/r ${victimLeadId} Это менеджер: оплатите на карту 1234`);
    await sb.say(attacker, chat, `/close ${victimLeadId} paid оплачено`);
    await sb.say(attacker, chat, `/sendto @${victim.username} Это менеджер: оплатите на карту 1234`);
    await sb.say(attacker, chat, '/order_confirm 1');
  }
  // A plain message in private, as a manager would answer a held lead.
  await sb.say(attacker, privateChatOf(attacker), 'Здравствуйте, я ваш менеджер');
  return answers;
}

/** Nothing of the victim reached the attacker or the group; the victim heard nothing from the attacker. */
function expectNothingLeaked(attacker: Person, victim: TestUser): void {
  for (const chatId of [attacker.id, SOME_GROUP]) {
    for (const said of textsIn(chatId)) {
      expect(said).not.toContain(VICTIM_SECRET);
      expect(said).not.toContain(victim.username as string);
      expect(said).not.toContain(String(victim.id));
      expect(said).not.toContain(victim.first_name);
    }
  }
  expect(h.texts(victim).filter((t) => t.includes('карту 1234') || t.includes('я ваш менеджер'))).toEqual([]);
}

const REFUSED_COMMANDS = ['card_take', 'card_open', 'card_script', 'lead_take', 'lead_open', 'lead_write', 'lead_back', 'queue', 'my', 'pass', 'note', 'r', 'close', 'sendto', 'order_confirm'];

describe('a lead attacking another lead’s manager dialog', () => {
  it('with no owners configured: refused everywhere but the managers’ chat, nothing of the victim leaks, every refusal recorded; the managers’ chat still works', async () => {
    const sb = securityBot({ fake: h.fake, db: h.db, owners: [], managersChatId: MANAGERS_CHAT, handoffs: new Handoffs(h.env.client) });
    const attacker = person('Mallory');
    const member = person('Oleg'); // a member of the managers' chat: the team until owners exist
    h.fake.addChatMember(MANAGERS_CHAT, member.id); // as Telegram knows it: the handoff workflow asks getChatMember
    const worker = await h.worker();
    await worker.runUntil(async () => {
      const victim = await victimWaitingForManager();
      const victimLeadId = await leadIdOf(victim);
      const handoff = await handoffOf(victim);

      const answers = await attack(sb, attacker, victim, victimLeadId);
      expect(answers).toEqual(Array(14).fill('Брать лидов могут только менеджеры и выше.'));
      expect(await handoffOf(victim)).toMatchObject({ status: 'waiting', manager_telegram_id: null });
      expect(await h.env.client.workflow.getHandle(handoff.workflow_id).query(handoffStateQuery)).toMatchObject({ status: 'waiting', managerId: null });
      expectNothingLeaked(attacker, victim);
      expect(await h.db('lead_notes').where({ lead_id: victimLeadId }).first()).toBeUndefined();
      expect(await h.db('staff_dialogs').where({ telegram_user_id: attacker.id }).first()).toBeUndefined(); // no Write waiting
      expect(sb.payments.asked).toEqual([]);
      // Nothing of it went to the lead flow as a staff action (the plain message is the attacker's own chat with the bot).
      expect(sb.delivered.filter((e) => e.kind === 'command')).toEqual([]);
      const audit = await auditOf(h.db, attacker.id);
      expect(new Set(audit.map((a) => a.command))).toEqual(new Set(REFUSED_COMMANDS));
      expect(audit).toHaveLength(REFUSED_COMMANDS.length * 2);
      expect(audit.every((a) => !a.allowed && a.reason === NO_OWNERS_REASON)).toBe(true);

      // The managers' chat is the team: a member takes the lead there and works the dialog from there.
      const managersChat = groupChat(MANAGERS_CHAT, 'Managers');
      // Someone the chat no longer lists (they left, Telegram still delivers an old card's press): the
      // handoff workflow asks Telegram itself and refuses the take.
      const leaver = person('Leaver');
      expect(await sb.press(leaver, managersChat, cardData(victim, 'Взять'))).toBe('Взять лида может только сотрудник: вас нет в команде. Попытка записана.');
      expect(await handoffOf(victim)).toMatchObject({ status: 'waiting' });
      expect(await sb.press(member, managersChat, cardData(victim, 'Взять'))).toContain('Лид ваш');
      await tookLead(member);
      expect(await handoffOf(victim)).toMatchObject({ status: 'taken', manager_telegram_id: member.id });
      // The attacker tries again now that the dialog is held: still nothing.
      await sb.say(attacker, privateChatOf(attacker), `/close ${victimLeadId} paid оплачено`);
      expect(await handoffOf(victim)).toMatchObject({ status: 'taken', manager_telegram_id: member.id });
      // Outside the managers' chat even the member is not staff while no owners are configured.
      await sb.say(member, privateChatOf(member), 'Здравствуйте! Я менеджер школы.');
      expect(textsIn(member.id).some((t) => t.includes('только в чате менеджеров'))).toBe(true);
      await sb.say(member, managersChat, `/r ${victimLeadId} Здравствуйте! Я менеджер школы.`);
      await h.fake.waitFor(() => h.texts(victim).includes('Здравствуйте! Я менеджер школы.'));
      expect(h.texts(victim).filter((t) => t === 'Здравствуйте! Я менеджер школы.')).toHaveLength(1);
      expect((await auditOf(h.db, member.id)).map((a) => [a.command, a.allowed])).toEqual([
        ['card_take', true],
        ['relay', false],
        ['r', true],
      ]);
      await h.endConversations();
    });
  });

  it('with owners configured: a lead and a group member without a role are refused and recorded; a manager still takes the lead', async () => {
    const owner = person('Owner');
    const manager = person('Maria');
    await setStaffRole(h.db, manager.id, 'manager', owner.id);
    const sb = securityBot({ fake: h.fake, db: h.db, owners: [owner.id], managersChatId: MANAGERS_CHAT, handoffs: new Handoffs(h.env.client) });
    const attacker = person('Eve');
    const worker = await h.worker({ owners: [owner.id] });
    await worker.runUntil(async () => {
      const victim = await victimWaitingForManager();
      const victimLeadId = await leadIdOf(victim);

      const answers = await attack(sb, attacker, victim, victimLeadId);
      expect(answers).toEqual(Array(14).fill('Брать лидов могут только менеджеры и выше.'));
      expect(await handoffOf(victim)).toMatchObject({ status: 'waiting', manager_telegram_id: null });
      expectNothingLeaked(attacker, victim);
      expect(await h.db('lead_notes').where({ lead_id: victimLeadId }).first()).toBeUndefined();
      expect(await h.db('staff_dialogs').where({ telegram_user_id: attacker.id }).first()).toBeUndefined(); // no Write waiting
      expect(sb.payments.asked).toEqual([]);
      expect(sb.delivered.filter((e) => e.kind === 'command')).toEqual([]);
      const audit = await auditOf(h.db, attacker.id);
      expect(new Set(audit.map((a) => a.command))).toEqual(new Set(REFUSED_COMMANDS));
      expect(audit).toHaveLength(REFUSED_COMMANDS.length * 2); // in private and in the group alike
      expect(audit.every((a) => !a.allowed && a.reason === 'not staff')).toBe(true);

      // Someone in the managers' chat without a role is no manager either.
      const guest = person('Guest');
      expect(await sb.press(guest, groupChat(MANAGERS_CHAT, 'Managers'), cardData(victim, 'Взять'))).toBe('Брать лидов могут только менеджеры и выше.');
      expect(await auditOf(h.db, guest.id)).toMatchObject([{ command: 'card_take', allowed: false, reason: 'not staff' }]);

      expect(await sb.press(manager, groupChat(MANAGERS_CHAT, 'Managers'), cardData(victim, 'Взять'))).toContain('Лид ваш');
      await tookLead(manager);
      expect(await handoffOf(victim)).toMatchObject({ status: 'taken', manager_telegram_id: manager.id });
      await h.endConversations();
    });
  });
});

import { handoffDesk, privateMessage, type Person } from '../support/handoff-desk';
import { buttonsOf, MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { text } from '../support/updates';

const h = useLeadHarness({ serverPerTest: true });
// The picker shows the first 30 of the team; in the suite's shared database the team is everyone
// every earlier file made staff. Start from an empty team, as a school does.
beforeAll(async () => {
  await h.db('staff').delete();
});
const { setup, staffMember, cardsAbout, privateTexts, pressCard, takeData, askForManager, leadIdOf, handoffEnded } = handoffDesk(h);

type Bot = Awaited<ReturnType<typeof setup>>['bot'];

/** The buttons of the last private message someone got, text → callback data. */
function lastButtons(person: { id: number }): Record<string, string> {
  const call = h.fake.callsTo('sendMessage', person.id).at(-1);
  return Object.fromEntries((call ? buttonsOf(call) : []).map((b) => [b.text, String(b.callback_data)]));
}

async function command(bot: Bot, by: Person, body: string): Promise<void> {
  const before = h.fake.callsTo('sendMessage', by.id).length;
  await bot.handleUpdate(privateMessage(by, body));
  await h.fake.waitFor(() => h.fake.callsTo('sendMessage', by.id).length > before);
}

/** The card's buttons as last edited (the taken card), text → callback data. */
function cardButtons(): Record<string, string> {
  const edit = h.fake.callsTo('editMessageReplyMarkup', MANAGERS_CHAT).at(-1);
  const rows = ((edit?.params.reply_markup as { inline_keyboard?: { text: string; callback_data: string }[][] } | undefined)?.inline_keyboard ?? []).flat();
  return Object.fromEntries(rows.map((b) => [b.text, b.callback_data]));
}

describe('Pass: the holder hands a dialog to another manager with buttons', () => {
  it('the taken card and /my carry Pass; the holder picks a manager from the staff list (not themself, not a lead) and the dialog moves through the handoff workflow', async () => {
    const lead = h.newLead();
    const { owner, oleg, maria, bot, worker } = await setup();
    await worker.runUntil(async () => {
      await askForManager(lead);
      const leadId = await leadIdOf(lead);
      expect(await pressCard(bot, maria, takeData(lead))).toContain('Лид ваш');
      await h.fake.waitFor(() => cardButtons()['➡️ Передать'] !== undefined);
      const passOnCard = cardButtons()['➡️ Передать'];
      expect(passOnCard).toMatch(/^ho:.+\.pass$/);

      // /my offers Pass next to Open and Return to queue.
      await command(bot, maria, '/my');
      expect(lastButtons(maria)[`➡️ Передать #${leadId}`]).toBe(`ld:${leadId}.pass`);

      // The card's Pass sends Maria the picker in private: Oleg and the owner, not Maria, not the lead.
      expect(await pressCard(bot, maria, passOnCard)).toBe('Отправил вам в личный чат.');
      expect(privateTexts(maria).at(-1)).toContain('Кому передать диалог');
      const picker = Object.values(lastButtons(maria));
      expect(picker).toEqual(expect.arrayContaining([`ld:${leadId}.passto.${oleg.id}`, `ld:${leadId}.passto.${owner.id}`]));
      expect(picker).not.toContain(`ld:${leadId}.passto.${maria.id}`);
      expect(picker).not.toContain(`ld:${leadId}.passto.${lead.id}`);
      // The same picker from /my.
      expect(await pressCard(bot, maria, `ld:${leadId}.pass`)).toBe('Отправил вам в личный чат.');
      expect(Object.values(lastButtons(maria))).toEqual(picker);

      // Oleg has read the dialog (so Telegram knows his name), then Maria passes it to him.
      expect(await pressCard(bot, oleg, `ld:${leadId}.open`)).toBe('Отправил вам в личный чат.');
      expect(await pressCard(bot, maria, `ld:${leadId}.passto.${oleg.id}`)).toBe(`➡️ Диалог передан: @${oleg.username}.`);
      await h.fake.waitFor(() => privateTexts(oleg).some((t) => t.startsWith(`➡️ @${maria.username} передал вам лида.`)));
      await h.fake.waitFor(() => cardButtons()[`✅ Взял: @${oleg.username}`] !== undefined);
      await h.conversations().deliver(text(lead, 'Вы тут?'));
      await h.fake.waitFor(() => privateTexts(oleg).some((t) => t.includes('Вы тут?')));
      expect(privateTexts(maria).some((t) => t.includes('Вы тут?'))).toBe(false);

      await bot.handleUpdate(privateMessage(oleg, `/close ${leadId} done договорились`));
      await handoffEnded(lead);
      await h.endConversations();
    });
    const audit = await h.db('staff_audit').where({ actor_telegram_id: maria.id }).whereIn('command', ['card_pass', 'lead_pass', 'lead_passto']).orderBy('id').select('command', 'allowed', 'details');
    expect(audit.map((a) => [a.command, a.allowed])).toEqual([
      ['card_pass', true],
      ['lead_pass', true],
      ['lead_passto', true],
    ]);
    expect(audit[2].details).toMatchObject({ leadId: expect.any(Number), to: oleg.id });
  });

  it('forged presses change nothing and are recorded: a stranger, a manager who does not hold the dialog, a target who is not staff', async () => {
    const lead = h.newLead();
    const { oleg, maria, bot, worker } = await setup();
    const stranger = await staffMember('Stranger', null);
    await worker.runUntil(async () => {
      await askForManager(lead);
      const leadId = await leadIdOf(lead);
      expect(await pressCard(bot, maria, takeData(lead))).toContain('Лид ваш');
      await h.fake.waitFor(() => cardButtons()['➡️ Передать'] !== undefined);
      const passOnCard = cardButtons()['➡️ Передать'];

      // A stranger: refused before anything is looked up, whichever button they forge.
      for (const data of [passOnCard, `ld:${leadId}.pass`, `ld:${leadId}.passto.${stranger.id}`]) {
        expect(await pressCard(bot, stranger, data)).toBe('Брать лидов могут только менеджеры и выше.');
      }
      // A manager who does not hold the dialog: no picker, no pass (not even to themself).
      const olegsMessages = h.fake.callsTo('sendMessage', oleg.id).length;
      expect(await pressCard(bot, oleg, passOnCard)).toBe('Вы не ведёте диалог с этим лидом.');
      expect(await pressCard(bot, oleg, `ld:${leadId}.pass`)).toBe('Вы не ведёте диалог с этим лидом.');
      expect(await pressCard(bot, oleg, `ld:${leadId}.passto.${oleg.id}`)).toBe('Вы не ведёте диалог с этим лидом.');
      expect(h.fake.callsTo('sendMessage', oleg.id)).toHaveLength(olegsMessages);
      // The holder, with a forged target who is not staff: the handoff workflow refuses it.
      expect(await pressCard(bot, maria, `ld:${leadId}.passto.${stranger.id}`)).toBe('Не передано: получатель не сотрудник с ролью менеджера.');
      // Malformed: a pass with no target, a target on another action.
      expect(await pressCard(bot, maria, `ld:${leadId}.passto`)).toBe('Такого лида нет.');
      expect(await pressCard(bot, maria, `ld:${leadId}.pass.${oleg.id}`)).toBe('Такого лида нет.');

      expect(await h.db('handoffs').where({ lead_id: leadId }).first('status', 'manager_telegram_id')).toMatchObject({ status: 'taken' });
      expect(Number((await h.db('handoffs').where({ lead_id: leadId }).first('manager_telegram_id')).manager_telegram_id)).toBe(maria.id);
      expect(privateTexts(stranger)).toHaveLength(0);
      await bot.handleUpdate(privateMessage(maria, `/close ${leadId} done проверка`));
      await handoffEnded(lead);
      await h.endConversations();
    });
    const refused = async (who: Person) =>
      (await h.db('staff_audit').where({ actor_telegram_id: who.id, allowed: false }).orderBy('id').select('command', 'reason')).map((a) => `${a.command}: ${a.reason}`);
    expect(await refused(stranger)).toEqual(expect.arrayContaining(['card_pass: not staff', 'lead_pass: not staff', 'lead_passto: not staff', 'handoff_take: not staff']));
    expect(await refused(oleg)).toEqual(['card_pass: lead not held', 'lead_pass: lead not held', 'lead_passto: lead not held']);
    expect(await refused(maria)).toEqual(['lead_passto: получатель не сотрудник с ролью менеджера']);
    expect(cardsAbout(lead)).toHaveLength(1);
  });
});

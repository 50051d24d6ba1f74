import type { Update } from 'grammy/types';
import { leadStateQuery } from '../../workflows/lead-conversation/contract';
import { handoffDesk, privateMessage, waitUntil, type Person } from '../support/handoff-desk';
import { buttonsOf, useLeadHarness } from '../support/lead-harness';
import { text, textUpdate, type TestUser } from '../support/updates';

const h = useLeadHarness({ serverPerTest: true });
const { setup, staffMember, cardsAbout, privateTexts, pressCard, events, leadIdOf, handoffEnded } = handoffDesk(h);

const HOUR = 60 * 60_000;

type Bot = Awaited<ReturnType<typeof setup>>['bot'];

/** The lead card a manager gets for `/lead <telegram id>` in private: its last part carries the buttons. */
async function leadCardButtons(bot: Bot, by: Person, lead: TestUser): Promise<Record<string, string>> {
  const before = h.fake.callsTo('sendMessage', by.id).length;
  await bot.handleUpdate(privateMessage(by, `/lead ${lead.id}`));
  const card = h.fake.callsTo('sendMessage', by.id).slice(before).at(-1);
  return Object.fromEntries((card ? buttonsOf(card) : []).map((b) => [b.text, String(b.callback_data)]));
}

/** What the bot last said to someone in private. */
const lastPrivate = (person: { id: number }) => privateTexts(person).at(-1) ?? '';

async function command(bot: Bot, by: Person, body: string): Promise<string> {
  const before = h.fake.callsTo('sendMessage', by.id).length;
  await bot.handleUpdate(privateMessage(by, body));
  await h.fake.waitFor(() => h.fake.callsTo('sendMessage', by.id).length > before);
  return lastPrivate(by);
}

async function leadWrote(lead: TestUser): Promise<void> {
  await h.conversations().deliver(text(lead, '/start'));
  await h.fake.waitFor(() => h.texts(lead).length > 0);
}

describe("the manager's desk: taking any lead, the queue, my dialogs", () => {
  it('Take dialog on the lead card opens a handoff taken by the presser: the bot and follow-ups fall silent, a second manager is told who has it; /my lists it; Return to queue posts a card; /queue takes it; /pass hands it over', async () => {
    const lead = h.newLead();
    const { oleg, maria, bot, worker } = await setup();
    await worker.runUntil(async () => {
      await leadWrote(lead);
      const leadId = await leadIdOf(lead);
      const buttons = await leadCardButtons(bot, oleg, lead);
      expect(buttons).toEqual({ '🙋 Взять диалог': `ld:${leadId}.take`, '✍️ Написать': `ld:${leadId}.write`, '💬 Открыть диалог': `ld:${leadId}.open` });

      expect(await pressCard(bot, oleg, buttons['🙋 Взять диалог'])).toContain('Открываю диалог');
      await h.fake.waitFor(() => privateTexts(oleg).some((t) => t.startsWith('✅ Вы взяли лида')));
      const view = await h.env.client.workflow.getHandle(`lead-${lead.id}`).query(leadStateQuery);
      expect(view).toMatchObject({ mode: 'with_manager', handoff: { phase: 'taken' } });
      expect(await h.db('leads').where({ id: leadId }).first('mode', 'status')).toEqual({ mode: 'with_manager', status: 'assigned' });
      expect(cardsAbout(lead)).toHaveLength(0); // taken at once: nothing waits in the queue

      // One holder at a time: the second press is told who has the lead; the holder's own press says it is theirs.
      expect(await pressCard(bot, maria, buttons['🙋 Взять диалог'])).toBe(`Лида уже взял @${oleg.username}.`);
      expect(await pressCard(bot, oleg, buttons['🙋 Взять диалог'])).toBe('Этот диалог уже ведёте вы.');

      // The lead's messages reach the manager, not the bot.
      const botMessages = h.texts(lead).length;
      await h.conversations().deliver(text(lead, 'Хочу узнать про рассрочку'));
      await h.fake.waitFor(() => privateTexts(oleg).some((t) => t.includes('Хочу узнать про рассрочку')));
      expect(h.texts(lead)).toHaveLength(botMessages);
      await bot.handleUpdate(privateMessage(oleg, 'Рассрочка есть, на 3 месяца.'));
      await h.fake.waitFor(() => h.texts(lead).includes('Рассрочка есть, на 3 месяца.'));
      // A day and a half in the dialog: no follow-up reaches the lead while a manager holds it.
      await h.env.sleep(20 * HOUR);
      await bot.handleUpdate(privateMessage(oleg, 'Напишите, если будут вопросы.'));
      await h.fake.waitFor(() => h.texts(lead).includes('Напишите, если будут вопросы.'));
      await h.env.sleep(16 * HOUR);
      expect(h.texts(lead)).toHaveLength(botMessages + 2);

      // /my: the dialog with its last message and age, and its buttons.
      await waitUntil(async () => (await h.db('messages').where({ lead_id: leadId, direction: 'manager' }).first()) !== undefined);
      const mine = await command(bot, oleg, '/my');
      expect(mine).toContain('🗂 Ваши диалоги: 1');
      expect(mine).toContain(`(#${leadId})`);
      expect(mine).toContain('🧑‍💼 Напишите, если будут вопросы.');
      const myCall = h.fake.callsTo('sendMessage', oleg.id).at(-1);
      expect(myCall && buttonsOf(myCall).map((b) => b.callback_data)).toEqual([`ld:${leadId}.open`, `ld:${leadId}.back`, `ld:${leadId}.pass`]);
      expect(await command(bot, maria, '/my')).toContain('нет открытых диалогов');

      // Only the holder returns the dialog; then it waits in the queue with a card of its own.
      expect(await pressCard(bot, maria, `ld:${leadId}.back`)).toBe('Вы не ведёте диалог с этим лидом.');
      expect(await pressCard(bot, oleg, `ld:${leadId}.back`)).toContain('возвращён в очередь');
      await h.fake.waitFor(() => cardsAbout(lead).length === 1);
      expect(buttonsOf(cardsAbout(lead)[0]).map((b) => b.text)).toContain('🙋 Взять');
      await waitUntil(async () => (await h.db('handoffs').where({ lead_id: leadId }).first('status')).status === 'waiting');

      // /queue lists it with its Take button; Maria takes it from there.
      const queue = await command(bot, maria, '/queue');
      expect(queue).toContain(`(#${leadId})`);
      expect(queue).toContain('менеджер открыл диалог сам');
      const queueCall = h.fake.callsTo('sendMessage', maria.id).at(-1);
      const take = queueCall && buttonsOf(queueCall).find((b) => b.text === `🙋 Взять #${leadId}`);
      expect(await pressCard(bot, maria, String(take?.callback_data))).toContain('Лид ваш');
      await h.fake.waitFor(() => privateTexts(maria).some((t) => t.startsWith('✅ Вы взяли лида')));

      // /pass: only the holder, only to staff; the new holder gets the card and the lead's messages.
      const stranger = await staffMember('Stranger', null);
      expect(await command(bot, oleg, `/pass ${leadId} ${oleg.id}`)).toBe(`Вы не ведёте лида #${leadId}.`);
      expect(await command(bot, maria, `/pass ${leadId} ${stranger.id}`)).toBe('Не передано: получатель не сотрудник с ролью менеджера.');
      expect(await command(bot, maria, `/pass ${leadId} ${oleg.id}`)).toBe(`➡️ Диалог с лидом #${leadId} передан: @${oleg.username}.`);
      await h.fake.waitFor(() => privateTexts(oleg).some((t) => t.startsWith(`➡️ @${maria.username} передал вам лида.`)));
      await h.conversations().deliver(text(lead, 'Вы тут?'));
      await h.fake.waitFor(() => privateTexts(oleg).some((t) => t.includes('Вы тут?')));
      expect(privateTexts(maria).some((t) => t.includes('Вы тут?'))).toBe(false);

      await bot.handleUpdate(privateMessage(oleg, `/close ${leadId} done договорились`));
      expect((await handoffEnded(lead)).summary).toContain('Итог: done (договорились)');
      await h.endConversations();
    });
    const types = (await events(lead.id)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['handoff_created', 'handoff_taken', 'handoff_released', 'handoff_passed', 'handoff_closed']));
    const created = (await events(lead.id)).find((e) => e.type === 'handoff_created');
    expect(created?.payload).toMatchObject({ trigger: 'manager_took' });
    const audit = await h.db('staff_audit').whereIn('actor_telegram_id', [oleg.id, maria.id]).orderBy('id').select('command', 'allowed', 'actor_telegram_id');
    expect(audit.filter((a) => a.command === 'lead_take').map((a) => [a.actor_telegram_id === oleg.id ? 'oleg' : 'maria', a.allowed])).toEqual([
      ['oleg', true],
      ['maria', false],
      ['oleg', false],
    ]);
    expect(audit.filter((a) => a.command === 'lead_back').map((a) => a.allowed)).toEqual([false, true]);
  });

  it('Take dialog on a lead already waiting in the queue takes that handoff; nobody but a manager may press or use the commands', async () => {
    const lead = h.newLead();
    const { oleg, bot, worker } = await setup();
    const outsider = await staffMember('Outsider', null);
    await worker.runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.conversations().deliver(text(lead, 'позовите менеджера'));
      await h.fake.waitFor(() => cardsAbout(lead).length === 1);
      const leadId = await leadIdOf(lead);

      // Someone without a role (and the lead themself): refused at every button and command, nothing opened.
      const leadPerson: Person = { id: lead.id, is_bot: false, first_name: lead.first_name, username: lead.username ?? 'anna' };
      for (const who of [outsider, leadPerson]) {
        for (const action of ['take', 'write', 'open', 'back']) expect(await pressCard(bot, who, `ld:${leadId}.${action}`)).toBe('Брать лидов могут только менеджеры и выше.');
        for (const body of ['/queue', '/my', `/pass ${leadId} ${oleg.id}`]) expect(await command(bot, who, body)).toContain('⛔');
      }
      expect(await h.db('handoffs').where({ lead_id: leadId }).first('status')).toEqual({ status: 'waiting' });
      expect(await h.db('staff_dialogs').whereIn('telegram_user_id', [outsider.id, lead.id]).first()).toBeUndefined();

      // A forged or stale press changes nothing.
      expect(await pressCard(bot, oleg, 'ld:999999999.take')).toBe('Такого лида нет.');
      expect(await pressCard(bot, oleg, `ld:${leadId}.steal`)).toBe('Такого лида нет.');

      expect(await command(bot, oleg, '/queue')).toContain(`(#${leadId})`);
      expect(await pressCard(bot, oleg, `ld:${leadId}.take`)).toContain('Лид ваш');
      await h.fake.waitFor(() => privateTexts(oleg).some((t) => t.startsWith('✅ Вы взяли лида')));
      expect(await command(bot, oleg, '/queue')).not.toContain(`(#${leadId})`); // other tests' leads may still wait
      expect(await h.db('handoffs').where({ lead_id: leadId }).count({ n: '*' }).first()).toEqual({ n: 1 });
      await h.endConversations();
    });
    const refused = await h.db('staff_audit').whereIn('actor_telegram_id', [outsider.id, lead.id]).where({ allowed: false }).pluck('command');
    expect(refused).toEqual(expect.arrayContaining(['lead_take', 'lead_write', 'lead_open', 'lead_back', 'queue', 'my', 'pass']));
  });

  it('Write sends one message to the lead as the manager; the lead answering it (next message, or a reply) reaches that manager; /cancel sends nothing', async () => {
    const lead = h.newLead();
    const { oleg, bot, worker } = await setup();
    await worker.runUntil(async () => {
      await leadWrote(lead);
      const leadId = await leadIdOf(lead);
      expect(await pressCard(bot, oleg, `ld:${leadId}.write`)).toBe('Отправил вам в личный чат.');
      expect(lastPrivate(oleg)).toContain('✍️ Напишите сообщение');
      expect(await command(bot, oleg, '/cancel')).toBe('Сообщение лиду не отправлено.');
      await bot.handleUpdate(privateMessage(oleg, 'просто текст'));
      expect(h.texts(lead)).not.toContain('просто текст');

      await pressCard(bot, oleg, `ld:${leadId}.write`);
      expect(await command(bot, oleg, 'Анна, добрый день! Есть места в новом потоке.')).toBe('✅ Отправлено лиду.');
      expect(h.texts(lead)).toContain('Анна, добрый день! Есть места в новом потоке.');
      const sent = await h.db('messages').where({ lead_id: leadId, direction: 'manager' }).first('id', 'payload', 'telegram_message_id');
      expect(sent.payload).toEqual({ sendto: oleg.id });
      expect(await h.db('handoffs').where({ lead_id: leadId }).first()).toBeUndefined(); // a one-off message opens no dialog

      // The lead's next message answers it: it reaches Oleg, and the conversation still gets it (the bot answers too).
      const botMessages = h.texts(lead).length;
      await bot.handleUpdate(textUpdate(lead, 'А когда старт?') as unknown as Update);
      await h.fake.waitFor(() => privateTexts(oleg).some((t) => t.startsWith('💬 Ответ лида') && t.includes('А когда старт?')));
      await h.fake.waitFor(() => h.texts(lead).length > botMessages);
      await waitUntil(async () => (await h.db('messages').where({ lead_id: leadId, direction: 'out' }).where('id', '>', sent.id).first()) !== undefined);
      // Once the bot has spoken since, only a reply (reply) to the manager's message still reaches him.
      await bot.handleUpdate(textUpdate(lead, 'Спасибо, бот') as unknown as Update);
      const reply = textUpdate(lead, 'Да, интересно!');
      await bot.handleUpdate({ ...reply, message: { ...reply.message, reply_to_message: { message_id: Number(sent.telegram_message_id), date: 1, chat: reply.message.chat } } } as unknown as Update);
      await h.fake.waitFor(() => privateTexts(oleg).some((t) => t.startsWith('💬 Ответ лида') && t.includes('Да, интересно!')));
      expect(privateTexts(oleg).some((t) => t.includes('Спасибо, бот'))).toBe(false);
      await waitUntil(async () => (await h.db('messages').where({ lead_id: leadId, direction: 'in', text: 'Да, интересно!' }).first()) !== undefined);
      await h.endConversations();
    });
  });
});

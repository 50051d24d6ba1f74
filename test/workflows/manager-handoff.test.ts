import { Handoffs } from '../../bot/handoffs/handoffs';
import { leadStateQuery } from '../../workflows/lead-conversation/contract';
import { handoffStateQuery, releaseDialogSignal } from '../../workflows/manager-handoff/contract';
import { handoffDesk, privateMessage, waitUntil } from '../support/handoff-desk';
import { buttonsOf, MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { text, textUpdate, toEvent } from '../support/updates';

const h = useLeadHarness({ serverPerTest: true });
const { setup, cardsAbout, privateTexts, pressCard, takeData, askForManager, events, leadIdOf, handoffEnded } = handoffDesk(h);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('the manager handoff on the time-skipping server', () => {
  it('the card is posted; one manager takes the lead, a second is told who has it; messages go both ways and are logged; the bot and follow-ups stay silent; a close with an outcome resumes the bot', async () => {
    const lead = h.newLead();
    const { oleg, maria, bot, worker } = await setup();
    await worker.runUntil(async () => {
      await askForManager(lead);
      const card = cardsAbout(lead)[0];
      expect(String(card.params.text)).toContain('просит менеджера');
      expect(String(card.params.text)).toContain('Последние сообщения:');
      expect(buttonsOf(card).map((b) => b.text)).toEqual(['🙋 Взять', '💬 Открыть диалог', '📋 Скрипт продаж']);

      expect(await pressCard(bot, oleg, takeData(lead))).toContain('Лид ваш');
      expect(await pressCard(bot, maria, takeData(lead))).toBe(`Лида уже взял @${oleg.username}.`);
      await h.fake.waitFor(() => privateTexts(oleg).some((t) => t.startsWith('✅ Вы взяли лида')));
      await h.fake.waitFor(() => h.fake.callsTo('editMessageReplyMarkup', MANAGERS_CHAT).length >= 1);

      const botMessagesBefore = h.texts(lead).length;
      await h.conversations().deliver(text(lead, 'Сколько стоит курс?'));
      await h.fake.waitFor(() => privateTexts(oleg).some((t) => t.includes('Сколько стоит курс?')));
      const relayed = h.fake.callsTo('sendMessage', oleg.id).find((c) => String(c.params.text).includes('Сколько стоит курс?'));
      expect(String(relayed?.params.text)).toContain(`(id ${lead.id})`); // the manager sees whose message it is
      expect(h.texts(lead)).toHaveLength(botMessagesBefore); // no bot reply

      // Media is copied as it is, headed with whose it is.
      const photo = textUpdate(lead, 'x');
      const { text: _text, ...photoMessage } = photo.message;
      await h.conversations().deliver(toEvent({ update_id: photo.update_id, message: { ...photoMessage, photo: [{ file_id: 'ph-1', file_unique_id: 'uph-1', width: 10, height: 10 }] } }));
      await h.fake.waitFor(() => h.fake.callsTo('copyMessage', oleg.id).length === 1);
      expect(h.fake.callsTo('copyMessage', oleg.id)[0].params).toMatchObject({ from_chat_id: lead.id, message_id: photoMessage.message_id, caption: expect.stringContaining(`(id ${lead.id})`) });

      // Any manager may read the dialog and the sales script in private; the script is cached while the facts stay the same.
      const data = (label: string) => buttonsOf(cardsAbout(lead)[0]).find((b) => b.text.includes(label))?.callback_data as string;
      expect(await pressCard(bot, maria, data('Открыть диалог'))).toBe('Отправил вам в личный чат.');
      expect(privateTexts(maria).at(-1)).toContain('Сколько стоит курс?');
      expect(privateTexts(maria).at(-1)).toContain(`ведёт @${oleg.username}`);
      expect(await pressCard(bot, maria, data('Скрипт'))).toBe('Отправил вам в личный чат.');
      const script = privateTexts(maria).at(-1) as string;
      expect(script).toMatch(/^📋 Скрипт продаж для Анна\n1\. Приветствие/);
      const cached = await h.db('sales_scripts').where({ lead_id: await leadIdOf(lead) }).first();
      expect(cached.source).toBe('template'); // no model configured in this worker
      await pressCard(bot, maria, data('Скрипт'));
      expect(privateTexts(maria).at(-1)).toBe(script);
      expect((await h.db('sales_scripts').where({ lead_id: await leadIdOf(lead) }).first()).created_at).toEqual(cached.created_at);

      const relayedMessageId = Number((relayed?.result as { message_id: number }).message_id);
      await bot.handleUpdate(privateMessage(oleg, 'Курс стоит 30 000 ₽, есть рассрочка.', relayedMessageId));
      await h.fake.waitFor(() => h.texts(lead).includes('Курс стоит 30 000 ₽, есть рассрочка.'));

      // A day and a half passes in the dialog: the 24-hour follow-up must not reach the lead.
      await h.env.sleep(20 * HOUR);
      await bot.handleUpdate(privateMessage(oleg, 'Как вам условия?'));
      await h.fake.waitFor(() => h.texts(lead).includes('Как вам условия?'));
      await h.env.sleep(16 * HOUR);
      expect(h.texts(lead).some((t) => t.includes('вы вчера заглядывали'))).toBe(false);

      await bot.handleUpdate(privateMessage(maria, `/close ${await leadIdOf(lead)} done чужой лид`));
      await h.fake.waitFor(() => privateTexts(maria).some((t) => t.includes('Вы не ведёте лида')));
      await bot.handleUpdate(privateMessage(oleg, `/close ${await leadIdOf(lead)} done купил курс`));
      await h.fake.waitFor(() => h.texts(lead).some((t) => t.includes('Спасибо, что пообщались с менеджером')));
      expect((await handoffEnded(lead)).summary).toContain('Итог: done (купил курс)');
      await h.endConversations(); // while the worker runs: nothing left for a stopped one
    });
    const handoff = await h.db('handoffs').where({ lead_id: await leadIdOf(lead) }).first();
    expect(handoff).toMatchObject({ status: 'closed', outcome: 'done', reason: 'купил курс', manager_telegram_id: oleg.id });
    expect(await h.db('leads').where({ telegram_user_id: lead.id }).first('status', 'mode')).toEqual({ status: 'done', mode: 'bot' });
    const manager = await h.db('messages').where({ lead_id: await leadIdOf(lead), direction: 'manager' }).pluck('text');
    expect(manager).toEqual(['Курс стоит 30 000 ₽, есть рассрочка.', 'Как вам условия?']);
    const types = (await events(lead.id)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['handoff_created', 'handoff_announced', 'handoff_taken', 'message_relayed', 'handoff_closed', 'back_to_bot']));
    expect(types.filter((t) => t === 'message_relayed')).toHaveLength(4);
    expect(types).not.toContain('follow_up_sent');
    const audit = await h.db('staff_audit').whereIn('actor_telegram_id', [oleg.id, maria.id]).orderBy('id').select('command', 'allowed', 'actor_telegram_id');
    expect(audit.filter((a) => a.command === 'card_take').map((a) => a.allowed)).toEqual([true, false]);
  });

  it('not taken in 15 minutes: re-announced, escalated to the owner and the lead told the honest wait; untaken for 24 hours it expires and the bot goes on', async () => {
    const lead = h.newLead();
    const { owner, worker } = await setup();
    await worker.runUntil(async () => {
      await askForManager(lead);
      await h.env.sleep(14 * MINUTE);
      expect(cardsAbout(lead)).toHaveLength(1);
      expect(privateTexts(owner)).toHaveLength(0);
      await h.env.sleep(2 * MINUTE);
      await h.fake.waitFor(() => cardsAbout(lead).length === 2 && privateTexts(owner).length === 1);
      await h.fake.waitFor(() => h.texts(lead).some((t) => /в очереди|Менеджеры работают/.test(t)));
      expect(String(cardsAbout(lead)[1].params.text)).toContain('⏰ Лида не взяли за 15 минут!');
      expect(privateTexts(owner)[0]).toContain('ждёт менеджера больше 15 минут');
      await h.env.sleep(24 * HOUR);
      await h.fake.waitFor(() => h.fake.callsTo('editMessageReplyMarkup', MANAGERS_CHAT).some((c) => buttonsOf(c)[0]?.text.startsWith('🔒 Закрыт: timeout')));
      expect((await handoffEnded(lead)).outcome).toBe('timeout');
      await h.endConversations();
    });
    const types = (await events(lead.id)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['handoff_escalated', 'handoff_closed']));
    expect(types).not.toContain('back_to_bot'); // nobody talked to the lead: no "thanks for talking to the manager"
    expect((await h.db('handoffs').where({ lead_id: await leadIdOf(lead) }).first()).outcome).toBe('timeout');
  });

  it('a dialog silent for 24 hours closes itself, the manager is told, and the bot answers the lead again with the dialog in mind', async () => {
    const lead = h.newLead();
    const { oleg, bot, worker } = await setup();
    await worker.runUntil(async () => {
      await askForManager(lead);
      expect(await pressCard(bot, oleg, takeData(lead))).toContain('Лид ваш');
      await h.fake.waitFor(() => privateTexts(oleg).some((t) => t.startsWith('✅ Вы взяли лида')));
      await bot.handleUpdate(privateMessage(oleg, 'Здравствуйте! Чем помочь?'));
      await h.fake.waitFor(() => h.texts(lead).includes('Здравствуйте! Чем помочь?'));
      await h.env.sleep(23 * HOUR);
      expect(h.texts(lead).some((t) => t.includes('Спасибо, что пообщались'))).toBe(false);
      await h.env.sleep(2 * HOUR);
      await h.fake.waitFor(() => h.texts(lead).some((t) => t.includes('Спасибо, что пообщались с менеджером')));
      await h.fake.waitFor(() => privateTexts(oleg).some((t) => t.includes('закрыт (timeout)')));
      const before = h.texts(lead).length;
      await h.conversations().deliver(text(lead, '/help'));
      await h.fake.waitFor(() => h.texts(lead).length > before); // the bot answers, nothing goes to the manager
      expect((await handoffEnded(lead)).summary).toContain('Диалог закрыт после 24 ч тишины');
      await h.endConversations();
    });
    expect(privateTexts(oleg).filter((t) => t.includes('/help'))).toHaveLength(0);
    expect(await h.db('leads').where({ telegram_user_id: lead.id }).first('status', 'mode')).toEqual({ status: 'done', mode: 'bot' });
  });

  it('an operator terminates a waiting handoff: the conversation learns it, the row is closed, and the next request for a manager posts a new card', async () => {
    const lead = h.newLead();
    const { worker } = await setup();
    await worker.runUntil(async () => {
      await askForManager(lead);
      const conversation = h.env.client.workflow.getHandle(`lead-${lead.id}`);
      const open = (await conversation.query(leadStateQuery)).handoff;
      expect(open?.phase).toBe('waiting');
      await h.env.client.workflow.getHandle(open?.workflowId as string).terminate('operator');
      await h.conversations().deliver(text(lead, 'позовите менеджера'));
      await h.fake.waitFor(() => cardsAbout(lead).length === 2);
      await h.endAfterHandoffAnnounced(lead);
    });
    const rows = await h.db('handoffs').where({ lead_id: await leadIdOf(lead) }).orderBy('id').select('status', 'reason');
    expect(rows[0]).toMatchObject({ status: 'closed', reason: expect.stringMatching(/^handoff (terminated|ended unseen)$/) });
    expect((await events(lead.id)).map((e) => e.type)).toContain('handoff_lost');
  });

  it('a conversation that starts over gets handoff ids of its own: the new card is posted', async () => {
    const lead = h.newLead();
    const { worker } = await setup();
    await worker.runUntil(async () => {
      await askForManager(lead);
      const conversation = h.env.client.workflow.getHandle(`lead-${lead.id}`);
      const first = (await conversation.query(leadStateQuery)).handoff?.workflowId as string;
      await h.env.client.workflow.getHandle(first).terminate('operator');
      await conversation.terminate('operator');
      await h.conversations().deliver(text(lead, 'позовите менеджера'));
      await h.fake.waitFor(() => cardsAbout(lead).length === 2);
      await h.endAfterHandoffAnnounced(lead);
    });
    const ids: string[] = await h.db('handoffs').where({ lead_id: await leadIdOf(lead) }).orderBy('id').pluck('workflow_id');
    expect(new Set(ids).size).toBe(2);
  });

  it('a take by someone who is not staff is refused and recorded, and the dialog stays waiting', async () => {
    const lead = h.newLead();
    const stranger = h.newLead();
    const { oleg, worker } = await setup();
    await worker.runUntil(async () => {
      await askForManager(lead);
      const id = (await h.env.client.workflow.getHandle(`lead-${lead.id}`).query(leadStateQuery)).handoff?.workflowId as string;
      const handoffs = new Handoffs(h.env.client);
      expect(await handoffs.take(id, { managerId: stranger.id, managerName: 'attacker' })).toMatchObject({ taken: false, refused: 'not_staff' });
      expect(await handoffs.take(id, { managerId: lead.id, managerName: 'the lead' })).toMatchObject({ taken: false, refused: 'not_staff' });
      expect(await handoffs.take(id, { managerId: oleg.id, managerName: 'Oleg' })).toEqual({ taken: true });
      await h.fake.waitFor(() => privateTexts(oleg).some((t) => t.startsWith('✅ Вы взяли лида')));
      await h.endConversations();
    });
    const audit = await h.db('staff_audit').whereIn('actor_telegram_id', [stranger.id, lead.id]).select('command', 'allowed');
    expect(audit).toEqual([
      { command: 'handoff_take', allowed: false },
      { command: 'handoff_take', allowed: false },
    ]);
  });

  it('a holder who loses the role gives the dialog back: the card offers Take again, the lead\'s messages wait for the next taker, the old holder\'s replies are refused and recorded', async () => {
    const lead = h.newLead();
    const { oleg, maria, bot, worker } = await setup();
    await worker.runUntil(async () => {
      await askForManager(lead);
      expect(await pressCard(bot, oleg, takeData(lead))).toContain('Лид ваш');
      await h.fake.waitFor(() => privateTexts(oleg).some((t) => t.startsWith('✅ Вы взяли лида')));
      const id = (await h.env.client.workflow.getHandle(`lead-${lead.id}`).query(leadStateQuery)).handoff?.workflowId as string;
      const handoff = h.env.client.workflow.getHandle(id);
      await handoff.signal(releaseDialogSignal, { managerId: oleg.id, reason: 'staff_remove' });
      await h.fake.waitFor(() => h.fake.callsTo('editMessageReplyMarkup', MANAGERS_CHAT).some((c) => buttonsOf(c)[0]?.text === '🙋 Взять'));
      expect((await handoff.query(handoffStateQuery)).status).toBe('waiting');
      await h.conversations().deliver(text(lead, 'Алло, вы тут?'));
      await new Handoffs(h.env.client).reply(id, { managerId: oleg.id, chatId: oleg.id, messageId: 1, text: 'я ещё тут', media: false });
      await waitUntil(async () => (await h.db('staff_audit').where({ actor_telegram_id: oleg.id, command: 'handoff_reply' })).length === 1);
      expect(privateTexts(oleg).some((t) => t.includes('Алло, вы тут?'))).toBe(false);
      expect(h.texts(lead)).not.toContain('я ещё тут');
      expect(await pressCard(bot, maria, takeData(lead))).toContain('Лид ваш');
      await h.fake.waitFor(() => privateTexts(maria).some((t) => t.includes('Алло, вы тут?')));
      await h.endConversations();
    });
  });
});

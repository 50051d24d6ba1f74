import { domainEventSignal, leadStateQuery, leadWorkflowId } from '../../workflows/lead-conversation/contract';
import { leadRows } from '../support/db';
import { buttonsOf, MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { press, text, type TestUser } from '../support/updates';

const h = useLeadHarness({ serverPerTest: true });

/** Starts the survey with /survey and answers it; returns the number of messages sent so far. */
async function takeSurvey(lead: TestUser, codes: string[]): Promise<number> {
  const conversations = h.conversations();
  await conversations.deliver(text(lead, '/start'));
  await conversations.deliver(text(lead, '/survey'));
  await h.until('sendMessage', lead, 2);
  for (const [index, code] of codes.entries()) {
    await conversations.deliver(press(lead, `svy:q${index + 1}.${code}`));
  }
  // greeting + 5 questions + 5 confirmations, then the result card
  await h.until('sendMessage', lead, 12);
  return h.sent('sendMessage', lead).length;
}

describe('the lead journey on the time-skipping server', () => {
  it('a hot lead: 5 questions one by one, the result card with the best product, logged; then the hot path', async () => {
    const lead = h.newLead();
    const hot = ['trading', 'passive_income', 'one_month', 'over_thousand', 'ready_to_learn'];
    await (await h.worker()).runUntil(async () => {
      await takeSurvey(lead, hot);
      const texts = h.texts(lead);
      expect(texts[1]).toMatch(/^Вопрос 1\/5\n\nКакой у вас опыт в инвестициях\?/);
      expect(texts.filter((t) => /^Вопрос \d\/5/.test(t))).toHaveLength(5);
      const card = h.sent('sendMessage', lead)[11];
      expect(card.params.text).toContain('опытный инвестор, 13/13');
      expect(card.params.text).toContain('«Трейдинг с наставником»');
      // What the programme gives, as the product's editor wrote it (products.yaml value_propositions).
      expect(card.params.text).toContain('Что вы получите:\n• Личный наставник-практик и еженедельный разбор ваших сделок');
      expect(buttonsOf(card).find((b) => b.url)?.url).toMatch(/^https:\/\//);
      // The product has no photo or file: the card comes alone.
      expect(h.sent('sendPhoto', lead)).toHaveLength(0);

      await h.conversations().deliver(press(lead, 'result_product:next'));
      await h.until('sendMessage', lead, 14);
    });
    const [offer, schedule] = h.texts(lead).slice(12);
    expect(schedule).toContain('18 января'); // the January cohort, seats not mentioned (9 left > threshold 5)
    expect(schedule).not.toContain('Осталось мест');
    expect(offer).toContain('ссылку на оплату');

    const { lead: row, events } = await leadRows(h.db, lead.id);
    expect(row).toMatchObject({ segment: 'hot', score: 13, answers: { q1: 'trading', q5: 'ready_to_learn' } });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['survey_started', 'survey_answer', 'survey_completed', 'result_shown', 'path_hot']));
    const matches = await h.db('product_matches').where({ lead_id: row.id });
    expect(matches).toHaveLength(1);
    expect(matches[0].top).toHaveLength(3);
  });

  it('purchase intent after the survey: the payment offer for the matched product; instalment → an order and its link; a discount → a manager', async () => {
    const lead = h.newLead();
    const hot = ['trading', 'passive_income', 'one_month', 'over_thousand', 'ready_to_learn'];
    await (await h.worker()).runUntil(async () => {
      const before = await takeSurvey(lead, hot);
      await h.conversations().deliver(text(lead, 'Хочу купить курс'));
      await h.until('sendMessage', lead, before + 2);
      const offer = h.sent('sendMessage', lead)[before + 1];
      expect(String(offer.params.text)).toMatch(/^Можно оплатить сразу: «Трейдинг с наставником», \d+ \w+\. Как удобнее\?$/);
      expect(buttonsOf(offer).map((b) => b.callback_data)).toEqual(['pay:full', 'pay:inst', 'pay:stars', 'pay:promo']);
      expect(buttonsOf(offer)[1].text).toMatch(/^🗓 Рассрочка: первый платёж [\d.]+ \w+$/);

      await h.conversations().deliver(press(lead, 'pay:inst'));
      await h.fake.waitFor(() => h.sent('sendMessage', lead).some((c) => buttonsOf(c).some((b) => b.url?.includes('order_id='))));
      await h.conversations().deliver(press(lead, 'pay:promo'));
      await h.fake.waitFor(() => h.texts(lead).some((t) => t.includes('персональную ссылку')));
      await h.endAfterHandoffAnnounced(lead);
    });
    const { lead: row, events } = await leadRows(h.db, lead.id);
    const [order] = await h.db('orders').where({ lead_id: row.id });
    const product = await h.db('products').where({ id: order.product_id }).first();
    expect(order).toMatchObject({ type: 'instalment', method: 'link' });
    expect(Number(order.amount)).toBeCloseTo(Number(product.price) / 3, 2);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['purchase_intent', 'payment_started', 'handoff_created', 'handoff_repeated']));
    const [handoff] = await h.db('handoffs').where({ lead_id: row.id });
    expect(handoff).toMatchObject({ trigger: 'purchase_intent', priority: 100 }); // hot outranks every trigger
  });

  it.each([
    [['no_experience', 'safety_net', 'one_month', 'under_10', 'not_ready'], 5, 'cold', 'новичок'],
    [['crypto_long', 'safety_net', 'one_month', 'under_10', 'not_ready'], 6, 'warm', 'есть базовые знания'],
    [['trading', 'passive_income', 'three_months', 'ten_to_hundred', 'ready_to_learn'], 10, 'warm', 'есть базовые знания'],
    [['trading', 'passive_income', 'three_months', 'hundred_to_five_hundred', 'ready_to_learn'], 11, 'hot', 'опытный инвестор'],
  ])('segment boundaries: %j scores %i, %s', async (codes, score, segment, name) => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(() => takeSurvey(lead, codes as string[]));
    expect(h.texts(lead)[11]).toContain(`${name}, ${score}/13`);
    expect((await leadRows(h.db, lead.id)).lead).toMatchObject({ score, segment });
  });

  it('a cold lead gets the beginner course, then up to 5 materials and a consultation offer', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await takeSurvey(lead, ['no_experience', 'start_investing', 'just_learning', 'under_10', 'not_ready']);
      expect(h.texts(lead)[11]).toContain('новичок, 1/13');
      expect(h.texts(lead)[11]).toContain('«Крипто-старт»');
      await h.conversations().deliver(press(lead, 'result_product:next'));
      await h.until('sendMessage', lead, 14);
    });
    const [offer, materials] = h.texts(lead).slice(12);
    expect(materials).toMatch(/^📚 Подборка для вас:/);
    const listed = materials.split('\n').filter((line) => line.startsWith('• '));
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.length).toBeLessThanOrEqual(5);
    expect(offer).toContain('менеджер бесплатно поможет');
    expect(buttonsOf(h.sent('sendMessage', lead)[12]).map((b) => b.callback_data)).toEqual(['path_cold:consult']);
  });

  it("the result card comes after the product's photo, when its editor uploaded one", async () => {
    const lead = h.newLead();
    const photo = 'AgACAgIAAxkBAAIProductPhoto';
    await h.db('products').where({ code: 'mentored_trading' }).update({ media_url: `tg:photo:${photo}` });
    try {
      await (await h.worker()).runUntil(async () => {
        await takeSurvey(lead, ['trading', 'passive_income', 'one_month', 'over_thousand', 'ready_to_learn']);
        await h.until('sendPhoto', lead, 1);
      });
    } finally {
      await h.db('products').where({ code: 'mentored_trading' }).update({ media_url: null });
    }
    const [sentPhoto] = h.sent('sendPhoto', lead);
    expect(sentPhoto.params).toMatchObject({ photo, caption: 'Трейдинг с наставником' });
    const card = h.sent('sendMessage', lead)[11];
    expect(card.params.text).toContain('«Трейдинг с наставником»');
    // In that order: the photo, then the card with its buttons under it.
    const order = h.fake.calls.filter((c) => c.params.chat_id === lead.id).map((c) => c.method);
    expect(order.lastIndexOf('sendPhoto')).toBe(order.lastIndexOf('sendMessage') - 1);
  });

  it('a material with a file goes out as that file after the list, its title as the caption', async () => {
    const lead = h.newLead();
    const key = `journey-file-${lead.id}`;
    // First in line for a cold lead: the highest priority, any stage.
    await h.db('materials').insert({ key, title: 'Чек-лист новичка (PDF)', summary: 'Десять шагов', category: 'article', segments: '["cold"]', stages: '[]', tags: '[]', priority: 10_000, status: 'ready', language: 'ru', version: 1, checksum: 'x', file_id: 'doc-checklist-journey' });
    try {
      await (await h.worker()).runUntil(async () => {
        await takeSurvey(lead, ['no_experience', 'start_investing', 'just_learning', 'under_10', 'not_ready']);
        await h.conversations().deliver(press(lead, 'result_product:next'));
        await h.until('sendDocument', lead, 1);
      });
    } finally {
      await h.db('materials').where({ key }).delete();
    }
    const materials = h.texts(lead)[13];
    expect(materials).toContain('• Чек-лист новичка (PDF) 📎');
    const [file] = h.sent('sendDocument', lead);
    expect(file.params).toMatchObject({ document: 'doc-checklist-journey', caption: 'Чек-лист новичка (PDF)' });
    // In that order: the list, then the file.
    const order = h.fake.calls.filter((c) => c.params.chat_id === lead.id && !c.error).map((c) => `${c.method}:${String(c.params.text ?? c.params.caption ?? '').slice(0, 12)}`);
    expect(order.indexOf('sendDocument:Чек-лист нов')).toBeGreaterThan(order.findIndex((o) => o.startsWith('sendMessage:📚 Подборка')));
  });

  it('with no product above the threshold, a consultation is offered instead of a product', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await takeSurvey(lead, ['bank_deposit', 'no_goal', 'one_year', 'ten_to_hundred', 'not_ready']);
    });
    const card = h.sent('sendMessage', lead)[11];
    expect(card.params.text).toContain('Готовой программы под ваши ответы я не нашёл');
    expect(buttonsOf(card).map((b) => b.callback_data)).toEqual(['result_consult:consult', 'result_consult:next']);
  });

  it('/stop opts out (recorded in Postgres) and the lead is still answered; /resume reverses it', async () => {
    const lead = h.newLead();
    const handle = () => h.env.client.workflow.getHandle(leadWorkflowId(lead.id));
    await (await h.worker()).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.conversations().deliver(text(lead, '/stop'));
      await h.until('sendMessage', lead, 2);
      expect(await handle().query(leadStateQuery)).toMatchObject({ optedOut: true, step: 'greeting' });
      expect((await leadRows(h.db, lead.id)).lead).toMatchObject({ opted_out: true, mode: 'opted_out' });
      await h.conversations().deliver(text(lead, 'а сколько стоит?'));
      await h.until('sendMessage', lead, 3);
      await h.conversations().deliver(press(lead, 'stop:resume'));
      await h.until('sendMessage', lead, 4);
      expect(await handle().query(leadStateQuery)).toMatchObject({ optedOut: false });
    });
    expect((await leadRows(h.db, lead.id)).lead).toMatchObject({ opted_out: false, mode: 'bot' });
  });

  it('"when does it start?" is answered from the schedule; "позовите менеджера" tells the managers', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.conversations().deliver(text(lead, 'Когда старт ближайшего потока?'));
      await h.until('sendMessage', lead, 2);
      await h.conversations().deliver(text(lead, 'позовите менеджера пожалуйста'));
      await h.until('sendMessage', lead, 3);
      // The notice follows the lead's answer: wait for it while the worker still runs.
      await h.fake.waitFor(() => h.fake.callsTo('sendMessage', MANAGERS_CHAT).some((c) => String(c.params.text).includes(`(id ${lead.id})`)));
      await h.endAfterHandoffAnnounced(lead);
    });
    expect(h.texts(lead)[1]).toMatch(/Поток «Январь 2027» стартует 18 января, запись открыта до 15 января\./);
    expect(h.texts(lead)[2]).toContain('Передал ваш запрос менеджеру');
    expect(h.fake.callsTo('sendMessage', MANAGERS_CHAT).some((c) => String(c.params.text).includes(`(id ${lead.id})`))).toBe(true);
  });

  it('/help shows what the bot can do with the main buttons, without moving the lead', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.conversations().deliver(text(lead, '/help'));
      await h.until('sendMessage', lead, 2);
      await h.conversations().deliver(press(lead, 'greeting:request')); // the greeting's buttons still work
      await h.until('sendMessage', lead, 3);
    });
    expect(buttonsOf(h.sent('sendMessage', lead)[1]).map((b) => b.callback_data)).toEqual(['help:bonus', 'help:survey', 'help:manager']);
    expect(h.texts(lead)[2]).toContain('Оставьте номер телефона');
  });
});

describe('domain events from other workflows', () => {
  it('a known event leads to its step once, however often it is sent; an unknown one is only recorded', async () => {
    const lead = h.newLead();
    const handle = () => h.env.client.workflow.getHandle(leadWorkflowId(lead.id));
    await (await h.worker()).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      await handle().signal(domainEventSignal, { id: 'handoff-1-closed', name: 'dialog_closed' });
      await handle().signal(domainEventSignal, { id: 'handoff-1-closed', name: 'dialog_closed' });
      await handle().signal(domainEventSignal, { id: 'x-1', name: 'meteor_strike' });
      await h.until('sendMessage', lead, 2);
      await h.idle(lead);
    });
    expect(h.texts(lead)).toHaveLength(2);
    expect(h.texts(lead)[1]).toContain('Спасибо, что пообщались с менеджером');
    const { events } = await leadRows(h.db, lead.id);
    expect(events.map((e) => [e.type, e.payload.name])).toEqual(
      expect.arrayContaining([
        ['domain_event', 'dialog_closed'],
        ['domain_event_ignored', 'meteor_strike'],
      ]),
    );
  });
});

import { leadCardText } from '../../db/lead-card';
import type { FoundLead } from '../../db/lead-search';
import { MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { useFakeModel } from '../support/fake-model';
import { text, type TestUser } from '../support/updates';

const h = useLeadHarness({ serverPerTest: true });
const model = useFakeModel({ reply: 'Понимаю вас.', readiness: 30 });
const { client, reply } = model;
const learned = { goal: 'пассивный доход', experience: 'новичок', budget: 'до 50 000 ₽', objections: 'дорого' };

/** /start and the lead's messages, one model turn each where the script says so; then the conversation is left idle. */
async function converse(lead: TestUser, messages: string[], options: { handoff?: boolean } = {}) {
  await (await h.worker({ openai: client(), model: 'test-model' })).runUntil(async () => {
    await h.conversations().deliver(text(lead, '/start'));
    for (const [i, message] of messages.entries()) {
      await h.conversations().deliver(text(lead, message));
      await h.until('sendMessage', lead, i + 2);
    }
    if (options.handoff) {
      await h.fake.waitFor(() => cardFor(lead) !== undefined);
      await h.endAfterHandoffAnnounced(lead);
    } else await h.idle(lead);
  });
}

const cardFor = (lead: TestUser) => h.fake.callsTo('sendMessage', MANAGERS_CHAT).find((c) => String(c.params.text).includes(`(id ${lead.id})`));
const leadRow = (lead: TestUser) => h.db('leads').where({ telegram_user_id: lead.id }).first();

describe('what the bot learns is kept and shown', () => {
  it('the facts of a model turn are stored with their turn, the lead gets an inferred segment, and /lead shows them', async () => {
    const lead = h.newLead();
    model.server.script(reply({ profile_updates: learned, readiness: 75 }));
    await converse(lead, ['Хочу пассивный доход, но курс, кажется, дорогой']);

    const row = await leadRow(lead);
    expect(row).toMatchObject({ readiness: 75, segment: 'hot', segment_source: 'inferred' });
    const call = await h.db('llm_calls').where({ lead_id: row.id, purpose: 'reply' }).first();
    const facts = await h.db('lead_profile_facts').where({ lead_id: row.id }).orderBy('key');
    expect(facts.map((f) => [f.key, f.value])).toEqual(Object.entries(learned).sort(([a], [b]) => a.localeCompare(b)));
    for (const fact of facts) expect(fact).toMatchObject({ turn_key: call.idempotency_key, llm_call_id: call.id, learned_at: expect.any(Date) });

    const card = await leadCardText(h.db, row as FoundLead, (iso) => iso.slice(0, 16), new Date());
    expect(card).toContain('🧠 Что бот узнал:');
    expect(card).toContain('Готовность к покупке: 75/100');
    expect(card).toContain('Сегмент (предположен ботом, опрос не пройден): hot');
    expect(card).toMatch(/Цель: пассивный доход \(\d{4}-\d\d-\d\dT\d\d:\d\d\)/);
    expect(card).toContain('Возражения: дорого');
    expect(card.indexOf('Цель:')).toBeLessThan(card.indexOf('Опыт:'));
  });

  it('readiness raises the priority of the handoff, and the card has the model-written summary and the profile', async () => {
    const lead = h.newLead();
    model.server.script(reply({ profile_updates: { goal: 'пассивный доход', objections: 'дорого' }, readiness: 95 }));
    model.server.script({ kind: 'text', content: 'Хочет пассивный доход. Сомневается в цене. Предложили консультацию.' });
    const before = model.server.calls.length;
    await converse(lead, ['Хочу пассивный доход, но дорого', 'позовите менеджера'], { handoff: true });

    const row = await leadRow(lead);
    // No survey (40), a request for a manager (70), readiness 95 → 86.
    expect(await h.db('handoffs').where({ lead_id: row.id }).first('priority')).toEqual({ priority: 86 });
    const card = String(cardFor(lead)!.params.text);
    expect(card).toContain('Приоритет: 86');
    expect(card).toContain('Кратко: Хочет пассивный доход. Сомневается в цене. Предложили консультацию.');
    expect(card).toContain('🧠 Что бот узнал:');
    expect(card).toContain('Готовность к покупке: 95/100');
    expect(card).toContain('Возражения: дорого');
    // The summary request read the conversation.
    const summaryRequest = model.server.calls.slice(before).find((c) => String(c.body.messages[0].content).includes('сводку'))!;
    expect(summaryRequest.body.messages.at(-1)!.content).toContain('Хочу пассивный доход, но дорого');
    const calls = await h.db('llm_calls').where({ lead_id: row.id }).orderBy('id').select('purpose', 'outcome', 'fallback');
    expect(calls).toEqual([
      { purpose: 'reply', outcome: 'ok', fallback: false },
      { purpose: 'handoff_summary', outcome: 'ok', fallback: false },
    ]);
  });

  it('when the summary fails, the card quotes the lead', async () => {
    const lead = h.newLead();
    model.server.script(reply({ readiness: 10 }));
    model.server.script({ kind: 'error', status: 500 });
    await converse(lead, ['Сколько стоит курс?', 'позовите менеджера'], { handoff: true });

    const card = String(cardFor(lead)!.params.text);
    expect(card).toContain('Кратко: Лид писал: «Сколько стоит курс?» «позовите менеджера»');
    expect(card).toContain('Приоритет: 70');
    const row = await leadRow(lead);
    expect(await h.db('llm_calls').where({ lead_id: row.id, purpose: 'handoff_summary' }).first()).toMatchObject({ outcome: 'api_error', fallback: false });
  });
});

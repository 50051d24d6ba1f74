import type OpenAI from 'openai';
import { knowledgeAnswerText } from '../../domain/knowledge';
import { defaultScenarioPath, loadScenarioFile } from '../../scenarios/loader';
import { getEntry } from '../../db/knowledge';
import { leadRows } from '../support/db';
import { buttonsOf, useLeadHarness } from '../support/lead-harness';
import { useFakeModel } from '../support/fake-model';
import { text, type TestUser } from '../support/updates';

const ru = loadScenarioFile(defaultScenarioPath('ru'));
const h = useLeadHarness({ serverPerTest: true });
const model = useFakeModel();
const { client, reply } = model;

/** The seeded refund entry (scenarios/default/knowledge.ru.yaml). */
async function refundEntry() {
  const row = await h.db('knowledge_entries').where({ language: 'ru', key: 'refunds' }).first('id');
  return (await getEntry(h.db, Number(row.id)))!;
}

/** /start, then one free-text message; returns the bot's answer to it (the 2nd message). */
async function ask(lead: TestUser, question: string, openai: OpenAI | null) {
  await (await h.worker({ openai, model: 'test-model', timeoutMs: 2000 })).runUntil(async () => {
    await h.conversations().deliver(text(lead, '/start'));
    await h.conversations().deliver(text(lead, question));
    await h.until('sendMessage', lead, 2);
    await h.idle(lead);
  });
  return h.sent('sendMessage', lead)[1];
}

async function llmRecords(lead: TestUser) {
  const { lead: row, events } = await leadRows(h.db, lead.id);
  const calls = await h.db('llm_calls').where({ lead_id: row.id }).orderBy('id');
  return { calls, events: events.filter((e) => e.type.startsWith('llm_')) };
}

const REFUND_QUESTION = 'Можно ли вернуть деньги, если курс мне не понравится?';

describe('the knowledge base in a model turn', () => {
  it('a question about refunds puts the refund entry into the prompt, and the entries the model used are recorded', async () => {
    const entry = await refundEntry();
    const lead = h.newLead();
    model.server.script(reply({ reply: 'Да, в течение 14 дней после старта вернём всю сумму.', knowledge_used: [entry.id, 999_999] }));
    const answer = await ask(lead, REFUND_QUESTION, client());
    expect(answer.params.text).toBe('Да, в течение 14 дней после старта вернём всю сумму.');

    const messages = model.server.calls.at(-1)!.body.messages;
    expect(messages[0].content).toContain('knowledge_used');
    const context = JSON.parse(String(messages[1].content).replace(/^Context \(JSON\):\n/, '')) as { knowledge: { id: number; question: string; answer: string }[] };
    expect(context.knowledge[0]).toEqual({ id: entry.id, question: entry.question, answer: entry.answer, links: entry.links });
    expect(context.knowledge.length).toBeLessThanOrEqual(4);

    const { calls } = await llmRecords(lead);
    // An id the model made up (999999) was never offered: it is not recorded as used.
    expect(calls).toEqual([expect.objectContaining({ outcome: 'ok', knowledge_offered: context.knowledge.map((k) => String(k.id)), knowledge_used: [String(entry.id)] })]);
  });

  it('a malformed list of used entries costs only the record, never the reply', async () => {
    const lead = h.newLead();
    model.server.script(reply({ reply: 'Да, деньги можно вернуть.', knowledge_used: 'refunds' }));
    const answer = await ask(lead, REFUND_QUESTION, client());
    expect(answer.params.text).toBe('Да, деньги можно вернуть.');
    expect((await llmRecords(lead)).calls).toEqual([expect.objectContaining({ outcome: 'ok', knowledge_used: [] })]);
  });

  it('without a key the refund question gets the entry\'s own answer, with the templated answer\'s buttons', async () => {
    const entry = await refundEntry();
    const lead = h.newLead();
    const before = model.server.calls.length;
    const sent = await ask(lead, REFUND_QUESTION, null);
    expect(sent.params.text).toBe(knowledgeAnswerText(entry));
    expect(String(sent.params.text)).toContain('14 дней');
    expect(buttonsOf(sent).map((b) => b.callback_data)).toEqual(['fallback:materials', 'fallback:consult', 'fallback:manager']);
    expect(model.server.calls.length).toBe(before);
    const { calls, events } = await llmRecords(lead);
    expect(calls).toEqual([expect.objectContaining({ outcome: 'no_key', fallback: true, knowledge_used: [String(entry.id)] })]);
    expect(events.map((e) => e.payload)).toEqual([{ reason: 'no_key', knowledgeEntry: entry.id, knowledgeKey: 'refunds' }]);
  });

  it('a model that fails answers from the entry too', async () => {
    const entry = await refundEntry();
    const lead = h.newLead();
    model.server.script({ kind: 'error', status: 500 });
    const sent = await ask(lead, 'Как оформить возврат денег?', client());
    expect(sent.params.text).toBe(knowledgeAnswerText(entry));
    expect((await llmRecords(lead)).calls).toEqual([expect.objectContaining({ outcome: 'api_error', knowledge_used: [String(entry.id)] })]);
  });

  it('a question the base has no sure answer for still gets the templated answer', async () => {
    const lead = h.newLead();
    const sent = await ask(lead, 'Чем proof-of-stake отличается от proof-of-work?', null);
    expect(sent.params.text).toBe((ru.steps.fallback.messages[0] as { text: string }).text);
    expect((await llmRecords(lead)).calls).toEqual([expect.objectContaining({ outcome: 'no_key', knowledge_used: [] })]);
  });
});

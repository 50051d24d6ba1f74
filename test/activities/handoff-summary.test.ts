import OpenAI from 'openai';
import pino from 'pino';
import { createHandoffActivities } from '../../activities/handoff';
import type { Db } from '../../db/knex';
import { upsertLead } from '../../db/leads';
import { recordInboundMessage } from '../../db/messages';
import type { ManagerHandoffInput } from '../../workflows/manager-handoff/contract';
import { FakeOpenAIServer, realmSafeFetch } from '../fakes/openai-server';
import { testDb, uniqueUserId } from '../support/db';

const KEY = 'sk-summary';
const logger = pino({ level: 'silent' });
let db: Db;
let openaiFake: FakeOpenAIServer;

beforeAll(async () => {
  db = testDb();
  openaiFake = await FakeOpenAIServer.start({ apiKey: KEY });
});
afterAll(async () => {
  await Promise.all([db?.destroy(), openaiFake?.stop()]);
});

const client = () => new OpenAI({ apiKey: KEY, baseURL: openaiFake.baseUrl, maxRetries: 0, fetch: realmSafeFetch });

/** A lead who wrote `texts` (the bot answering each) and the handoff input its card is made from. */
async function conversation(texts: string[]): Promise<ManagerHandoffInput> {
  const id = uniqueUserId();
  const lead = await upsertLead(db, { id, firstName: 'Олег' }, id);
  for (const [i, text] of texts.entries()) {
    await recordInboundMessage(db, { leadId: lead.id, chatId: id, updateId: id * 10 + i, text, payload: {} });
    await db('messages').insert({ lead_id: lead.id, chat_id: id, direction: 'out', text: `Ответ ${i + 1}: могу предложить консультацию.`, status: 'sent', outbound_id: `sum-${id}-${i}` });
  }
  return {
    leadId: lead.id,
    telegramUserId: id,
    leadChatId: id,
    leadWorkflowId: `lead-${id}`,
    trigger: 'manager_requested',
    priority: 70,
    who: `Олег (id ${id})`,
    segment: null,
    score: null,
    stage: 'frame',
    product: null,
    facts: { goal: 'доход' },
    language: 'ru',
    timeZone: 'Europe/Moscow',
  };
}

const summaries = (leadId: number) => db('llm_calls').where({ lead_id: leadId, purpose: 'handoff_summary' }).select('outcome', 'fallback', 'model');

describe("the handoff card's summary", () => {
  it('is written by the model from the conversation and the facts, and recorded', async () => {
    const input = await conversation(['Хочу доход со спота', 'Но боюсь потерять деньги']);
    openaiFake.script({ kind: 'text', content: 'Хочет доход со спота; боится потерь; предложена консультация.' });
    const card = await createHandoffActivities({ db, logger, openai: client(), model: 'summary-model' }).leadCard(input);
    expect(card).toContain('Кратко: Хочет доход со спота; боится потерь; предложена консультация.');
    const request = openaiFake.calls.at(-1)!.body;
    expect(request.model).toBe('summary-model');
    const asked = JSON.parse(request.messages[1].content);
    expect(asked.facts).toEqual({ goal: 'доход' });
    expect(asked.conversation.map((m: { from: string }) => m.from)).toEqual(['lead', 'bot', 'lead', 'bot']);
    expect(await summaries(input.leadId)).toEqual([{ outcome: 'ok', fallback: false, model: 'summary-model' }]);
  });

  it('quotes the lead when the model times out, and without a key (no call made, none recorded)', async () => {
    const input = await conversation(['Сколько стоит?', 'А рассрочка есть?']);
    openaiFake.script({ kind: 'hang' });
    const slow = createHandoffActivities({ db, logger, openai: client(), timeoutMs: 1000 });
    expect(await slow.leadCard(input)).toContain('Кратко: Лид писал: «Сколько стоит?» «А рассрочка есть?»');
    expect(await summaries(input.leadId)).toEqual([expect.objectContaining({ outcome: 'timeout', fallback: false })]);

    const other = await conversation(['Сколько стоит?', 'А рассрочка есть?']);
    const before = openaiFake.calls.length;
    expect(await createHandoffActivities({ db, logger }).leadCard(other)).toContain('Кратко: Лид писал: «Сколько стоит?» «А рассрочка есть?»');
    expect(openaiFake.calls.length).toBe(before);
    expect(await summaries(other.leadId)).toEqual([]);
  });

  it('a single message of the lead is its own summary: the model is not asked', async () => {
    const input = await conversation(['позовите менеджера']);
    const before = openaiFake.calls.length;
    expect(await createHandoffActivities({ db, logger, openai: client() }).leadCard(input)).toContain('Кратко: Лид писал: «позовите менеджера»');
    expect(openaiFake.calls.length).toBe(before);
  });
});

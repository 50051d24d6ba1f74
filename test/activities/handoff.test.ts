import OpenAI from 'openai';
import pino from 'pino';
import { createHandoffActivities } from '../../activities/handoff';
import type { Db } from '../../db/knex';
import { upsertLead } from '../../db/leads';
import type { SalesScriptFacts } from '../../domain/sales-script';
import { FakeOpenAIServer, realmSafeFetch } from '../fakes/openai-server';
import { testDb, uniqueUserId } from '../support/db';

const KEY = 'sk-sales-script';
let db: Db;
let openaiFake: FakeOpenAIServer;

beforeAll(async () => {
  db = testDb();
  openaiFake = await FakeOpenAIServer.start({ apiKey: KEY });
});
afterAll(async () => {
  await Promise.all([db?.destroy(), openaiFake?.stop()]);
});

const facts = (overrides: Partial<SalesScriptFacts> = {}): SalesScriptFacts => ({
  firstName: 'Анна',
  segment: 'warm',
  score: 8,
  stage: 'frame',
  product: 'Портфель под контролем',
  trigger: 'manager_requested',
  facts: { q1: 'crypto_long', budget: '300$' },
  ...overrides,
});

async function newLead(): Promise<number> {
  const id = uniqueUserId();
  return (await upsertLead(db, { id, firstName: 'Анна' }, id)).id;
}

describe('the sales script for the manager', () => {
  it('comes from the model, is cached while the facts stay the same, and is regenerated when they change', async () => {
    const leadId = await newLead();
    const handoff = createHandoffActivities({
      db,
      logger: pino({ level: 'silent' }),
      openai: new OpenAI({ apiKey: KEY, baseURL: openaiFake.baseUrl, maxRetries: 0, fetch: realmSafeFetch }),
      model: 'script-model',
    });
    openaiFake.script({ kind: 'text', content: 'Скрипт v1: приветствие, вопросы, презентация.' });
    openaiFake.script({ kind: 'text', content: 'Скрипт v2: бюджет вырос.' });
    const callsBefore = openaiFake.calls.length;

    expect(await handoff.salesScript({ leadId, facts: facts() })).toEqual({ script: 'Скрипт v1: приветствие, вопросы, презентация.', source: 'llm' });
    // Same facts in another key order: the cache answers, the model is not asked again.
    expect(await handoff.salesScript({ leadId, facts: facts({ facts: { budget: '300$', q1: 'crypto_long' } }) })).toEqual({ script: 'Скрипт v1: приветствие, вопросы, презентация.', source: 'cache' });
    expect(openaiFake.calls.length - callsBefore).toBe(1);

    expect(await handoff.salesScript({ leadId, facts: facts({ facts: { q1: 'crypto_long', budget: '1000$' } }) })).toEqual({ script: 'Скрипт v2: бюджет вырос.', source: 'llm' });
    expect(openaiFake.calls.length - callsBefore).toBe(2);
    expect(await db('sales_scripts').where({ lead_id: leadId })).toHaveLength(1); // one current script per lead
  });

  it('falls back to the template by segment when the model fails or is not configured', async () => {
    const leadId = await newLead();
    const failing = createHandoffActivities({
      db,
      logger: pino({ level: 'silent' }),
      openai: new OpenAI({ apiKey: KEY, baseURL: openaiFake.baseUrl, maxRetries: 0, fetch: realmSafeFetch }),
    });
    openaiFake.script({ kind: 'error', status: 500 });
    const result = await failing.salesScript({ leadId, facts: facts({ segment: 'hot', score: 12 }) });
    expect(result.source).toBe('template');
    expect(result.script).toContain('📋 Скрипт продаж для Анна');
    expect(result.script).toContain('рассрочка'); // the hot segment's objection handling
    expect(result.script).toContain('(12/13)');

    const noModel = createHandoffActivities({ db, logger: pino({ level: 'silent' }) });
    const cold = await noModel.salesScript({ leadId: await newLead(), facts: facts({ segment: null, score: null }) });
    expect(cold).toMatchObject({ source: 'template' });
    expect(cold.script).toContain('Опрос не пройден');
  });
});

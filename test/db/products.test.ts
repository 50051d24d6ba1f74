import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../../db/knex';
import { upsertLead } from '../../db/leads';
import { listActiveProducts, listCriteria, recordMatch, upsertProductsFromSeed } from '../../db/products';
import { matchProducts, type MatchingLead, type ProductDefinition, type ProductSeed } from '../../domain/product-matching';
import { ScenarioError } from '../../scenarios/loader';
import { defaultProductsPath, loadProductsFile } from '../../scenarios/products-loader';
import { testDb, uniqueUserId } from '../support/db';

let db: Db;

beforeAll(() => {
  db = testDb();
});

afterAll(async () => {
  await db?.destroy();
});

let nextSuffix = Math.floor(Math.random() * 1_000_000);
/** Product codes no other test in this run uses: every test sees only its own products. */
function uniqueCode(name: string): string {
  nextSuffix += 1;
  return `${name}_${nextSuffix}`;
}

function definition(code: string, overrides: Partial<ProductDefinition> = {}): ProductDefinition {
  return {
    code,
    name: 'Крипто-старт',
    description: 'Базовый курс',
    price: 290,
    currency: 'USD',
    valuePropositions: ['С нуля', 'В своём темпе'],
    targetSegments: ['cold', 'warm'],
    paymentLinks: { full: 'https://pay.example.com/x/full', instalment: 'https://pay.example.com/x/instalment' },
    landingUrl: 'https://school.example.com/x',
    active: true,
    budgetLevel: 1,
    urgencyLevel: 0,
    criteria: [
      { question: 'q1', answer: 'no_experience', weight: 3, reason: 'С нуля' },
      { question: 'q4', answer: 'under_10', weight: 1.5 },
      { question: 'q1', answer: 'trading', weight: -2, reason: 'Слишком просто' },
    ],
    ...overrides,
  };
}

async function productRow(code: string) {
  return db('products').where({ code }).first();
}

async function criteriaRows(code: string) {
  return db('product_criteria').join('products', 'products.id', 'product_criteria.product_id').where('products.code', code).select('product_criteria.*').orderBy('product_criteria.id');
}

async function newLead(): Promise<number> {
  const lead = await upsertLead(db, { id: uniqueUserId(), firstName: 'Anna' }, 1);
  return lead.id;
}

describe('upsertProductsFromSeed', () => {
  it('inserts new products with their criteria, and maps them back to the domain types', async () => {
    const code = uniqueCode('start');
    const report = await upsertProductsFromSeed(db, { products: [definition(code)] });
    expect(report).toEqual({ inserted: [code], updated: [], unchanged: [] });

    const product = (await listActiveProducts(db)).find((p) => p.code === code);
    expect(product).toEqual({
      id: expect.any(Number),
      code,
      name: 'Крипто-старт',
      description: 'Базовый курс',
      price: 290,
      currency: 'USD',
      valuePropositions: ['С нуля', 'В своём темпе'],
      targetSegments: ['cold', 'warm'],
      paymentLinks: { full: 'https://pay.example.com/x/full', instalment: 'https://pay.example.com/x/instalment' },
      landingUrl: 'https://school.example.com/x',
      active: true,
      budgetLevel: 1,
      urgencyLevel: 0,
    });
    expect(await listCriteria(db, [product!.id])).toEqual([
      { productId: product!.id, question: 'q1', answer: 'no_experience', weight: 3, reason: 'С нуля' },
      { productId: product!.id, question: 'q4', answer: 'under_10', weight: 1.5 },
      { productId: product!.id, question: 'q1', answer: 'trading', weight: -2, reason: 'Слишком просто' },
    ]);
  });

  it('is idempotent: a second run changes nothing, not even updated_at or criteria ids', async () => {
    const seed: ProductSeed = { products: [definition(uniqueCode('a')), definition(uniqueCode('b'), { landingUrl: undefined, paymentLinks: {} })] };
    await upsertProductsFromSeed(db, seed);
    const before = await Promise.all(seed.products.map(async (p) => ({ row: await productRow(p.code), criteria: await criteriaRows(p.code) })));

    const report = await upsertProductsFromSeed(db, seed);

    expect(report).toEqual({ inserted: [], updated: [], unchanged: seed.products.map((p) => p.code) });
    const after = await Promise.all(seed.products.map(async (p) => ({ row: await productRow(p.code), criteria: await criteriaRows(p.code) })));
    expect(after).toEqual(before);
  });

  it('updates a changed product and replaces its criteria; leaves the others alone', async () => {
    const changed = uniqueCode('changed');
    const untouched = uniqueCode('untouched');
    const criteriaOnly = uniqueCode('criteria_only');
    await upsertProductsFromSeed(db, { products: [definition(changed), definition(untouched), definition(criteriaOnly)] });
    const untouchedBefore = await productRow(untouched);

    const report = await upsertProductsFromSeed(db, {
      products: [
        definition(changed, { price: 349.9, valuePropositions: ['Новое'], paymentLinks: { full: 'https://pay.example.com/y' }, urgencyLevel: 2, criteria: [{ question: 'q2', answer: 'start_investing', weight: 2, reason: 'Цель' }] }),
        definition(untouched),
        definition(criteriaOnly, { criteria: [...definition(criteriaOnly).criteria.slice(0, 2), { question: 'q1', answer: 'trading', weight: -3, reason: 'Слишком просто' }] }),
      ],
    });

    expect(report).toEqual({ inserted: [], updated: [changed, criteriaOnly], unchanged: [untouched] });
    expect(await productRow(changed)).toMatchObject({ price: '349.90', value_propositions: ['Новое'], payment_links: { full: 'https://pay.example.com/y' }, urgency_level: 2 });
    expect((await criteriaRows(changed)).map((c) => [c.question, c.answer, Number(c.weight), c.reason])).toEqual([['q2', 'start_investing', 2, 'Цель']]);
    expect((await criteriaRows(criteriaOnly)).map((c) => Number(c.weight))).toEqual([3, 1.5, -3]);
    expect(await productRow(untouched)).toEqual(untouchedBefore);
  });
});

describe('listActiveProducts', () => {
  it('excludes inactive products; deactivating through the seed withdraws one', async () => {
    const active = uniqueCode('active');
    const inactive = uniqueCode('inactive');
    await upsertProductsFromSeed(db, { products: [definition(active), definition(inactive, { active: false })] });
    let codes = (await listActiveProducts(db)).map((p) => p.code);
    expect(codes).toContain(active);
    expect(codes).not.toContain(inactive);

    await upsertProductsFromSeed(db, { products: [definition(active, { active: false })] });
    codes = (await listActiveProducts(db)).map((p) => p.code);
    expect(codes).not.toContain(active);
  });

  it('listCriteria of no products is empty', async () => {
    expect(await listCriteria(db, [])).toEqual([]);
  });
});

describe('recordMatch', () => {
  it('stores the best product, the top score and the top 3 with reasons and scores', async () => {
    const codes = [uniqueCode('m1'), uniqueCode('m2'), uniqueCode('m3'), uniqueCode('m4')];
    await upsertProductsFromSeed(db, {
      products: codes.map((code, i) =>
        definition(code, { criteria: [{ question: 'q1', answer: 'no_experience', weight: 4 - i, reason: `reason ${i}` }, { question: 'q2', answer: 'other', weight: 1 }] }),
      ),
    });
    const products = (await listActiveProducts(db)).filter((p) => codes.includes(p.code));
    const criteria = await listCriteria(db, products.map((p) => p.id));
    const result = matchProducts(products, criteria, { answers: { q1: 'no_experience' }, segment: 'cold', budgetLevel: 0, urgencyLevel: 0 });
    const leadId = await newLead();

    await recordMatch(db, { leadId, result });

    const rows = await db('product_matches').where({ lead_id: leadId });
    expect(rows).toHaveLength(1);
    const [m1, m2, m3] = products;
    expect(rows[0]).toMatchObject({ best_product_id: m1.id, score: '0.8000' });
    expect(rows[0].top).toEqual([
      { productId: m1.id, code: codes[0], name: 'Крипто-старт', score: 0.8, percent: 80, reasons: ['reason 0'] },
      { productId: m2.id, code: codes[1], name: 'Крипто-старт', score: 0.75, percent: 75, reasons: ['reason 1'] },
      { productId: m3.id, code: codes[2], name: 'Крипто-старт', score: expect.closeTo(2 / 3, 8), percent: 67, reasons: ['reason 2'] },
    ]);
  });

  it('without a best product stores null and the highest score; an idempotency key logs a retry once', async () => {
    const code = uniqueCode('weak');
    await upsertProductsFromSeed(db, { products: [definition(code)] });
    const products = (await listActiveProducts(db)).filter((p) => p.code === code);
    const result = matchProducts(products, await listCriteria(db, products.map((p) => p.id)), { answers: { q4: 'under_10' }, segment: null, budgetLevel: null, urgencyLevel: null });
    expect(result.best).toBeNull(); // 1.5 / 4.5
    const leadId = await newLead();

    await recordMatch(db, { leadId, result, idempotencyKey: `lead-${leadId}/match-1` });
    await recordMatch(db, { leadId, result, idempotencyKey: `lead-${leadId}/match-1` });

    const rows = await db('product_matches').where({ lead_id: leadId });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ best_product_id: null, score: '0.3333' });
    expect(rows[0].top).toHaveLength(1);
  });
});

describe('the shipped products file', () => {
  const seed = loadProductsFile(defaultProductsPath());
  const shippedCodes = new Set(seed.products.map((p) => p.code));

  /** Levels as the survey gives them: q4 and q3 points (docs/lead-journey.md#survey). */
  const cases: { name: string; lead: MatchingLead; expected: string | null }[] = [
    {
      name: 'a cold newbie gets the beginner course',
      lead: { answers: { q1: 'no_experience', q2: 'start_investing', q3: 'just_learning', q4: 'under_10', q5: 'not_ready' }, segment: 'cold', budgetLevel: 0, urgencyLevel: 0 },
      expected: 'crypto_start',
    },
    {
      name: 'a warm crypto holder saving a safety net gets the portfolio course',
      lead: { answers: { q1: 'crypto_long', q2: 'safety_net', q3: 'half_year', q4: 'hundred_to_five_hundred', q5: 'ready_to_learn' }, segment: 'warm', budgetLevel: 2, urgencyLevel: 1 },
      expected: 'investment_portfolio',
    },
    {
      name: 'a hot trader gets the mentoring programme',
      lead: { answers: { q1: 'trading', q2: 'passive_income', q3: 'one_month', q4: 'over_thousand', q5: 'ready_to_learn' }, segment: 'hot', budgetLevel: 3, urgencyLevel: 3 },
      expected: 'mentored_trading',
    },
    {
      name: 'an undecided depositor with no goal is offered a consultation, not a product',
      lead: { answers: { q1: 'bank_deposit', q2: 'no_goal', q3: 'one_year', q4: 'ten_to_hundred', q5: 'not_ready' }, segment: 'cold', budgetLevel: 1, urgencyLevel: 1 },
      expected: null,
    },
  ];

  it('loads: three products in USD with payment links, a Stars price and a landing page each', () => {
    expect(seed.products.map((p) => [p.code, p.price, p.currency])).toEqual([
      ['crypto_start', 290, 'USD'],
      ['investment_portfolio', 690, 'USD'],
      ['mentored_trading', 1490, 'USD'],
    ]);
    for (const p of seed.products) {
      expect(p.paymentLinks.full).toMatch(/^https:\/\/pay\.example\.com\//);
      expect(Number.isInteger(p.starsPrice)).toBe(true);
      expect(p.landingUrl).toMatch(/^https:\/\//);
    }
  });

  it.each(cases)('$name', async ({ lead, expected }) => {
    await upsertProductsFromSeed(db, seed);
    const products = (await listActiveProducts(db)).filter((p) => shippedCodes.has(p.code));
    const result = matchProducts(products, await listCriteria(db, products.map((p) => p.id)), lead);
    expect(result.best?.product.code ?? null).toBe(expected);
    if (expected) expect(result.best!.reasons.length).toBeGreaterThan(0);
    expect(result.top).toHaveLength(3);
  });

  it('a cold newbie is never matched to the mentoring programme, whatever they want in q2 and q3', async () => {
    await upsertProductsFromSeed(db, seed);
    const products = (await listActiveProducts(db)).filter((p) => shippedCodes.has(p.code));
    const criteria = await listCriteria(db, products.map((p) => p.id));
    for (const q2 of ['passive_income', 'safety_net', 'close_debts', 'start_investing', 'no_goal']) {
      for (const q3 of ['one_month', 'three_months', 'half_year', 'one_year', 'just_learning']) {
        const lead: MatchingLead = { answers: { q1: 'no_experience', q2, q3, q4: 'under_10', q5: 'not_ready' }, segment: 'cold', budgetLevel: 0, urgencyLevel: null };
        expect([undefined, 'crypto_start']).toContain(matchProducts(products, criteria, lead).best?.product.code);
      }
    }
  });
});

describe('loadProductsFile', () => {
  const original = readFileSync(defaultProductsPath(), 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'products-'));
  const lineOf = (source: string, needle: string) => source.slice(0, source.indexOf(needle)).split('\n').length;

  function problemsOf(source: string): ScenarioError['problems'] {
    const path = join(dir, `variant-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(path, source);
    try {
      loadProductsFile(path);
    } catch (error) {
      if (error instanceof ScenarioError) return error.problems;
      throw error;
    }
    return [];
  }

  it('a bad value is reported at its line', () => {
    const broken = original.replace('price: 690', 'price: -690');
    const [problem] = problemsOf(broken);
    expect(problem.message).toMatch(/^products\.1\.price: /);
    expect(problem.line).toBe(lineOf(broken, 'price: -690'));
  });

  it('a plain-http payment link, a duplicate code and a duplicate criterion are caught', () => {
    expect(problemsOf(original.replace('full: https://pay.example.com/crypto-start/full', 'full: http://pay.example.com/crypto-start/full'))[0].message).toMatch(/payment_links\.full/);
    const duplicateCode = original.replace('code: investment_portfolio', 'code: crypto_start');
    const [dup] = problemsOf(duplicateCode);
    expect(dup.message).toBe('products.1.code: duplicate product code "crypto_start"');
    expect(dup.line).toBe(lineOf(duplicateCode, 'code: crypto_start\n    name: Инвестиционный'));
    const duplicateCriterion = original.replace('answer: bank_deposit, weight: 2', 'answer: no_experience, weight: 2');
    expect(problemsOf(duplicateCriterion)[0].message).toBe('products.0.criteria.1: duplicate criterion q1: no_experience');
  });

  it('the error message lists every problem as file:line:column', () => {
    const path = join(dir, 'two-problems.yaml');
    writeFileSync(path, original.replace('currency: USD', 'currency: usd').replace('budget_level: 3', 'budget_level: 7'));
    expect(() => loadProductsFile(path)).toThrow(/two-problems\.yaml:\d+:\d+: products\.0\.currency: .*\n.*two-problems\.yaml:\d+:\d+: products\.2\.budget_level: /);
  });
});

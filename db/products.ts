import type { Knex } from 'knex';
import type { Criterion, MatchResult, Product, ProductDefinition, ProductSeed, Segment } from '../domain/product-matching';

export interface ProductRow {
  id: number;
  code: string;
  name: string;
  description: string;
  /** numeric: pg returns it as a string. */
  price: string;
  currency: string;
  value_propositions: string[];
  target_segments: Segment[];
  payment_links: { full?: string; instalment?: string };
  stars_price: number | null;
  landing_url: string | null;
  media_url: string | null;
  budget_level: number;
  urgency_level: number;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface CriterionRow {
  id: number;
  product_id: number;
  question: string;
  answer: string;
  /** numeric: pg returns it as a string. */
  weight: string;
  reason: string | null;
}

/** What a seed upsert did, by product code. */
export interface SeedReport {
  inserted: string[];
  updated: string[];
  unchanged: string[];
}

export async function listActiveProducts(db: Knex): Promise<Product[]> {
  const rows = await db<ProductRow>('products').where({ active: true }).orderBy('id');
  return rows.map(toProduct);
}

export async function listCriteria(db: Knex, productIds: readonly number[]): Promise<Criterion[]> {
  if (productIds.length === 0) return [];
  const rows = await db<CriterionRow>('product_criteria').whereIn('product_id', [...productIds]).orderBy(['product_id', 'id']);
  return rows.map(toCriterion);
}

/**
 * Makes the catalogue match the seed file, product by product (by code): a new code is inserted,
 * a changed product is updated and its criteria replaced, an unchanged one is not touched (its
 * updated_at stays), so running it at every start is harmless. A product missing from the file
 * is left as it is: editors withdraw a product with `active: false`, and past matches keep it.
 */
export async function upsertProductsFromSeed(db: Knex, seed: ProductSeed): Promise<SeedReport> {
  return db.transaction(async (trx) => {
    // Two processes starting together would otherwise both insert the same new code.
    await trx.raw(`select pg_advisory_xact_lock(hashtext('products_seed'))`);
    const report: SeedReport = { inserted: [], updated: [], unchanged: [] };
    for (const definition of seed.products) {
      const existing = await trx<ProductRow>('products').where({ code: definition.code }).first();
      if (!existing) {
        const [row] = await trx('products').insert(toRow(definition)).returning('id');
        await insertCriteria(trx, Number(row.id), definition);
        report.inserted.push(definition.code);
        continue;
      }
      const id = Number(existing.id);
      const criteria = await listCriteria(trx, [id]);
      const productChanged = canonicalProduct(toProduct(existing)) !== canonicalProduct(definition);
      const criteriaChanged = canonicalCriteria(criteria) !== canonicalCriteria(definition.criteria);
      if (!productChanged && !criteriaChanged) {
        report.unchanged.push(definition.code);
        continue;
      }
      await trx('products').where({ id }).update({ ...toRow(definition), updated_at: trx.fn.now() });
      if (criteriaChanged) {
        await trx('product_criteria').where({ product_id: id }).delete();
        await insertCriteria(trx, id, definition);
      }
      report.updated.push(definition.code);
    }
    return report;
  });
}

/**
 * Logs a match with its top 3, scores and reasons. With an idempotency key (derived from the
 * workflow), a retried activity logs it once.
 */
export async function recordMatch(
  db: Knex,
  match: { leadId: number; result: MatchResult; idempotencyKey?: string },
): Promise<void> {
  const { best, top } = match.result;
  const query = db('product_matches').insert({
    lead_id: match.leadId,
    best_product_id: best?.product.id ?? null,
    score: top[0]?.score ?? 0,
    top: JSON.stringify(
      top.map((m) => ({
        productId: m.product.id,
        code: m.product.code,
        name: m.product.name,
        score: m.score,
        percent: m.percent,
        reasons: m.reasons,
      })),
    ),
    idempotency_key: match.idempotencyKey ?? null,
  });
  await (match.idempotencyKey ? query.onConflict('idempotency_key').ignore() : query);
}

/** A products row as the domain reads it (numeric columns as numbers, absent options left out). */
export function productRowToProduct(row: ProductRow): Product {
  return toProduct(row);
}

function toProduct(row: ProductRow): Product {
  return {
    id: Number(row.id),
    code: row.code,
    name: row.name,
    description: row.description,
    price: Number(row.price),
    currency: row.currency,
    valuePropositions: row.value_propositions,
    targetSegments: row.target_segments,
    paymentLinks: pickLinks(row.payment_links),
    ...(row.stars_price !== null && { starsPrice: row.stars_price }),
    ...(row.landing_url !== null && { landingUrl: row.landing_url }),
    ...(row.media_url !== null && { mediaUrl: row.media_url }),
    active: row.active,
    budgetLevel: row.budget_level,
    urgencyLevel: row.urgency_level,
  };
}

function toCriterion(row: CriterionRow): Criterion {
  return {
    productId: Number(row.product_id),
    question: row.question,
    answer: row.answer,
    weight: Number(row.weight),
    ...(row.reason !== null && { reason: row.reason }),
  };
}

/** The columns of a products row for a definition (insert or update). */
export function productToRow(definition: ProductDefinition) {
  return toRow(definition);
}

function toRow(definition: ProductDefinition) {
  return {
    code: definition.code,
    name: definition.name,
    description: definition.description,
    price: definition.price,
    currency: definition.currency,
    // jsonb through knex: arrays must be passed as JSON text, or pg sends them as Postgres arrays.
    value_propositions: JSON.stringify(definition.valuePropositions),
    target_segments: JSON.stringify(definition.targetSegments),
    payment_links: JSON.stringify(pickLinks(definition.paymentLinks)),
    stars_price: definition.starsPrice ?? null,
    landing_url: definition.landingUrl ?? null,
    media_url: definition.mediaUrl ?? null,
    budget_level: definition.budgetLevel,
    urgency_level: definition.urgencyLevel,
    active: definition.active,
  };
}

async function insertCriteria(trx: Knex.Transaction, productId: number, definition: ProductDefinition): Promise<void> {
  if (definition.criteria.length === 0) return;
  await trx('product_criteria').insert(
    definition.criteria.map((c) => ({
      product_id: productId,
      question: c.question,
      answer: c.answer,
      weight: c.weight,
      reason: c.reason ?? null,
    })),
  );
}

/** Only the known payment types, in a fixed key order, without empty ones. */
function pickLinks(links: { full?: string; instalment?: string }): { full?: string; instalment?: string } {
  return { ...(links.full && { full: links.full }), ...(links.instalment && { instalment: links.instalment }) };
}

/** Everything an editor controls, in a fixed order, so equal products compare equal as text. */
function canonicalProduct(product: Omit<Product, 'id'>): string {
  return JSON.stringify([
    product.code,
    product.name,
    product.description,
    product.price,
    product.currency,
    product.valuePropositions,
    product.targetSegments,
    pickLinks(product.paymentLinks),
    product.starsPrice ?? null,
    product.landingUrl ?? null,
    product.mediaUrl ?? null,
    product.budgetLevel,
    product.urgencyLevel,
    product.active,
  ]);
}

function canonicalCriteria(criteria: readonly Omit<Criterion, 'productId'>[]): string {
  return JSON.stringify(
    criteria
      .map((c) => [c.question, c.answer, c.weight, c.reason ?? null])
      .sort((a, b) => (JSON.stringify(a.slice(0, 2)) < JSON.stringify(b.slice(0, 2)) ? -1 : 1)),
  );
}

export async function findProductByCode(db: Knex, code: string): Promise<Product | undefined> {
  const row = await db<ProductRow>('products').where({ code }).first();
  return row && toProduct(row);
}

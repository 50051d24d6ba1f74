import type { Knex } from 'knex';
import { changedFields, type ProductDraft } from '../domain/staff/product-draft';
import { listCriteria, productRowToProduct, productToRow, type ProductRow } from './products';

/** Another product already uses the code the draft asks for. */
export class ProductCodeTakenError extends Error {
  constructor(readonly code: string) {
    super(`product code "${code}" is already used by another product`);
    this.name = 'ProductCodeTakenError';
  }
}

/** The product disappeared while it was being edited. */
export class ProductGoneError extends Error {
  constructor(readonly productId: number) {
    super(`product ${productId} no longer exists`);
    this.name = 'ProductGoneError';
  }
}

/** A product with its criteria, as the editor starts from it; undefined when there is no such product. */
export async function productDraftOf(db: Knex, productId: number): Promise<ProductDraft | undefined> {
  const row = await db<ProductRow>('products').where({ id: productId }).first();
  if (!row) return undefined;
  const { id: _id, ...product } = productRowToProduct(row);
  const criteria = (await listCriteria(db, [productId])).map(({ productId: _p, ...c }) => c);
  return { ...product, criteria };
}

/** Products for the panel's list, by code. */
export async function listProductsForPanel(db: Knex): Promise<{ id: number; code: string; name: string; price: number; currency: string; active: boolean }[]> {
  const rows = await db('products').orderBy('code').select('id', 'code', 'name', 'price', 'currency', 'active');
  return rows.map((r) => ({ ...r, id: Number(r.id), price: Number(r.price) }));
}

/** The draft equals the product as it stands: nothing to publish. */
export class ProductUnchangedError extends Error {
  constructor(readonly productId: number) {
    super(`product ${productId} already looks like this draft`);
    this.name = 'ProductUnchangedError';
  }
}

/** Someone published the product after this draft was opened: publishing would silently undo their change. */
export class ProductChangedMeanwhileError extends Error {
  constructor(
    readonly productId: number,
    readonly current: ProductDraft,
    readonly fields: string[],
  ) {
    super(`product ${productId} changed since the draft was opened: ${fields.join(', ')}`);
    this.name = 'ProductChangedMeanwhileError';
  }
}

/**
 * Publishes a draft: inserts a new product (productId null) or replaces an existing one and its
 * criteria, in one transaction, so leads never see a product with half of its criteria. Returns
 * the product's id and the product as this publish found it (null for a new one), read under a
 * row lock, so of two admins editing one product the second is told instead of undoing the first.
 */
export async function saveProductDraft(
  db: Knex,
  productId: number | null,
  draft: ProductDraft,
  /** The product as the draft started from it: if it changed since, the publish is refused. */
  expected: ProductDraft | null,
): Promise<{ productId: number; before: ProductDraft | null }> {
  return db.transaction(async (trx) => {
    const clash = await trx('products').where({ code: draft.code }).modify((q) => productId !== null && q.whereNot({ id: productId })).first('id');
    if (clash) throw new ProductCodeTakenError(draft.code);
    if (productId === null) {
      const [row] = await trx('products').insert(productToRow(draft)).returning('id');
      await insertCriteria(trx, Number(row.id), draft);
      return { productId: Number(row.id), before: null };
    }
    const locked = await trx('products').where({ id: productId }).forUpdate().first('id');
    if (!locked) throw new ProductGoneError(productId);
    const before = (await productDraftOf(trx, productId)) as ProductDraft;
    const meanwhile = changedFields(expected, before);
    if (meanwhile.length > 0) throw new ProductChangedMeanwhileError(productId, before, meanwhile);
    if (changedFields(before, draft).length === 0) throw new ProductUnchangedError(productId);
    await trx('products').where({ id: productId }).update({ ...productToRow(draft), updated_at: trx.fn.now() });
    await trx('product_criteria').where({ product_id: productId }).delete();
    await insertCriteria(trx, productId, draft);
    return { productId, before };
  });
}

async function insertCriteria(trx: Knex.Transaction, productId: number, draft: ProductDraft): Promise<void> {
  if (draft.criteria.length === 0) return;
  await trx('product_criteria').insert(draft.criteria.map((c) => ({ product_id: productId, question: c.question, answer: c.answer, weight: c.weight, reason: c.reason ?? null })));
}

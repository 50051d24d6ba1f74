import type { Knex } from 'knex';
import type { ProductDraft } from '../domain/product-draft';
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

/**
 * Publishes a draft: inserts a new product (productId null) or replaces an existing one and its
 * criteria, in one transaction, so leads never see a product with half of its criteria. Returns
 * the product's id.
 */
export async function saveProductDraft(db: Knex, productId: number | null, draft: ProductDraft): Promise<number> {
  return db.transaction(async (trx) => {
    const clash = await trx('products').where({ code: draft.code }).modify((q) => productId !== null && q.whereNot({ id: productId })).first('id');
    if (clash) throw new ProductCodeTakenError(draft.code);
    let id = productId;
    if (id === null) {
      const [row] = await trx('products').insert(productToRow(draft)).returning('id');
      id = Number(row.id);
    } else {
      const updated = await trx('products').where({ id }).update({ ...productToRow(draft), updated_at: trx.fn.now() });
      if (updated === 0) throw new ProductGoneError(id);
      await trx('product_criteria').where({ product_id: id }).delete();
    }
    if (draft.criteria.length > 0) {
      await trx('product_criteria').insert(draft.criteria.map((c) => ({ product_id: id, question: c.question, answer: c.answer, weight: c.weight, reason: c.reason ?? null })));
    }
    return id;
  });
}

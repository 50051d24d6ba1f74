import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { defaultKnowledgePath, loadKnowledgeFile } from '../scenarios/knowledge-loader';
import { SCENARIOS_DIR } from '../scenarios/loader';
import { defaultProductsPath, loadProductsFile } from '../scenarios/products-loader';
import { importKnowledge } from './knowledge-import';
import { parseMaterialsFile, syncMaterials } from './materials-import';
import { upsertProductsFromSeed } from './products';

export const DEFAULT_MATERIALS_FILE = join(SCENARIOS_DIR, 'default', 'materials.csv');

/**
 * Fills an empty catalogue from the scenario folder on the first start. Only when empty: after
 * that, products, materials and the knowledge base belong to editors (and the importers), not to a restart.
 */
export async function seedCatalogue(db: Knex): Promise<{ products: boolean; materials: boolean; knowledge: boolean }> {
  const [{ count: products }] = await db('products').count<{ count: string }[]>({ count: '*' });
  const [{ count: materials }] = await db('materials').count<{ count: string }[]>({ count: '*' });
  const [{ count: knowledge }] = await db('knowledge_entries').count<{ count: string }[]>({ count: '*' });
  const seeded = { products: false, materials: false, knowledge: false };
  if (Number(products) === 0) {
    await upsertProductsFromSeed(db, loadProductsFile(defaultProductsPath()));
    seeded.products = true;
  }
  if (Number(materials) === 0) {
    const { rows, errors } = parseMaterialsFile('materials.csv', readFileSync(DEFAULT_MATERIALS_FILE, 'utf8'));
    await syncMaterials(db, rows, { source: 'scenarios/default/materials.csv', errors });
    seeded.materials = true;
  }
  if (Number(knowledge) === 0) {
    for (const language of ['ru', 'en'] as const) {
      const rows = loadKnowledgeFile(defaultKnowledgePath(language)).map((row) => ({ ...row, language }));
      await importKnowledge(db, rows, { source: 'seed' });
    }
    seeded.knowledge = true;
  }
  return seeded;
}

import { join } from 'node:path';
import type { ProductSeed } from '../domain/product-matching';
import { SCENARIOS_DIR } from './loader';
import { productsFileSchema } from './products-schema';
import { readCheckedYaml, type Finding } from './yaml-file';

/** The shipped catalogue. */
export function defaultProductsPath(): string {
  return join(SCENARIOS_DIR, 'default', 'products.yaml');
}

/**
 * Reads, validates and checks a products file. Problems are reported like scenario files'
 * (a ScenarioError listing file:line:column for each), so editors meet one kind of message.
 */
export function loadProductsFile(path: string): ProductSeed {
  return readCheckedYaml(path, productsFileSchema, (seed) => ({ value: seed, findings: checkProductSeed(seed) }));
}

/**
 * Rules a valid shape can still break: a code used twice (the upsert keys on it), a criterion
 * listed twice, an active product that can only ever score 0.
 */
export function checkProductSeed(seed: ProductSeed): Finding[] {
  const findings: Finding[] = [];
  const codes = new Set<string>();
  seed.products.forEach((product, p) => {
    if (codes.has(product.code)) findings.push({ path: ['products', p, 'code'], message: `duplicate product code "${product.code}"` });
    codes.add(product.code);
    const pairs = new Set<string>();
    product.criteria.forEach((criterion, c) => {
      const pair = `${criterion.question}=${criterion.answer}`;
      if (pairs.has(pair)) findings.push({ path: ['products', p, 'criteria', c], message: `duplicate criterion ${criterion.question}: ${criterion.answer}` });
      pairs.add(pair);
    });
    if (product.active && !product.criteria.some((criterion) => criterion.weight > 0)) {
      findings.push({ path: ['products', p, 'criteria'], message: 'no positive weight: the product would always score 0' });
    }
  });
  return findings;
}

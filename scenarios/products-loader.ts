import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { ProductSeed } from '../domain/product-matching';
import { SCENARIOS_DIR, ScenarioError, type ScenarioProblem } from './loader';
import { productsFileSchema } from './products-schema';

/** The shipped catalogue. */
export function defaultProductsPath(): string {
  return join(SCENARIOS_DIR, 'default', 'products.yaml');
}

/**
 * Reads, validates and checks a products file. Problems are reported like scenario files'
 * (a ScenarioError listing file:line:column for each), so editors meet one kind of message.
 */
export function loadProductsFile(path: string): ProductSeed {
  const file = relative(process.cwd(), path) || path;
  const source = readFileSync(path, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const locate = (at: ReadonlyArray<PropertyKey>, message: string): ScenarioProblem => {
    const { line, col } = lineCounter.linePos(offsetOf(doc, at));
    return { file, line, column: col, message: at.length ? `${at.join('.')}: ${message}` : message };
  };
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { file, line, column: col, message: error.message.split('\n')[0] };
      }),
    );
  }
  const parsed = productsFileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    throw new ScenarioError(parsed.error.issues.map((issue) => locate(issue.path, issue.message)));
  }
  const problems = checkProductSeed(parsed.data).map((p) => locate(p.path, p.message));
  if (problems.length > 0) throw new ScenarioError(problems);
  return parsed.data;
}

interface Finding {
  path: (string | number)[];
  message: string;
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

/** The start offset of the deepest node that exists along the path (a missing key points at its parent). */
function offsetOf(doc: Document, path: ReadonlyArray<PropertyKey>): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return 0;
}

import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import pino from 'pino';
import { buildApi, type ApiDeps } from '../../api/app';
import { createMetrics } from '../../api/metrics';
import type { PaymentNoticeDeps } from '../../api/payments/payment-notice';
import type { LeadHarness } from './lead-harness';
import { PaymentTestKit } from './payments';

export const RUB_PRODUCT = 'rub_course';
export const RUB_PRICE = 4900;
/** The same product without payment links of its own: a provider's API makes its pages. */
export const RUB_PRODUCT_WITHOUT_LINKS = 'rub_course_no_links';

/**
 * A product priced in roubles (what the Russian providers take): crypto_start's copy at 4 900 RUB,
 * with the same payment links. Made once per database, active only while a file uses it (`retireRubProducts`).
 */
export async function ensureRubProduct(db: Knex): Promise<void> {
  const columns: string[] = (await db('information_schema.columns').where({ table_name: 'products', table_schema: 'public' }).pluck('column_name')).filter(
    (column: string) => !['id', 'code', 'currency', 'price', 'created_at', 'updated_at'].includes(column),
  );
  const list = columns.map((column) => `"${column}"`).join(', ');
  await db.raw(
    `insert into products (code, currency, price, ${list}) select ?, 'RUB', ?, ${list} from products where code = 'crypto_start' on conflict (code) do nothing`,
    [RUB_PRODUCT, RUB_PRICE],
  );
  await db.raw(
    `insert into products (code, currency, price, ${list}) select ?, 'RUB', ?, ${list} from products where code = 'crypto_start' on conflict (code) do nothing`,
    [RUB_PRODUCT_WITHOUT_LINKS, RUB_PRICE],
  );
  await db('products').where({ code: RUB_PRODUCT_WITHOUT_LINKS }).update({ payment_links: JSON.stringify({}) });
  await db('products').whereIn('code', [RUB_PRODUCT, RUB_PRODUCT_WITHOUT_LINKS]).update({ active: true });
}

/** Off the catalogue again after the file: no other test's lead is matched to a product it does not know. */
export async function retireRubProducts(db: Knex): Promise<void> {
  await db('products').whereIn('code', [RUB_PRODUCT, RUB_PRODUCT_WITHOUT_LINKS]).update({ active: false });
}

/** The api with provider adapters on this test's payments; `notices` picks the workflows (default: the test's own). */
export function providerApi(
  payments: PaymentTestKit,
  adapters: (notices: PaymentNoticeDeps) => Pick<ApiDeps, 'cloudPayments' | 'prodamus' | 'yooKassa' | 'trustProxy'>,
  workflows = payments.workflows(),
): FastifyInstance {
  const notices: PaymentNoticeDeps = { db: payments.db, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), workflows };
  return buildApi({
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    metrics: createMetrics(),
    health: { postgres: async () => {}, temporal: async () => {} },
    ...adapters(notices),
  });
}

/** Rows of `payment_webhooks` for an order: outcome and payment id, oldest first. */
export async function webhookOutcomes(db: Knex, orderId: number): Promise<[string, string | null][]> {
  const rows = await db('payment_webhooks').where({ order_id: orderId }).orderBy('id');
  return rows.map((row) => [row.outcome, row.provider_event_id]);
}

export async function webhookRowCount(db: Knex): Promise<number> {
  const [{ count }] = await db('payment_webhooks').count<{ count: string }[]>('* as count');
  return Number(count);
}

/**
 * The hooks every provider's test file needs: the rouble products for the file, a fresh api per test
 * (the workflows it signals live on that test's task queue), and everything put back after.
 */
export function useProviderApi(h: LeadHarness, routes: (notices: PaymentNoticeDeps) => Partial<ApiDeps>): { payments: PaymentTestKit; api: FastifyInstance } {
  const kit = {} as { payments: PaymentTestKit; api: FastifyInstance };
  beforeAll(async () => {
    kit.payments = new PaymentTestKit(h);
    await ensureRubProduct(kit.payments.db);
  });
  beforeEach(() => {
    kit.api = providerApi(kit.payments, routes);
  });
  afterEach(async () => {
    await kit.api.close();
    await kit.payments.end();
  });
  afterAll(async () => {
    await retireRubProducts(kit.payments.db);
    await kit.payments.close();
  });
  return kit;
}

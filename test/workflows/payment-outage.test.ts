import knex from 'knex';
import type { Db } from '../../db/knex';
import { knexConfig } from '../../knexfile';
import { MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { TEST_DATABASE_URL } from '../support/paths';
import { PaymentTestKit } from '../support/payments';
import { PostgresProxy } from '../support/postgres-proxy';

const h = useLeadHarness();
let payments: PaymentTestKit;
let proxy: PostgresProxy;
/** The worker's (the app's) database connection, through the proxy; the test reads Postgres directly. */
let appDb: Db;

beforeAll(async () => {
  payments = new PaymentTestKit(h);
  proxy = await PostgresProxy.start(TEST_DATABASE_URL);
  // Knex would print every refused connection; the proxy counts them instead.
  const quiet = { warn() {}, error() {}, debug() {}, deprecate() {} };
  appDb = knex({ ...knexConfig(proxy.urlFor(TEST_DATABASE_URL)), log: quiet });
});
afterEach(() => payments.end());
afterAll(async () => {
  await appDb.destroy();
  await proxy.stop();
  await payments.close();
});

const MINUTE = 60_000;
/** More connection attempts than the 20 activity attempts the workflow used to allow. */
const REFUSED_ATTEMPTS = 25;

describe('payment workflow while Postgres is unreachable', () => {
  it('money arrives, Postgres is gone for over 15 minutes: fulfilment waits for it and happens exactly once', async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'link' });
    await (await h.worker({ db: appDb })).runUntil(async () => {
      const handle = await payments.start(input);
      await payments.untilStatus(input.orderId, 'sent');

      proxy.cut();
      const cutAt = await h.env.currentTimeMs();
      expect(await payments.workflows().paid(input.orderId, { via: 'webhook', amount: 290, currency: 'USD', providerPayload: { payment_id: 'p-outage' } })).toBe(true);
      // Waiting on the result lets the server skip time: each retry's backoff passes in skipped time,
      // each attempt really runs (and is refused by the proxy).
      let ended = false;
      const outcome = payments.result(handle).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      void outcome.then(() => {
        ended = true;
        proxy.poke();
      });
      await proxy.untilRefused(REFUSED_ATTEMPTS, () => ended);
      const outageMs = (await h.env.currentTimeMs()) - cutAt;
      expect(ended).toBe(false); // still waiting for Postgres, not given up
      proxy.restore();
      expect(await outcome).toEqual({ value: { orderId: input.orderId, status: 'paid' } });
      expect(outageMs).toBeGreaterThanOrEqual(15 * MINUTE);
    });
    expect(h.texts(lead).filter((t) => t.includes('Оплата получена'))).toHaveLength(1);
    expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'paid', paid_via: 'webhook' });
    expect((await payments.db('leads').where({ id: lead.leadId }).first()).mode).toBe('customer');
    expect(await payments.db('events').where({ lead_id: lead.leadId, type: 'became_customer' })).toHaveLength(1);
    const paidNotices = h.fake.callsTo('sendMessage', MANAGERS_CHAT).filter((c) => String(c.params.text).includes(`Оплачен заказ №${input.orderId}:`));
    expect(paidNotices).toHaveLength(1);
  });

  it("a manager's confirm during the outage answers in_progress instead of holding the bot; the order is fulfilled once Postgres is back", async () => {
    const lead = await payments.lead();
    const input = await payments.order({ telegramUserId: lead.id, productCode: 'crypto_start', type: 'full', method: 'link' });
    await (await h.worker({ db: appDb })).runUntil(async () => {
      const handle = await payments.start(input);
      await payments.untilStatus(input.orderId, 'sent');
      proxy.cut();
      const answer = payments.workflows().confirm(input.orderId, 777);
      // Waiting on the result lets the server skip time past the update's bound.
      const outcome = payments.result(handle).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      expect(await answer).toEqual({ outcome: 'in_progress' });
      proxy.restore();
      expect(await outcome).toEqual({ value: { orderId: input.orderId, status: 'paid' } });
    });
    expect(h.texts(lead).filter((t) => t.includes('Оплата получена'))).toHaveLength(1);
    expect(await payments.orderRow(input.orderId)).toMatchObject({ status: 'paid', paid_via: 'manager' });
  });
});

import type { Update } from 'grammy/types';
import pino from 'pino';
import { createBot } from '../../../bot/bot';
import { setStaffRole } from '../../../db/staff';
import { uniqueUserId } from '../../support/db';
import { Gate, thenRelease } from '../../support/activity-gate';
import { TEST_TOKEN, useLeadHarness } from '../../support/lead-harness';
import { PaymentTestKit } from '../../support/payments';
import { testWorker } from '../../support/temporal';
import { textUpdate } from '../../support/updates';

/**
 * A manager's payment command while the order is closing. A file of its own: its time-skipping server
 * must hold no workflow of another test (one left with work for a stopped worker stops time skipping).
 */
const h = useLeadHarness();
let payments: PaymentTestKit;
const owner = uniqueUserId();
const manager = uniqueUserId();

beforeAll(async () => {
  payments = new PaymentTestKit(h);
  await setStaffRole(payments.db, manager, 'manager', owner);
});
afterEach(() => payments.end());
afterAll(() => payments.close());

/** A command from a staff member in a private chat, through a fresh bot; returns the bot's reply. */
async function command(from: number, text: string): Promise<string> {
  const bot = createBot({
    token: TEST_TOKEN,
    apiRoot: h.fake.apiRoot,
    logger: pino({ level: 'silent' }),
    conversations: { deliver: async () => {} },
    payments: { db: payments.db, owners: [owner], logger: pino({ level: 'silent' }), workflows: payments.workflows() },
  });
  await bot.init();
  await bot.handleUpdate(textUpdate({ id: from, first_name: 'Staff' }, text) as unknown as Update);
  return String(h.fake.callsTo('sendMessage', from).at(-1)?.params.text);
}

describe('payment commands while an order is closing', () => {
  it('while an order expires, /order_confirm and /order_cancel answer at once that it is closed (the bot is not held up)', async () => {
    const input = await payments.order({ telegramUserId: (await payments.lead()).id, productCode: 'crypto_start', type: 'full', method: 'link' });
    const closing = new Gate();
    const activities = h.activities();
    const worker = await testWorker(h.env, h.taskQueue, { ...activities, closeOrder: closing.wrap(activities.closeOrder) });
    await worker.runUntil(
      thenRelease(closing, async () => {
        const handle = await payments.start({ ...input, timing: { reminderAfterMs: [], expireAfterMs: 3_600_000 } });
        await payments.untilStatus(input.orderId, 'sent');
        await h.env.sleep(3_600_000);
        await closing.entered; // expiring: Postgres still says `sent`
        expect(await command(manager, `/order_confirm ${input.orderId}`)).toBe(`Заказ №${input.orderId} уже закрыт (expired) — ничего не изменено.`);
        expect(await command(manager, `/order_cancel ${input.orderId}`)).toBe(`Заказ №${input.orderId} уже закрыт (expired) — ничего не изменено.`);
        closing.release();
        expect(await payments.result(handle)).toEqual({ orderId: input.orderId, status: 'expired' });
      }),
    );
    expect((await payments.orderRow(input.orderId)).paid_at).toBeNull();
  });
});

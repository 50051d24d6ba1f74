import type { Client } from '@temporalio/client';
import pino from 'pino';
import { createBot } from '../../bot/bot';
import { LeadConversations } from '../../bot/leads/lead-conversations';
import { startLongPolling, type LongPolling } from '../../bot/long-polling';
import { PaymentWorkflows } from '../../bot/payments/payment-workflows';
import { setStaffRole } from '../../db/staff';
import type { InboundEvent } from '../../domain/inbound-event';
import type { ManagerActionResult } from '../../workflows/payment/contract';
import { leadWorkflowId } from '../../workflows/lead-conversation/contract';
import { uniqueUserId } from '../support/db';
import { TEST_TOKEN, useLeadHarness } from '../support/lead-harness';
import { PaymentTestKit } from '../support/payments';

const h = useLeadHarness();
const logger = pino({ level: 'silent' });
const allowedUpdates = ['message', 'callback_query', 'pre_checkout_query'] as const;
let payments: PaymentTestKit;
let polling: LongPolling | undefined;

beforeAll(() => {
  payments = new PaymentTestKit(h);
});
afterEach(async () => {
  await polling?.stop();
  polling = undefined;
});
afterAll(() => payments.close());

/** The real Temporal client, unreachable while `down` holds: signalWithStart fails like a lost connection. */
function flakyTemporal(real: Client) {
  const state = { down: true, attempts: 0 };
  const workflow = new Proxy(real.workflow, {
    get(target, key, receiver) {
      if (key !== 'signalWithStart') return Reflect.get(target, key, receiver);
      return (...args: Parameters<Client['workflow']['signalWithStart']>) => {
        state.attempts += 1;
        if (state.down) return Promise.reject(new Error('14 UNAVAILABLE: No connection established'));
        return target.signalWithStart(...args);
      };
    },
  });
  return { client: { workflow } as unknown as Client, state };
}

async function startBot(conversations: Pick<LeadConversations, 'deliver'>, extra: Partial<Parameters<typeof createBot>[0]> = {}, onStop?: () => void): Promise<LongPolling> {
  const bot = createBot({ token: TEST_TOKEN, apiRoot: h.fake.apiRoot, conversations, logger, ...extra });
  await bot.init();
  polling = startLongPolling(bot, { allowedUpdates, logger, onStop });
  return polling;
}

async function conversationStarted(telegramUserId: number): Promise<boolean> {
  try {
    await h.env.client.workflow.getHandle(leadWorkflowId(telegramUserId)).describe();
    return true;
  } catch {
    return false;
  }
}

describe('long polling', () => {
  it('an update Temporal did not take before shutdown is not confirmed: the next start hands it to the conversation', async () => {
    const lead = h.newLead();
    const temporal = flakyTemporal(h.env.client);
    const first = new LeadConversations(temporal.client, h.taskQueue, logger, { deadlineMs: Number.POSITIVE_INFINITY });
    let settled = 0; // the first process's hand-over has given up (a process about to exit)
    const running = await startBot({ deliver: (event) => first.deliver(event).finally(() => void (settled += 1)) }, {}, () => first.close());
    h.fake.pushText(lead, 'Здравствуйте, сколько стоит курс?');
    await h.fake.waitFor(() => temporal.state.attempts >= 1);
    await running.stop(); // the shutdown while Temporal is unreachable
    polling = undefined;
    await h.fake.waitFor(() => settled === 1);
    expect(await conversationStarted(lead.id)).toBe(false);

    temporal.state.down = false;
    const second = new LeadConversations(temporal.client, h.taskQueue, logger, { deadlineMs: Number.POSITIVE_INFINITY });
    await startBot(second, {}, () => second.close());
    for (const started = Date.now(); !(await conversationStarted(lead.id)); await new Promise((resolve) => setTimeout(resolve, 50))) {
      if (Date.now() - started > 10_000) throw new Error('the update held at shutdown never reached the lead conversation');
    }
  });

  it("a slow staff action (a confirm waiting for fulfilment) does not hold up a lead's messages; each chat keeps its order", async () => {
    const owner = uniqueUserId();
    const manager = uniqueUserId();
    await setStaffRole(payments.db, manager, 'manager', owner);
    const buyer = await payments.lead();
    const order = await payments.order({ telegramUserId: buyer.id, productCode: 'crypto_start', type: 'full', method: 'link' });
    let fulfil!: (result: ManagerActionResult) => void;
    const fulfilled = new Promise<ManagerActionResult>((resolve) => (fulfil = resolve));
    class SlowConfirm extends PaymentWorkflows {
      override confirm(): Promise<ManagerActionResult | null> {
        return fulfilled;
      }
    }
    const delivered: InboundEvent[] = [];
    await startBot(
      { deliver: async (event) => void delivered.push(event) },
      { payments: { db: payments.db, owners: [owner], logger, workflows: new SlowConfirm(h.env.client, h.taskQueue) } },
    );

    h.fake.pushText({ id: manager, first_name: 'Менеджер' }, `/order_confirm ${order.orderId}`);
    const lead = h.newLead();
    h.fake.pushText(lead, 'Первое');
    h.fake.pushText(lead, 'Второе');
    await h.fake.waitFor(() => delivered.length >= 2);
    expect(delivered.map((e) => (e.kind === 'text' ? e.text : e.kind))).toEqual(['Первое', 'Второе']);
    expect(h.fake.callsTo('sendMessage', manager)).toHaveLength(0); // the confirm is still waiting

    fulfil({ outcome: 'confirmed' });
    await h.fake.waitFor(() => h.fake.callsTo('sendMessage', manager).length === 1);
    expect(String(h.fake.callsTo('sendMessage', manager)[0].params.text)).toContain(String(order.orderId));

    // Everything handled was confirmed: the next start gets only what is new.
    await polling?.stop();
    const afterRestart: InboundEvent[] = [];
    await startBot({ deliver: async (event) => void afterRestart.push(event) });
    h.fake.pushText(lead, 'Третье');
    await h.fake.waitFor(() => afterRestart.length >= 1);
    expect(afterRestart.map((e) => (e.kind === 'text' ? e.text : e.kind))).toEqual(['Третье']);
    expect(h.fake.callsTo('sendMessage', manager)).toHaveLength(1);
  });
});

import { CI_JOURNEY } from './support/journeys';
import { describeSend, measureLeads, sendsTo, walk, walkAll } from './support/lead-walker';
import { reportScenario } from './support/report';
import { RunningSystem } from './support/running-system';
import { scaled } from './support/scale';
import { postWebhook } from './support/webhook';

/**
 * Scenario 3: Telegram delivers every update two or three times: long polling that ignores the
 * offset (the update comes again after it was confirmed), and a webhook that receives each update
 * three times, two of them at once. Target: each update handled once, every answer sent once.
 */
const LEADS = scaled(3, 10);
const STEP_TIMEOUT_MS = 60_000;
jest.setTimeout(scaled(180_000, 900_000));

let system: RunningSystem;
const FIRST_LEAD = 5_200_000_000;
const lead = (i: number) => ({ id: FIRST_LEAD + i, first_name: 'Олег', language_code: 'ru' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  system = await RunningSystem.start({ name: 'faults_redelivery', portBlock: 1 });
  // The bot polls; the api also takes updates on its webhook route (the suite posts them there).
  await Promise.all([system.startPart('worker'), system.startPart('bot'), system.startPart('api', system.webhookEnv)]);
});

afterAll(async () => {
  await system?.stop();
});

/** Inbound messages Postgres recorded for a lead (a duplicate handled twice would record twice). */
async function inboundRows(telegramUserId: number): Promise<number> {
  const [{ n }] = await system.db('messages as m').join('leads as l', 'l.id', 'm.lead_id').where({ 'l.telegram_user_id': telegramUserId, 'm.direction': 'in' }).count('* as n');
  return Number(n);
}

it(`redelivered updates: ${LEADS} leads by polling that ignores the offset, ${LEADS} by a webhook posting each update 3 times`, async () => {
  const started = Date.now();
  const reference = lead(0);
  await walk(system.telegram, reference, CI_JOURNEY, STEP_TIMEOUT_MS);
  const expected = sendsTo(system.telegram, reference.id).map(describeSend);
  const expectedInbound = await inboundRows(reference.id);

  // Polling: each update handed out again at once, and once more a second later (after it was confirmed).
  const polled = Array.from({ length: LEADS }, (_, i) => lead(1 + i));
  let redeliveries = 0;
  const pollingStuck = await walkAll(system.telegram, polled, CI_JOURNEY, STEP_TIMEOUT_MS, {
    afterPush: (updateId) => {
      system.telegram.redeliver(updateId);
      setTimeout(() => system.telegram.redeliver(updateId), 1_000);
      redeliveries += 2;
    },
  });
  await sleep(1_500); // the last late redeliveries are queued; the walk's last answer shows they were polled

  // Webhook: the bot stops polling (its queue would deliver the same updates a fourth way); each
  // update is posted twice at once, then once more.
  await system.killPart('bot');
  const hooked = Array.from({ length: LEADS }, (_, i) => lead(1 + LEADS + i));
  const statuses = new Map<number, number>();
  const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
  const webhookStuck = await walkAll(system.telegram, hooked, CI_JOURNEY, STEP_TIMEOUT_MS, {
    afterPush: async (updateId) => {
      const update = system.telegram.pushedUpdate(updateId);
      (await Promise.all([postWebhook(system.apiUrl, update), postWebhook(system.apiUrl, update)])).forEach(count);
      count(await postWebhook(system.apiUrl, update));
    },
  });

  const leads = [...polled, ...hooked];
  const { lost, duplicated, delivered, shortfalls: sendShortfalls } = measureLeads(system.telegram, expected, leads);
  const inbound = await Promise.all(leads.map((l) => inboundRows(l.id)));
  const doubledInbound = inbound.reduce((sum, n) => sum + Math.max(0, n - expectedInbound), 0);
  const failedPosts = [...statuses.entries()].filter(([status]) => status !== 200);
  const stuck = [...pollingStuck, ...webhookStuck];
  reportScenario({
    scenario: '3. Telegram redelivers every update',
    done: `${LEADS} leads polling (each update 3×, ${redeliveries} redeliveries), ${LEADS} by webhook (each update posted 3×, 2 at once)`,
    expected: `${expected.length * leads.length} messages, ${expectedInbound * leads.length} inbound rows, every post 200`,
    got: `${delivered} messages, ${inbound.reduce((a, b) => a + b, 0)} inbound rows, posts ${JSON.stringify(Object.fromEntries(statuses))}, ${stuck.length} stuck`,
    lost,
    duplicated: duplicated + doubledInbound,
    seconds: (Date.now() - started) / 1000,
    shortfalls: [
      ...sendShortfalls,
      ...(doubledInbound ? [`${doubledInbound} updates recorded twice`] : []),
      ...(failedPosts.length ? [`webhook answered ${JSON.stringify(failedPosts)}`] : []),
      ...(stuck.length ? [`${stuck.length} leads stuck: ${stuck.slice(0, 3).join(' | ')}`] : []),
    ],
  });
});

import { CI_JOURNEY } from './support/journeys';
import { describeSend, measureLeads, sendsTo, walk, walkAll } from './support/lead-walker';
import { reportScenario } from './support/report';
import { RunningSystem } from './support/running-system';
import { scaled } from './support/scale';
import { crashSigns } from './support/system-health';
import { postWebhook } from './support/webhook';

/**
 * Scenario 5: the Temporal dev server is SIGKILLed in the middle of live conversations and started
 * again (from its file, as a real cluster keeps its state) a while later, while some leads reach
 * the bot by long polling and others by the webhook at the same time. Polling must confirm no
 * update that Temporal did not take; the webhook must not answer 200 for one (Telegram then
 * delivers again). A lead of each kind writes its first message while Temporal is down. Target:
 * every update handled once, every answer sent once, the processes alive; 0 lost, 0 duplicated, 0 stuck.
 */
const LEADS = scaled(3, 20);
const WEBHOOK_LEADS = scaled(2, 10);
const OUTAGE_MS = scaled(5_000, 30_000);
const STEP_TIMEOUT_MS = OUTAGE_MS + 120_000;
jest.setTimeout(scaled(240_000, 900_000));

let system: RunningSystem;
const FIRST_LEAD = 5_500_000_000;
const lead = (i: number) => ({ id: FIRST_LEAD + i, first_name: 'Глеб', language_code: 'ru' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  system = await RunningSystem.start({ name: 'faults_temporal_outage', portBlock: 5, temporalOnDisk: true });
  // The bot polls; the api takes updates on its webhook route (the suite posts them, as Telegram would).
  await Promise.all([system.startPart('worker'), system.startPart('bot'), system.startPart('api', system.webhookEnv)]);
});

afterAll(async () => {
  await system?.stop();
});

/** Inbound messages Postgres recorded for a lead: one per update its conversation handled. */
async function inboundRows(telegramUserId: number): Promise<number> {
  const [{ n }] = await system.db('messages as m').join('leads as l', 'l.id', 'm.lead_id').where({ 'l.telegram_user_id': telegramUserId, 'm.direction': 'in' }).count('* as n');
  return Number(n);
}

it(`Temporal outage: the dev server killed for ${OUTAGE_MS / 1000} s while ${LEADS} + 1 leads poll and ${WEBHOOK_LEADS} + 1 come by webhook`, async () => {
  const started = Date.now();
  const reference = lead(0);
  await walk(system.telegram, reference, CI_JOURNEY, 60_000);
  const expected = sendsTo(system.telegram, reference.id).map(describeSend);
  const expectedInbound = await inboundRows(reference.id);

  /** Temporal down: [killedAt, restartedAt) (it answers again a little after restartedAt). */
  const outage = { down: false, killedAt: 0, restartedAt: 0 };
  // Polling: updates the leads make while Temporal is down, which Temporal cannot have taken.
  const pushedWhileDown: number[] = [];
  const polling = { afterPush: (updateId: number) => void (outage.down && pushedWhileDown.push(updateId)) };
  // Webhook: these chats never reach getUpdates; the suite posts each update as Telegram does:
  // again after an error answer (a pause later), until it gets a 200.
  const posts: { status: number; at: number; answeredAt: number }[] = [];
  const webhook = {
    afterPush: async (updateId: number) => {
      const update = system.telegram.pushedUpdate(updateId);
      for (const deadline = Date.now() + STEP_TIMEOUT_MS; Date.now() < deadline; await sleep(1_000)) {
        const at = Date.now();
        const status = await postWebhook(system.apiUrl, update).catch(() => 0);
        posts.push({ status, at, answeredAt: Date.now() });
        if (status === 200) return;
      }
    },
  };
  const polled = Array.from({ length: LEADS }, (_, i) => lead(1 + i));
  const hooked = Array.from({ length: WEBHOOK_LEADS }, (_, i) => lead(1 + LEADS + i));
  // One more of each writes its first message while Temporal is down.
  const [lateByPolling, lateByWebhook] = [lead(1 + LEADS + WEBHOOK_LEADS), lead(2 + LEADS + WEBHOOK_LEADS)];
  for (const l of [...hooked, lateByWebhook]) system.telegram.keepFromPolling(l.id);
  const walks = [
    walkAll(system.telegram, polled, CI_JOURNEY, STEP_TIMEOUT_MS, { staggerMs: 1_000, ...polling }),
    walkAll(system.telegram, hooked, CI_JOURNEY, STEP_TIMEOUT_MS, { staggerMs: 1_000, ...webhook }),
  ];

  // The kill comes once the leads are under way: the first of them has its bonus.
  const underWay = [...polled, ...hooked];
  await system.telegram.waitFor(() => underWay.some((l) => sendsTo(system.telegram, l.id).length >= 2), 120_000);
  await system.killTemporal();
  Object.assign(outage, { down: true, killedAt: Date.now() });
  walks.push(walkAll(system.telegram, [lateByPolling], CI_JOURNEY, STEP_TIMEOUT_MS, polling), walkAll(system.telegram, [lateByWebhook], CI_JOURNEY, STEP_TIMEOUT_MS, webhook));
  await sleep(OUTAGE_MS);
  Object.assign(outage, { down: false, restartedAt: Date.now() });
  await system.startTemporal();
  const { killedAt, restartedAt } = outage;
  // The offset the bot asked for while Temporal was down confirms every update below it.
  const offsets = system.telegram.calls.filter((c) => c.method === 'getUpdates' && c.at >= killedAt && c.at < restartedAt && typeof c.params.offset === 'number').map((c) => Number(c.params.offset));
  const confirmedUntaken = pushedWhileDown.filter((id) => id < Math.max(0, ...offsets)).length;
  const stuck = (await Promise.all(walks)).flat();
  // A 200 given while Temporal was down would tell Telegram an update was taken that was not.
  const okWhileDown = posts.filter((p) => p.status === 200 && p.at >= killedAt && p.answeredAt < restartedAt).length;
  const errorAnswers = posts.filter((p) => p.status !== 200).length;

  const everyone = [...polled, lateByPolling, ...hooked, lateByWebhook];
  const { lost, duplicated, delivered, shortfalls } = measureLeads(system.telegram, expected, everyone);
  const inbound = await Promise.all(everyone.map((l) => inboundRows(l.id)));
  const missingInbound = inbound.reduce((sum, n) => sum + Math.max(0, expectedInbound - n), 0);
  const doubledInbound = inbound.reduce((sum, n) => sum + Math.max(0, n - expectedInbound), 0);
  const crashes = crashSigns(system, '', ['worker', 'bot', 'api']);
  reportScenario({
    scenario: '5. Temporal outage',
    done: `Temporal SIGKILLed mid-conversation and started again ${OUTAGE_MS / 1000} s later from its file, while ${LEADS} leads × ${CI_JOURNEY.length} steps polled and ${WEBHOOK_LEADS} came by webhook (re-posted after an error, as Telegram does), and one of each started while it was down (${pushedWhileDown.length} polled updates arrived meanwhile)`,
    expected: `${expected.length * everyone.length} messages, ${expectedInbound * everyone.length} updates handled, 0 confirmed (polling) or answered 200 (webhook) while Temporal was down, 0 stuck, processes alive`,
    got: `${delivered} delivered, ${inbound.reduce((a, b) => a + b, 0)} updates handled, ${confirmedUntaken} confirmed and ${okWhileDown} answered 200 while down (webhook answered ${errorAnswers} errors, each posted again), ${stuck.length} stuck${crashes.length ? `, ${crashes.join('; ')}` : ''}`,
    lost: lost + missingInbound,
    duplicated: duplicated + doubledInbound,
    seconds: (Date.now() - started) / 1000,
    shortfalls: [
      ...shortfalls,
      ...(pushedWhileDown.length === 0 ? ['no polled update arrived while Temporal was down'] : []),
      ...(confirmedUntaken ? [`${confirmedUntaken} updates confirmed to Telegram while Temporal was down`] : []),
      ...(okWhileDown ? [`the webhook answered 200 ${okWhileDown} times while Temporal was down`] : []),
      ...(missingInbound ? [`${missingInbound} updates never handled`] : []),
      ...(doubledInbound ? [`${doubledInbound} updates handled twice`] : []),
      ...(stuck.length ? [`${stuck.length} leads stuck: ${stuck.slice(0, 3).join(' | ')}`] : []),
      ...crashes,
    ],
  });
});

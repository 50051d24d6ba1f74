import { CI_JOURNEY } from './support/journeys';
import { describeSend, measureLeads, sendsTo, walk, walkAll } from './support/lead-walker';
import { reportScenario } from './support/report';
import { RunningSystem } from './support/running-system';
import { scaled } from './support/scale';
import { crashSigns } from './support/system-health';
import { postWebhook } from './support/webhook';

/**
 * Scenario 5: the Temporal dev server is SIGKILLed in the middle of live conversations and started
 * again (from its file, as a real cluster keeps its state) a while later. Meanwhile long polling
 * must confirm no update that Temporal did not take. Target: every update handled once, every
 * answer sent once, the processes alive; 0 lost, 0 duplicated, 0 stuck.
 */
const LEADS = scaled(4, 20);
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
  await Promise.all([system.startPart('worker'), system.startPart('bot')]);
});

afterAll(async () => {
  await system?.stop();
});

/** Inbound messages Postgres recorded for a lead: one per update its conversation handled. */
async function inboundRows(telegramUserId: number): Promise<number> {
  const [{ n }] = await system.db('messages as m').join('leads as l', 'l.id', 'm.lead_id').where({ 'l.telegram_user_id': telegramUserId, 'm.direction': 'in' }).count('* as n');
  return Number(n);
}

/** Temporal down: [killedAt, restartedAt) (it answers again a little after restartedAt). */
const outage = { down: false, killedAt: 0, restartedAt: 0 };

/** Kills Temporal once one of `leads` has its bonus (the leads are under way), starts it again OUTAGE_MS later. */
async function outageDuring(leads: { id: number }[]): Promise<void> {
  await system.telegram.waitFor(() => leads.some((l) => sendsTo(system.telegram, l.id).length >= 2), 120_000);
  await system.killTemporal();
  Object.assign(outage, { down: true, killedAt: Date.now() });
  await sleep(OUTAGE_MS);
  Object.assign(outage, { down: false, restartedAt: Date.now() });
  await system.startTemporal();
}

it(`Temporal outage: the dev server killed for ${OUTAGE_MS / 1000} s while ${LEADS} leads poll, and again while ${WEBHOOK_LEADS} come by webhook`, async () => {
  const started = Date.now();
  const reference = lead(0);
  await walk(system.telegram, reference, CI_JOURNEY, 60_000);
  const expected = sendsTo(system.telegram, reference.id).map(describeSend);
  const expectedInbound = await inboundRows(reference.id);

  const leads = Array.from({ length: LEADS }, (_, i) => lead(i + 1));
  // Updates the leads make while Temporal is down: Temporal cannot have taken them.
  const pushedWhileDown: number[] = [];
  const walked = walkAll(system.telegram, leads, CI_JOURNEY, STEP_TIMEOUT_MS, {
    staggerMs: 1_000,
    afterPush: (updateId) => void (outage.down && pushedWhileDown.push(updateId)),
  });
  await outageDuring(leads);
  const { killedAt, restartedAt } = outage;
  // The offset the bot asked for while Temporal was down confirms every update below it.
  const offsets = system.telegram.calls.filter((c) => c.method === 'getUpdates' && c.at >= killedAt && c.at < restartedAt && typeof c.params.offset === 'number').map((c) => Number(c.params.offset));
  const confirmedUntaken = pushedWhileDown.filter((id) => id < Math.max(0, ...offsets)).length;
  const pollingStuck = await walked;

  // Webhook: the bot stops polling, the api takes updates. The suite posts each update as Telegram
  // does: again after an error answer (a pause later), until it gets a 200.
  await system.killPart('bot');
  await system.startPart('api', system.webhookEnv);
  const hooked = Array.from({ length: WEBHOOK_LEADS }, (_, i) => lead(1 + LEADS + i));
  const posts: { status: number; at: number; answeredAt: number }[] = [];
  const postUntilTaken = async (updateId: number) => {
    const update = system.telegram.pushedUpdate(updateId);
    for (const deadline = Date.now() + STEP_TIMEOUT_MS; Date.now() < deadline; await sleep(1_000)) {
      const at = Date.now();
      const status = await postWebhook(system.apiUrl, update).catch(() => 0);
      posts.push({ status, at, answeredAt: Date.now() });
      if (status === 200) return;
    }
  };
  const hookedWalk = walkAll(system.telegram, hooked, CI_JOURNEY, STEP_TIMEOUT_MS, { staggerMs: 1_000, afterPush: postUntilTaken });
  await outageDuring(hooked);
  const webhookStuck = await hookedWalk;
  // A 200 given while Temporal was down would tell Telegram an update was taken that was not.
  const okWhileDown = posts.filter((p) => p.status === 200 && p.at >= outage.killedAt && p.answeredAt < outage.restartedAt).length;
  const errorAnswers = posts.filter((p) => p.status !== 200).length;

  const stuck = [...pollingStuck, ...webhookStuck];
  const everyone = [...leads, ...hooked];
  const { lost, duplicated, delivered, shortfalls } = measureLeads(system.telegram, expected, everyone);
  const inbound = await Promise.all(everyone.map((l) => inboundRows(l.id)));
  const missingInbound = inbound.reduce((sum, n) => sum + Math.max(0, expectedInbound - n), 0);
  const doubledInbound = inbound.reduce((sum, n) => sum + Math.max(0, n - expectedInbound), 0);
  const crashes = crashSigns(system, '', ['worker', 'api']);
  reportScenario({
    scenario: '5. Temporal outage',
    done: `Temporal SIGKILLed mid-conversation and started again ${OUTAGE_MS / 1000} s later from its file, twice: while ${LEADS} leads × ${CI_JOURNEY.length} steps polled (${pushedWhileDown.length} updates arrived meanwhile), and while ${WEBHOOK_LEADS} came by webhook (re-posted after an error, as Telegram does)`,
    expected: `${expected.length * everyone.length} messages, ${expectedInbound * everyone.length} updates handled, 0 confirmed (polling) or answered 200 (webhook) while Temporal was down, 0 stuck, processes alive`,
    got: `${delivered} delivered, ${inbound.reduce((a, b) => a + b, 0)} updates handled, ${confirmedUntaken} confirmed and ${okWhileDown} answered 200 while down (webhook answered ${errorAnswers} errors, each posted again), ${stuck.length} stuck${crashes.length ? `, ${crashes.join('; ')}` : ''}`,
    lost: lost + missingInbound,
    duplicated: duplicated + doubledInbound,
    seconds: (Date.now() - started) / 1000,
    shortfalls: [
      ...shortfalls,
      ...(confirmedUntaken ? [`${confirmedUntaken} updates confirmed to Telegram while Temporal was down`] : []),
      ...(okWhileDown ? [`the webhook answered 200 ${okWhileDown} times while Temporal was down`] : []),
      ...(missingInbound ? [`${missingInbound} updates never handled`] : []),
      ...(doubledInbound ? [`${doubledInbound} updates handled twice`] : []),
      ...(stuck.length ? [`${stuck.length} leads stuck: ${stuck.slice(0, 3).join(' | ')}`] : []),
      ...crashes,
    ],
  });
});

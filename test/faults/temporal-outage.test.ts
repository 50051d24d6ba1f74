import { CI_JOURNEY } from './support/journeys';
import { describeSend, measureLeads, sendsTo, walk, walkAll } from './support/lead-walker';
import { reportScenario } from './support/report';
import { RunningSystem } from './support/running-system';
import { scaled } from './support/scale';
import { crashSigns } from './support/system-health';

/**
 * Scenario 5: the Temporal dev server is SIGKILLed in the middle of live conversations and started
 * again (from its file, as a real cluster keeps its state) a while later. Meanwhile long polling
 * must confirm no update that Temporal did not take. Target: every update handled once, every
 * answer sent once, the processes alive; 0 lost, 0 duplicated, 0 stuck.
 */
const LEADS = scaled(4, 20);
const OUTAGE_MS = scaled(5_000, 30_000);
const STEP_TIMEOUT_MS = OUTAGE_MS + 120_000;
jest.setTimeout(scaled(240_000, 900_000));

let system: RunningSystem;
const FIRST_LEAD = 5_500_000_000;
const lead = (i: number) => ({ id: FIRST_LEAD + i, first_name: 'Глеб', language_code: 'ru' });

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

it(`Temporal outage: the dev server killed for ${OUTAGE_MS / 1000} s while ${LEADS} leads talk (polling)`, async () => {
  const started = Date.now();
  const reference = lead(0);
  await walk(system.telegram, reference, CI_JOURNEY, 60_000);
  const expected = sendsTo(system.telegram, reference.id).map(describeSend);
  const expectedInbound = await inboundRows(reference.id);

  const leads = Array.from({ length: LEADS }, (_, i) => lead(i + 1));
  // Updates the leads make while Temporal is down: Temporal cannot have taken them.
  let down = false;
  const pushedWhileDown: number[] = [];
  const walked = walkAll(system.telegram, leads, CI_JOURNEY, STEP_TIMEOUT_MS, {
    staggerMs: 1_000,
    afterPush: (updateId) => void (down && pushedWhileDown.push(updateId)),
  });
  // The kill comes once the leads are under way: the first of them has its bonus.
  await system.telegram.waitFor(() => leads.some((l) => sendsTo(system.telegram, l.id).length >= 2), 120_000);
  await system.killTemporal();
  down = true;
  const killedAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  const restartedAt = Date.now();
  await system.startTemporal();
  down = false;
  // The offset the bot asked for while Temporal was down confirms every update below it.
  const offsets = system.telegram.calls.filter((c) => c.method === 'getUpdates' && c.at >= killedAt && c.at < restartedAt && typeof c.params.offset === 'number').map((c) => Number(c.params.offset));
  const confirmedUntaken = pushedWhileDown.filter((id) => id < Math.max(0, ...offsets)).length;
  const stuck = await walked;

  const { lost, duplicated, delivered, shortfalls } = measureLeads(system.telegram, expected, leads);
  const inbound = await Promise.all(leads.map((l) => inboundRows(l.id)));
  const missingInbound = inbound.reduce((sum, n) => sum + Math.max(0, expectedInbound - n), 0);
  const doubledInbound = inbound.reduce((sum, n) => sum + Math.max(0, n - expectedInbound), 0);
  const crashes = crashSigns(system, '', ['worker', 'bot']);
  reportScenario({
    scenario: '5. Temporal outage',
    done: `${LEADS} leads × ${CI_JOURNEY.length} steps (polling); Temporal SIGKILLed mid-conversation and started again ${OUTAGE_MS / 1000} s later from its file (${pushedWhileDown.length} updates arrived meanwhile)`,
    expected: `${expected.length * LEADS} messages, ${expectedInbound * LEADS} updates handled, 0 confirmed while Temporal was down, 0 stuck, worker and bot alive`,
    got: `${delivered} delivered, ${inbound.reduce((a, b) => a + b, 0)} updates handled, ${confirmedUntaken} confirmed while Temporal was down, ${stuck.length} stuck${crashes.length ? `, ${crashes.join('; ')}` : ''}`,
    lost: lost + missingInbound,
    duplicated: duplicated + doubledInbound,
    seconds: (Date.now() - started) / 1000,
    shortfalls: [
      ...shortfalls,
      ...(confirmedUntaken ? [`${confirmedUntaken} updates confirmed to Telegram while Temporal was down`] : []),
      ...(missingInbound ? [`${missingInbound} updates never handled`] : []),
      ...(doubledInbound ? [`${doubledInbound} updates handled twice`] : []),
      ...(stuck.length ? [`${stuck.length} leads stuck: ${stuck.slice(0, 3).join(' | ')}`] : []),
      ...crashes,
    ],
  });
});

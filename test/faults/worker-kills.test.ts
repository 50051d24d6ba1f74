import { JOURNEY, JOURNEY_NAME } from './support/journeys';
import { describeSend, measureLeads, sendsTo, walk, walkAll } from './support/lead-walker';
import { reportScenario } from './support/report';
import { resentAfterCutOff } from './support/resent';
import { RunningSystem } from './support/running-system';
import { scaled } from './support/scale';
import { whyStuck } from './support/system-health';

/**
 * Scenario 1: leads walk real journeys at once while the worker process is SIGKILLed at random
 * moments and restarted. Target: every lead gets every message a lead walking alone gets, none
 * twice, none stuck.
 */
const LEADS = Number(process.env.FAULTS_LEADS ?? scaled(6, 50));
const KILLS = Number(process.env.FAULTS_KILLS ?? scaled(2, 20));
/** How long one step may wait for its answer: a restart on a loaded machine takes seconds. */
const STEP_TIMEOUT_MS = Number(process.env.FAULTS_STEP_TIMEOUT_MS ?? scaled(120_000, 300_000));
jest.setTimeout(scaled(240_000, 1_800_000));


let system: RunningSystem;
const FIRST_LEAD = 5_100_000_000;
const lead = (i: number) => ({ id: FIRST_LEAD + i, first_name: 'Анна', language_code: 'ru' });

beforeAll(async () => {
  system = await RunningSystem.start({ name: 'faults_worker_kills', portBlock: 0 });
  await Promise.all([system.startPart('worker'), system.startPart('bot')]);
});

afterAll(async () => {
  await system?.stop();
});

const randomBetween = (min: number, max: number) => min + Math.random() * (max - min);

it(`worker kills during live conversations: ${LEADS} leads, ${KILLS} SIGKILLs of the worker`, async () => {
  const started = Date.now();
  // What a lead walking alone gets: the reference every other lead is held to.
  const reference = lead(0);
  await walk(system.telegram, reference, JOURNEY, 30_000);
  const expected = sendsTo(system.telegram, reference.id).map(describeSend);

  // The leads walk at once, a little staggered; meanwhile the worker dies KILLS times.
  const leads = Array.from({ length: LEADS }, (_, i) => lead(i + 1));
  let walking = true;
  const walked = walkAll(system.telegram, leads, JOURNEY, STEP_TIMEOUT_MS).finally(() => {
    walking = false;
  });
  // Each kill waits until the restarted worker has sent a few messages (a random 1-5) and then a
  // random moment more: kills at a fixed pace would, on a slow machine, cut every restart before it
  // did anything, which is a test of the machine, not of the system.
  let kills = 0;
  while (kills < KILLS && walking) {
    const sentBefore = system.telegram.delivered;
    const progress = Math.ceil(randomBetween(0, 5));
    await system.telegram.waitFor(() => system.telegram.delivered >= sentBefore + progress || !walking, STEP_TIMEOUT_MS).catch(() => undefined);
    if (!walking) break;
    await new Promise((resolve) => setTimeout(resolve, randomBetween(0, 2_000)));
    await system.restartPart('worker');
    kills += 1;
  }
  const stuck = await walked;

  // Settled: every walking lead got its last answer. A duplicate from a retried send would have
  // been sent before the retry's own later steps, so it would show by now.
  const resent = await resentAfterCutOff(system.db, leads.map((l) => l.id));
  const { lost, duplicated, resentTwice, delivered, shortfalls: sendShortfalls } = measureLeads(system.telegram, expected, leads, resent);
  const timersExpected = LEADS; // the bonus's 3-second timer: the opening question follows it
  const timersFired = leads.filter((l) => sendsTo(system.telegram, l.id).some((c) => describeSend(c).includes('Скажите честно'))).length;

  const shortfalls = [
    ...(kills < KILLS ? [`only ${kills} of ${KILLS} kills happened before the leads finished`] : []),
    ...sendShortfalls,
    ...(stuck.length ? [`${stuck.length} leads stuck: ${stuck.slice(0, 3).join(' | ')}; ${await whyStuck(system, `lead-${/lead (\d+)/.exec(stuck[0])?.[1]}`)}`] : []),
    ...(timersFired < timersExpected ? [`timers fired ${timersFired} of ${timersExpected}`] : []),
  ];
  reportScenario({
    scenario: '1. worker kills during live conversations',
    done: `${LEADS} leads × ${JOURNEY.length} steps (${JOURNEY_NAME}); worker SIGKILLed ${kills}× and restarted`,
    expected: `${expected.length * LEADS} messages (${expected.length} per lead), ${timersExpected} timers, 0 stuck`,
    got: `${delivered} delivered, ${timersFired} timers fired, ${stuck.length} stuck; ${[...resent.values()].flat().length} sent again after a kill cut them off mid-send, ${resentTwice} of them seen twice`,
    lost,
    duplicated,
    seconds: (Date.now() - started) / 1000,
    shortfalls,
  });
});

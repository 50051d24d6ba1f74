import { compareSends, describeSend, expectText, press, say, sendsTo, walk, type Step } from './support/lead-walker';
import { reportScenario } from './support/report';
import { RunningSystem } from './support/running-system';
import { FULL, scaled } from './support/scale';

/**
 * Scenario 1: leads walk real journeys at once while the worker process is SIGKILLed at random
 * moments and restarted. Target: every lead gets every message a lead walking alone gets, none
 * twice, none stuck.
 */
const LEADS = scaled(6, 50);
const KILLS = scaled(2, 20);
/** How long one step may wait for its answer: a restart on a loaded machine takes seconds. */
const STEP_TIMEOUT_MS = 120_000;
jest.setTimeout(scaled(240_000, 1_200_000));

/** start → bonus (a 3-second durable timer) → opening question → survey of 5 → result → free text → contact form. */
const FULL_JOURNEY: Step[] = [
  say('/start faults'),
  press('Получить бонус'),
  press('Хочу управлять капиталом'),
  press('Пройти опрос'),
  press('Торгую сам'),
  press('Пассивный доход'),
  press('Через месяц'),
  press('$100–500'),
  press('Да, готов'),
  press('Что дальше?'),
  say('как начать?'),
  say('/contact'),
  expectText('Оставьте номер телефона'),
  say('+7 912 345-67-89'),
  expectText('Как к вам обращаться?'),
  say('Анна'),
  press('Пропустить'),
  expectText('Заявка у менеджера'),
];
/** CI's shorter walk: start → bonus and its timer → opening question → survey's first answer → free text. */
const CI_JOURNEY: Step[] = [
  say('/start faults'),
  press('Получить бонус'),
  press('Хочу управлять капиталом'),
  press('Пройти опрос'),
  press('Торгую сам'),
  say('как начать?'),
  expectText('Спасибо за сообщение'),
];
const JOURNEY = FULL ? FULL_JOURNEY : CI_JOURNEY;
const JOURNEY_NAME = FULL ? 'start, bonus + 3 s timer, survey, result, free text, contact form' : 'start, bonus + 3 s timer, survey, free text';

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
  let walking = leads.length;
  const outcomes = leads.map(async (l, i) => {
    await new Promise((resolve) => setTimeout(resolve, i * 300));
    try {
      await walk(system.telegram, l, JOURNEY, STEP_TIMEOUT_MS);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    } finally {
      walking -= 1;
    }
  });
  let kills = 0;
  while (kills < KILLS && walking > 0) {
    await new Promise((resolve) => setTimeout(resolve, randomBetween(1_000, 4_000)));
    await system.restartPart('worker');
    kills += 1;
  }
  const stuck = (await Promise.all(outcomes)).filter((failure): failure is string => !!failure);

  // Settled: every walking lead got its last answer. A duplicate from a retried send would have
  // been sent before the retry's own later steps, so it would show by now.
  const figures = leads.map((l) => ({ lead: l.id, ...compareSends(expected, sendsTo(system.telegram, l.id).map(describeSend)) }));
  const lost = figures.reduce((sum, f) => sum + f.lost, 0);
  const duplicated = figures.reduce((sum, f) => sum + f.duplicated, 0);
  const delivered = leads.reduce((sum, l) => sum + sendsTo(system.telegram, l.id).length, 0);
  const timersExpected = LEADS; // the bonus's 3-second timer: the opening question follows it
  const timersFired = leads.filter((l) => sendsTo(system.telegram, l.id).some((c) => describeSend(c).includes('Скажите честно'))).length;

  const shortfalls = [
    ...(kills < KILLS ? [`only ${kills} of ${KILLS} kills happened before the leads finished`] : []),
    ...(lost ? [`${lost} messages lost: ${JSON.stringify(figures.filter((f) => f.lost).map((f) => ({ lead: f.lead, missing: f.missing })))}`.slice(0, 2000)] : []),
    ...(duplicated ? [`${duplicated} duplicated: ${JSON.stringify(figures.filter((f) => f.duplicated).map((f) => ({ lead: f.lead, extra: f.extra })))}`.slice(0, 2000)] : []),
    ...(stuck.length ? [`${stuck.length} leads stuck: ${stuck.slice(0, 3).join(' | ')}`] : []),
    ...(timersFired < timersExpected ? [`timers fired ${timersFired} of ${timersExpected}`] : []),
  ];
  reportScenario({
    scenario: '1. worker kills during live conversations',
    done: `${LEADS} leads × ${JOURNEY.length} steps (${JOURNEY_NAME}); worker SIGKILLed ${kills}× and restarted`,
    expected: `${expected.length * LEADS} messages (${expected.length} per lead), ${timersExpected} timers, 0 stuck`,
    got: `${delivered} delivered, ${timersFired} timers fired, ${stuck.length} stuck`,
    lost,
    duplicated,
    seconds: (Date.now() - started) / 1000,
    shortfalls,
  });
});

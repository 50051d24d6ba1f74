import { sendsTo } from './support/lead-walker';
import { reportScenario } from './support/report';
import { RunningSystem } from './support/running-system';
import { scaled } from './support/scale';
import { crashSigns, failedWorkflows } from './support/system-health';
import { sampleUpdates } from './support/update-arbitraries';
import { postWebhook } from './support/webhook';

/**
 * Scenario 8: generated updates, plausible to malformed (support/update-arbitraries.ts), half
 * through long polling, half posted to the webhook. Target: no process dies, no unhandled
 * rejection, no 5xx, no failed workflow, and the bot still answers a new lead afterwards.
 */
const UPDATES = scaled(150, 1_000);
const SEED = Number(process.env.FAULTS_SEED ?? 20261206);
jest.setTimeout(scaled(180_000, 900_000));

let system: RunningSystem;

beforeAll(async () => {
  system = await RunningSystem.start({ name: 'faults_fuzzed_updates', portBlock: 2 });
  await Promise.all([system.startPart('worker'), system.startPart('bot'), system.startPart('api', system.webhookEnv)]);
});

afterAll(async () => {
  await system?.stop();
});

it(`fuzzed updates: ${UPDATES} generated updates through polling and the webhook`, async () => {
  const started = Date.now();
  const updates = sampleUpdates(UPDATES, SEED);
  const polled = updates.filter((_, i) => i % 2 === 0);
  const posted = updates.filter((_, i) => i % 2 === 1);

  const pollIds = polled.map((update) => system.telegram.pushUpdate(update));
  const statuses = new Map<number, number>();
  const webhookIds: number[] = [];
  for (const [i, update] of posted.entries()) {
    const updateId = 900_000_000 + i;
    webhookIds.push(updateId);
    const status = await postWebhook(system.apiUrl, { update_id: updateId, ...update });
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }

  // Afterwards a new lead, by each route, still gets its greeting: nothing fuzzed broke the system,
  // and polling got past every fuzzed update before it (updates are taken in order).
  const sentinel = { id: 5_399_999_001, first_name: 'Sentinel', language_code: 'ru' };
  system.telegram.pushText(sentinel, '/start');
  const hooked = { id: 5_399_999_002, first_name: 'Sentinel', language_code: 'ru' };
  const greetingPosted = await postWebhook(system.apiUrl, system.telegram.pushedUpdate(system.telegram.pushText(hooked, '/start')));
  let answered = true;
  await system.telegram.waitFor(() => sendsTo(system.telegram, sentinel.id).length > 0 && sendsTo(system.telegram, hooked.id).length > 0, 120_000).catch(() => {
    answered = false;
  });

  const logs = system.logs();
  const refused = [...pollIds, ...webhookIds].filter((id) => logs.includes(`"updateId":${id},`)).length;
  const crashes = crashSigns(system, logs);
  const failed = await failedWorkflows(system);
  const serverErrors = [...statuses.entries()].filter(([status]) => status >= 500);
  reportScenario({
    scenario: '8. fuzzed updates',
    done: `${UPDATES} generated updates (fast-check, seed ${SEED}): ${polled.length} by polling, ${posted.length} to the webhook`,
    expected: '0 crashes, 0 unhandled rejections, 0 failed workflows, no 5xx, a new lead answered after',
    got: `${crashes.length} crash signs, ${failed} failed workflows, webhook ${JSON.stringify(Object.fromEntries(statuses))}, ${refused} refused with a reason in the log, new lead ${answered ? 'answered' : 'NOT answered'}`,
    lost: answered ? 0 : 1,
    duplicated: 0,
    seconds: (Date.now() - started) / 1000,
    shortfalls: [
      ...crashes,
      ...(failed ? [`${failed} workflows failed`] : []),
      ...(serverErrors.length ? [`webhook answered ${JSON.stringify(serverErrors)}`] : []),
      ...(greetingPosted !== 200 ? [`the new lead's webhook post answered ${greetingPosted}`] : []),
      ...(answered ? [] : ['a new lead got no greeting after the fuzzing']),
    ],
  });
});

import { CI_JOURNEY } from './support/journeys';
import { describeSend, measureLeads, sendsTo, walk, walkAll } from './support/lead-walker';
import { reportScenario } from './support/report';
import { RunningSystem } from './support/running-system';
import { scaled } from './support/scale';

/**
 * Scenario 4: Postgres unreachable for a while in the middle of live conversations (the proxy
 * between the app and Postgres drops every connection and refuses new ones), then back. Target:
 * the conversations resume; 0 lost, 0 duplicated, 0 stuck.
 */
const LEADS = scaled(3, 20);
const OUTAGE_MS = scaled(10_000, 60_000);
const STEP_TIMEOUT_MS = OUTAGE_MS + 120_000;
jest.setTimeout(scaled(240_000, 900_000));

let system: RunningSystem;
const FIRST_LEAD = 5_400_000_000;
const lead = (i: number) => ({ id: FIRST_LEAD + i, first_name: 'Ира', language_code: 'ru' });

beforeAll(async () => {
  system = await RunningSystem.start({ name: 'faults_postgres_outage', portBlock: 4 });
  await Promise.all([system.startPart('worker'), system.startPart('bot')]);
});

afterAll(async () => {
  await system?.stop();
});

it(`Postgres outage: ${OUTAGE_MS / 1000} s without Postgres while ${LEADS} leads talk`, async () => {
  const started = Date.now();
  const reference = lead(0);
  await walk(system.telegram, reference, CI_JOURNEY, 60_000);
  const expected = sendsTo(system.telegram, reference.id).map(describeSend);

  const leads = Array.from({ length: LEADS }, (_, i) => lead(i + 1));
  const walked = walkAll(system.telegram, leads, CI_JOURNEY, STEP_TIMEOUT_MS, { staggerMs: 1_000 });
  // The cut comes once the leads are under way: the first of them has its bonus.
  await system.telegram.waitFor(() => leads.some((l) => sendsTo(system.telegram, l.id).length >= 2), 120_000);
  system.proxy.cut();
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  const refused = system.proxy.refused;
  system.proxy.restore();
  const stuck = await walked;

  const { lost, duplicated, delivered, shortfalls } = measureLeads(system.telegram, expected, leads);
  reportScenario({
    scenario: '4. Postgres outage',
    done: `${LEADS} leads × ${CI_JOURNEY.length} steps; Postgres cut for ${OUTAGE_MS / 1000} s mid-conversation (${refused} connections refused meanwhile)`,
    expected: `${expected.length * LEADS} messages, 0 stuck`,
    got: `${delivered} delivered, ${stuck.length} stuck`,
    lost,
    duplicated,
    seconds: (Date.now() - started) / 1000,
    shortfalls: [...shortfalls, ...(stuck.length ? [`${stuck.length} leads stuck: ${stuck.slice(0, 3).join(' | ')}`] : [])],
  });
});

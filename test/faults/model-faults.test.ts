import { FakeOpenAIServer } from '../fakes/openai-server';
import { CI_JOURNEY } from './support/journeys';
import { describeSend, measureLeads, sendsTo, settled, walk, walkAll, type Step } from './support/lead-walker';
import { answerByLeadText, askEach, modelFaults } from './support/model-faults';
import { reportScenario } from './support/report';
import { RunningSystem } from './support/running-system';
import { scaled } from './support/scale';

/**
 * Scenario 7: the model misbehaves while leads write free text: slow (in time and past the
 * timeout), 500s, garbage instead of JSON, and a reply the safety pass must block. Target: every
 * text a lead writes gets an answer (the model's, or the scenario's templated one), never silence;
 * 0 lost, 0 duplicated, 0 stuck.
 */
const LEADS = scaled(2, 20);
const LLM_TIMEOUT_MS = 1_000;
const STEP_TIMEOUT_MS = 60_000;
jest.setTimeout(scaled(180_000, 900_000));

const FAULTS = modelFaults(LLM_TIMEOUT_MS);
/** Into the survey (free text there goes to the model), then one text per fault, each awaiting an answer. */
const JOURNEY: Step[] = [...CI_JOURNEY.slice(0, 5), ...askEach(FAULTS)];

let system: RunningSystem;
let openai: FakeOpenAIServer;
const FIRST_LEAD = 5_700_000_000;
const lead = (i: number) => ({ id: FIRST_LEAD + i, first_name: 'Лиза', language_code: 'ru' });

beforeAll(async () => {
  openai = await FakeOpenAIServer.start({ apiKey: 'sk-faults-fake-key' });
  openai.setFallback(answerByLeadText(FAULTS));
  system = await RunningSystem.start({
    name: 'faults_model',
    portBlock: 7,
    env: { OPENAI_API_KEY: 'sk-faults-fake-key', OPENAI_BASE_URL: openai.baseUrl, LLM_TIMEOUT_MS: String(LLM_TIMEOUT_MS) },
  });
  await Promise.all([system.startPart('worker'), system.startPart('bot')]);
});

afterAll(async () => {
  await system?.stop();
  await openai?.stop();
});

it(`model faults: ${LEADS} leads each meet ${FAULTS.length} model faults (${FAULTS.map((f) => f.fault).join(', ')})`, async () => {
  const started = Date.now();
  const reference = lead(0);
  await walk(system.telegram, reference, JOURNEY, STEP_TIMEOUT_MS);
  await new Promise((resolve) => setTimeout(resolve, 3_000)); // the last answer's later messages (a handoff's notice)
  const expected = sendsTo(system.telegram, reference.id).map(describeSend);

  const leads = Array.from({ length: LEADS }, (_, i) => lead(i + 1));
  const callsBefore = openai.calls.length;
  const stuck = await walkAll(system.telegram, leads, JOURNEY, STEP_TIMEOUT_MS, { staggerMs: 500 });
  await settled(system.telegram, leads, expected.length);

  const { lost, duplicated, delivered, shortfalls } = measureLeads(system.telegram, expected, leads);
  const modelCalls = openai.calls.length - callsBefore;
  const allSends = leads.flatMap((l) => sendsTo(system.telegram, l.id).map(describeSend));
  // The good slow reply goes out as the model wrote it; the unsafe one never reaches a lead.
  const modelReplies = allSends.filter((send) => send.includes('Курс идёт 8 недель')).length;
  const unsafeSent = allSends.filter((send) => send.includes('Продайте квартиру')).length;
  const expectedCalls = LEADS * FAULTS.length;
  reportScenario({
    scenario: '7. model faults',
    done: `${LEADS} leads × ${FAULTS.length} free texts, the model ${FAULTS.map((f) => f.fault).join(' / ')} (LLM_TIMEOUT_MS ${LLM_TIMEOUT_MS})`,
    expected: `${expected.length * LEADS} messages (every text answered), ${LEADS} model replies in time, 0 unsafe sent, ${expectedCalls} model calls, 0 stuck`,
    got: `${delivered} delivered (${modelReplies} the model's own reply, the rest templated or a handoff), ${unsafeSent} unsafe sent, ${modelCalls} model calls, ${stuck.length} stuck (a text with no answer)`,
    lost,
    duplicated,
    seconds: (Date.now() - started) / 1000,
    shortfalls: [
      ...shortfalls,
      ...(stuck.length ? [`${stuck.length} leads met silence: ${stuck.slice(0, 3).join(' | ')}`] : []),
      ...(unsafeSent ? [`${unsafeSent} unsafe model replies reached leads`] : []),
      ...(modelReplies < LEADS ? [`only ${modelReplies} of ${LEADS} in-time model replies went out`] : []),
      // Fewer calls would mean the texts never reached the model, so its faults went untested.
      ...(modelCalls < expectedCalls ? [`only ${modelCalls} of ${expectedCalls} texts reached the model`] : []),
    ],
  });
});

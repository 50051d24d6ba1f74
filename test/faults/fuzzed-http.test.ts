import { reportScenario } from './support/report';
import { API_TOKEN, PAYMENT_SECRET, sampleRequests, type FuzzedRequest } from './support/request-arbitraries';
import { RunningSystem } from './support/running-system';
import { scaled } from './support/scale';
import { crashSigns } from './support/system-health';

/**
 * Scenario 9: generated requests to every api route (bodies, headers, query strings, content
 * types, sizes up to the limit and beyond; support/request-arbitraries.ts). Target: no 5xx (the
 * system is up, so no outage is declared), no crash, every refusal (4xx) says why in its body.
 */
const REQUESTS = scaled(200, 1_000);
const SEED = Number(process.env.FAULTS_SEED ?? 20261206);
jest.setTimeout(scaled(180_000, 900_000));

let system: RunningSystem;

beforeAll(async () => {
  system = await RunningSystem.start({
    name: 'faults_fuzzed_http',
    portBlock: 3,
    env: { API_TOKEN, PAYMENT_WEBHOOK_SECRET: PAYMENT_SECRET, CLICK_SIGNING_SECRET: 'faults-click-secret-0123456789', PUBLIC_BASE_URL: 'http://127.0.0.1' },
  });
  // The api alone: what it answers never waits for a worker (a launched campaign just stays queued).
  await system.startPart('api', system.webhookEnv);
});

afterAll(async () => {
  await system?.stop();
});

async function send(request: FuzzedRequest): Promise<{ status: number; body: string }> {
  const response = await fetch(`${system.apiUrl}${request.path}`, { method: request.method, headers: request.headers, body: request.body, redirect: 'manual' });
  return { status: response.status, body: await response.text() };
}

it(`fuzzed HTTP: ${REQUESTS} generated requests to every api route`, async () => {
  const started = Date.now();
  const requests = sampleRequests(REQUESTS, SEED);
  const statuses = new Map<number, number>();
  const serverErrors: string[] = [];
  const silentRefusals: string[] = [];
  const connectionErrors: string[] = [];
  for (const request of requests) {
    const answer = await send(request).catch((error: Error) => ({ status: 0, body: String(error.cause ?? error) }));
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    const what = `${request.method} ${request.path.slice(0, 80)} (${request.headers['content-type'] ?? 'no type'}, ${request.body?.length ?? 0} bytes)`;
    if (answer.status === 0) connectionErrors.push(`${what}: ${answer.body.slice(0, 100)}`);
    else if (answer.status >= 500) serverErrors.push(`${what} → ${answer.status} ${answer.body.slice(0, 120)}`);
    else if (answer.status >= 400 && request.method !== 'HEAD' && answer.body.trim() === '') silentRefusals.push(`${what} → ${answer.status}`);
  }
  const crashes = crashSigns(system, system.logs());
  const byStatus = JSON.stringify(Object.fromEntries([...statuses.entries()].sort(([a], [b]) => a - b)));
  reportScenario({
    scenario: '9. fuzzed HTTP',
    done: `${REQUESTS} generated requests (fast-check, seed ${SEED}) to every api route, bodies up to 2 MB (limit 1 MB)`,
    expected: 'no 5xx, no dropped connection, no crash, every 4xx with a reason',
    got: `statuses ${byStatus}; ${crashes.length} crash signs; ${silentRefusals.length} refusals without a reason`,
    lost: 0,
    duplicated: 0,
    seconds: (Date.now() - started) / 1000,
    shortfalls: [
      ...(serverErrors.length ? [`${serverErrors.length} answered 5xx, e.g. ${serverErrors.slice(0, 3).join(' | ')}`] : []),
      ...(connectionErrors.length ? [`${connectionErrors.length} connections failed, e.g. ${connectionErrors.slice(0, 3).join(' | ')}`] : []),
      ...(silentRefusals.length ? [`${silentRefusals.length} refusals without a reason, e.g. ${silentRefusals.slice(0, 3).join(' | ')}`] : []),
      ...crashes,
    ],
  });
});

import { Api } from 'grammy';
import { classifyTelegramError } from '../../activities/telegram-errors';
import { FakeTelegramServer } from '../fakes/telegram-server';

const TOKEN = '424242:ERRORS-token-never-logged';

let fake: FakeTelegramServer;
beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
});
afterAll(() => fake.stop());

async function failure(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

describe('classifyTelegramError', () => {
  it('names what happened on the wire in an unknown outcome (found by the fault suite), never the URL with the token', async () => {
    fake.setFaultInjector(({ method }) => (method === 'sendMessage' ? 'reset-after' : undefined));
    const error = await failure(new Api(TOKEN, { apiRoot: fake.apiRoot }).sendMessage(1, 'Hi'));
    fake.setFaultInjector();

    const outcome = classifyTelegramError(error, 'sendMessage');
    expect(outcome).toEqual({ kind: 'unknown', reason: "sendMessage: Network request for 'sendMessage' failed! (ECONNRESET)" });
  });

  it('a timed-out call is unknown, and says so', async () => {
    fake.setFaultInjector(({ method }) => (method === 'sendMessage' ? 'no-answer' : undefined));
    const error = await failure(new Api(TOKEN, { apiRoot: fake.apiRoot, timeoutSeconds: 1 }).sendMessage(1, 'Hi'));
    fake.setFaultInjector();

    const outcome = classifyTelegramError(error, 'sendMessage');
    expect(outcome.kind).toBe('unknown');
    expect(outcome.kind === 'unknown' && outcome.reason).not.toContain(TOKEN);
  });

  it('a refused connection never reached Telegram: tried again', async () => {
    const down = fake.refuseConnectionsFor(300);
    const error = await failure(new Api(TOKEN, { apiRoot: fake.apiRoot }).sendMessage(1, 'Hi'));
    await down;

    expect(classifyTelegramError(error, 'sendMessage').kind).toBe('retry');
  });
});

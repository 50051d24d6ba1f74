import type { Agent } from 'node:http';
import { Api } from 'grammy';
import { telegramHttpAgent } from '../../activities/telegram-http-agent';
import { FakeTelegramServer } from '../fakes/telegram-server';
import { eventually } from '../support/eventually';

const TOKEN = '434343:AGENT-token';

let fake: FakeTelegramServer;
beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
});
afterAll(() => fake.stop());

const idleSockets = (agent: Agent) => Object.values(agent.freeSockets).reduce((sum, list) => sum + (list?.length ?? 0), 0);

describe('telegramHttpAgent', () => {
  it('drops an idle connection before the server would close it under a send (found by the fault suite)', async () => {
    // A Node server (the fake) says `Keep-Alive: timeout=5` and closes an idle connection after 5 s.
    const agent = telegramHttpAgent(fake.apiRoot) as Agent;
    const api = new Api(TOKEN, { apiRoot: fake.apiRoot, baseFetchConfig: { agent, compress: true } });
    await api.sendMessage(1, 'Hi');
    const idleSince = Date.now();
    expect(idleSockets(agent)).toBe(1);

    await eventually('the idle connection is dropped', () => Promise.resolve(idleSockets(agent) === 0), 10_000);
    // Dropped by us, a second early: a send never goes out on a connection the server is closing.
    expect(Date.now() - idleSince).toBeLessThan(4_900);
    await expect(api.sendMessage(1, 'Again')).resolves.toMatchObject({ text: 'Again' });
    agent.destroy();
  });
});

import OpenAI from 'openai';
import { FakeOpenAIServer, realmSafeFetch, type ScriptedAnswer } from '../fakes/openai-server';

const MODEL_KEY = 'sk-test-key';

/**
 * A test file's model: the fake OpenAI server (started once for the file), a client pointed at it,
 * and `reply`, the JSON a model turn answers with, from defaults plus the fields a test names.
 */
export function useFakeModel(defaults: Record<string, unknown> = {}) {
  let server: FakeOpenAIServer | undefined;
  beforeAll(async () => {
    server = await FakeOpenAIServer.start({ apiKey: MODEL_KEY });
  });
  afterAll(() => server?.stop());
  const started = (): FakeOpenAIServer => {
    if (!server) throw new Error('the fake model starts in beforeAll');
    return server;
  };
  return {
    get server(): FakeOpenAIServer {
      return started();
    },
    // realmSafeFetch: under jest, fetch's timeout error comes from another realm and the client would miss it.
    client: () => new OpenAI({ apiKey: MODEL_KEY, baseURL: started().baseUrl, maxRetries: 0, fetch: realmSafeFetch }),
    reply: (fields: Record<string, unknown>): ScriptedAnswer => ({
      kind: 'json',
      content: { reply: 'Ответ', intent: 'question', next_action: 'answer', confidence: 0.9, profile_updates: {}, readiness: 40, stage: 'frame', ...defaults, ...fields },
    }),
  };
}

import OpenAI, { RateLimitError, toFile } from 'openai';
import { FAKE_AUDIO_PREFIX, FakeOpenAIServer, realmSafeFetch } from './openai-server';

const KEY = 'sk-test-key-1234567890';
const MODEL = 'gpt-4o-mini';

let fake: FakeOpenAIServer;
let client: OpenAI;

beforeEach(async () => {
  fake = await FakeOpenAIServer.start({ apiKey: KEY });
  client = new OpenAI({ apiKey: KEY, baseURL: fake.baseUrl, maxRetries: 0 });
});

afterEach(() => fake.stop());

const ask = (
  content: string,
  extra: Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming> = {},
  options?: OpenAI.RequestOptions,
) => client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content }], ...extra }, options);

/** The error a call fails with (fails the test if it succeeds). */
async function failure(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

describe('FakeOpenAIServer', () => {
  it('answers a scripted JSON answer and records the request', async () => {
    fake.script({ kind: 'json', content: { intent: 'buy', confidence: 0.9 }, usage: { prompt_tokens: 12, completion_tokens: 7 } });

    const completion = await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'system', content: 'Classify the message. Answer in JSON.' },
        { role: 'user', content: 'I want the course' },
      ],
      response_format: { type: 'json_object' },
      temperature: 0,
    });

    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: MODEL,
      choices: [{ index: 0, message: { role: 'assistant', refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
    });
    expect(completion.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/);
    expect(JSON.parse(completion.choices[0].message.content ?? '')).toEqual({ intent: 'buy', confidence: 0.9 });
    expect(completion._request_id).toMatch(/^req_/);

    expect(fake.calls).toHaveLength(1);
    const [call] = fake.calls;
    expect(call.status).toBe(200);
    expect(call.body).toMatchObject({
      model: MODEL,
      messages: [
        { role: 'system', content: 'Classify the message. Answer in JSON.' },
        { role: 'user', content: 'I want the course' },
      ],
      response_format: { type: 'json_object' },
      temperature: 0,
    });
    expect(call.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('estimates usage from the text when none is scripted', async () => {
    fake.script({ kind: 'text', content: 'x'.repeat(40) });
    const { usage } = await ask('y'.repeat(80));
    expect(usage).toMatchObject({ completion_tokens: 10 });
    expect(usage!.prompt_tokens).toBeGreaterThanOrEqual(20);
    expect(usage!.total_tokens).toBe(usage!.prompt_tokens + 10);
  });

  it('surfaces a 500 and a 429 as APIError subclasses, with retry-after on the 429', async () => {
    fake.script({ kind: 'error', status: 500 }, { kind: 'error', status: 429, retryAfterSeconds: 7 });

    const serverError = await failure(ask('hi'));
    expect(serverError).toBeInstanceOf(OpenAI.InternalServerError);
    expect(serverError).toMatchObject({ status: 500, type: 'server_error' });

    const rateLimit = await failure(ask('hi'));
    expect(rateLimit).toBeInstanceOf(OpenAI.RateLimitError);
    expect(rateLimit).toBeInstanceOf(OpenAI.APIError);
    const { status, code, headers } = rateLimit as RateLimitError;
    expect(status).toBe(429);
    expect(code).toBe('rate_limit_exceeded');
    expect(headers.get('retry-after')).toBe('7');
    expect(fake.calls.map((c) => c.status)).toEqual([500, 429]);
  });

  it('answers 500 once the script is used up', async () => {
    fake.script({ kind: 'text', content: 'one' });
    await expect(ask('a')).resolves.toMatchObject({ choices: [{ message: { content: 'one' } }] });
    const error = await failure(ask('b'));
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(String(error)).toContain('no scripted answer');
  });

  it('returns text content as is, malformed JSON or empty', async () => {
    fake.script({ kind: 'text', content: '{"intent": "buy",' }, { kind: 'text', content: '' });
    expect((await ask('a')).choices[0].message.content).toBe('{"intent": "buy",');
    expect((await ask('b')).choices[0].message.content).toBe('');
  });

  it('makes the client time out on a long delay, and notices that the client left', async () => {
    fake.script(
      { kind: 'delay', ms: 5000, then: { kind: 'text', content: 'too late' } },
      { kind: 'delay', ms: 5000, then: { kind: 'text', content: 'too late' } },
    );
    const started = Date.now();
    const impatient = new OpenAI({ apiKey: KEY, baseURL: fake.baseUrl, maxRetries: 0, timeout: 200, fetch: realmSafeFetch });

    const error = await failure(impatient.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }));
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    // The per-request option works the same way.
    const perRequest = await failure(
      impatient.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }, { timeout: 100 }),
    );
    expect(perRequest).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);

    // The delays ended when the client hung up, not after 5 s.
    await fake.waitFor(() => fake.calls.length === 2 && fake.calls.every((c) => c.status === 499), 1000);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('documents the Jest pitfall: without realmSafeFetch a timeout is a plain APIConnectionError', async () => {
    // Node's fetch rejects with a DOMException from outside Jest's sandbox; the client's
    // castToError turns it into Error("{}"), so the timeout is no longer recognised.
    fake.script({ kind: 'hang' });
    const error = await failure(ask('hi', {}, { timeout: 100 }));
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(error).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('answers 401 to a wrong key', async () => {
    fake.script({ kind: 'text', content: 'never sent' });
    const stranger = new OpenAI({ apiKey: 'sk-wrong-key-000000', baseURL: fake.baseUrl, maxRetries: 0 });

    const error = await failure(stranger.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }));
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(fake.calls.map((c) => c.status)).toEqual([401]);
    // The rejected request used up no scripted answer.
    await expect(ask('hi')).resolves.toMatchObject({ choices: [{ message: { content: 'never sent' } }] });
  });

  it('lets a fallback function echo the last user message', async () => {
    fake.setFallback((body) => {
      const last = body.messages.filter((m) => m.role === 'user').at(-1);
      return { kind: 'json', content: { echo: last?.content } };
    });
    const completion = await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'second' },
      ],
    });
    expect(JSON.parse(completion.choices[0].message.content ?? '')).toEqual({ echo: 'second' });
  });

  it('ends a hanging request on stop()', async () => {
    fake.script({ kind: 'hang' });
    const pending = failure(ask('hi'));
    await fake.waitFor(() => fake.calls.length === 1);

    await fake.stop();
    const error = await pending;
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(error).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(fake.calls[0].status).toBe(499);
  });

  it('rejects what OpenAI rejects: unknown paths, bad JSON, json_object without "json"', async () => {
    const notFound = await fetch(`${fake.baseUrl}/chat/complete`, { method: 'POST', body: '{}' });
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toMatchObject({ error: { message: 'Invalid URL (POST /v1/chat/complete)' } });

    const badJson = await fetch(`${fake.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: '{"model":',
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { type: 'invalid_request_error' } });

    const noJsonWord = await failure(ask('hi', { response_format: { type: 'json_object' } }));
    expect(noJsonWord).toBeInstanceOf(OpenAI.BadRequestError);
    expect(noJsonWord).toMatchObject({ status: 400, param: 'messages' });
  });

  it('lists the one model', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([MODEL]);
    await expect(client.models.retrieve(MODEL)).resolves.toMatchObject({ id: MODEL, object: 'model' });
    expect(await failure(client.models.retrieve('gpt-9'))).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('FakeOpenAIServer: speech to text (/v1/audio/transcriptions)', () => {
  const transcribe = (bytes: string | Buffer, name = 'voice.oga', model = 'whisper-1') =>
    toFile(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), name).then((file) => client.audio.transcriptions.create({ file, model, language: 'ru' }));

  it('hears a multipart upload and records the model, the file name, its size and the language', async () => {
    const result = await transcribe(`${FAKE_AUDIO_PREFIX} Сколько стоит курс?`);
    expect(result.text).toBe('Сколько стоит курс?');
    expect(fake.transcriptions).toEqual([expect.objectContaining({ model: 'whisper-1', fileName: 'voice.oga', language: 'ru', status: 200 })]);
    expect(fake.transcriptions[0].bytes).toBe(Buffer.byteLength(`${FAKE_AUDIO_PREFIX} Сколько стоит курс?`));
  });

  it('refuses like OpenAI: a format it does not take, bytes it cannot decode (400), a scripted 429 with retry-after', async () => {
    const badFormat = (await failure(transcribe(`${FAKE_AUDIO_PREFIX}hi`, 'notes.txt'))) as InstanceType<typeof OpenAI.APIError>;
    expect(badFormat).toBeInstanceOf(OpenAI.BadRequestError);
    expect(badFormat.message).toContain('Invalid file format. Supported formats:');
    const undecodable = (await failure(transcribe('OggS\u0000garbage'))) as InstanceType<typeof OpenAI.APIError>;
    expect(undecodable).toBeInstanceOf(OpenAI.BadRequestError);
    expect(undecodable.message).toContain('could not be decoded');
    fake.scriptTranscription({ kind: 'error', status: 429, retryAfterSeconds: 3 });
    const limited = (await failure(transcribe(`${FAKE_AUDIO_PREFIX}hi`))) as RateLimitError;
    expect(limited).toBeInstanceOf(RateLimitError);
    expect(limited.headers?.get('retry-after')).toBe('3');
    fake.scriptTranscription({ kind: 'text', text: 'scripted words' });
    expect((await transcribe('anything at all')).text).toBe('scripted words');
  });

  it('refuses a form without a model or without a file, and a wrong key', async () => {
    const form = (fields: Record<string, string | Blob>) => {
      const body = new FormData();
      for (const [key, value] of Object.entries(fields)) body.append(key, value);
      return fetch(`${fake.baseUrl}/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body });
    };
    const noModel = await form({ file: new Blob([`${FAKE_AUDIO_PREFIX}hi`]) });
    expect(noModel.status).toBe(400);
    expect(((await noModel.json()) as { error: { message: string } }).error.message).toBe('you must provide a model parameter');
    const noFile = await form({ model: 'whisper-1' });
    expect(noFile.status).toBe(400);
    expect(((await noFile.json()) as { error: { param: string } }).error.param).toBe('file');
    const stranger = new OpenAI({ apiKey: 'sk-wrong-key-000000', baseURL: fake.baseUrl, maxRetries: 0 });
    const file = await toFile(Buffer.from(`${FAKE_AUDIO_PREFIX}hi`), 'voice.oga');
    expect(await failure(stranger.audio.transcriptions.create({ file, model: 'whisper-1' }))).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

/**
 * A fake OpenAI Chat Completions API: a real HTTP server that the real `openai` client talks to
 * through `new OpenAI({ apiKey, baseURL: fake.baseUrl, maxRetries: 0 })`. It records every chat
 * completion request, answers from a queue of scripted answers (then from a fallback), and
 * shapes answers and errors like OpenAI does (same JSON bodies, statuses and headers), so the
 * client raises the same error classes it would raise against the real API.
 *
 * Served: POST /v1/chat/completions, POST /v1/audio/transcriptions (multipart, see
 * `transcription`), GET /v1/models and GET /v1/models/{id}. Any other path
 * gets OpenAI's 404 "Invalid URL". Like OpenAI, the fake rejects requests it could not serve
 * (body that is not JSON, no model, no messages, json_object without the word "json") before
 * it looks at the script, so those requests use up no scripted answer. It accepts any model
 * name for chat completions. It does not support `stream: true` (answers 400).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './wait-for';

export interface RecordedCompletion {
  body: {
    model: string;
    messages: { role: string; content: string }[];
    response_format?: unknown;
    temperature?: number;
    max_tokens?: number;
    [k: string]: unknown;
  };
  headers: Record<string, string | string[] | undefined>;
  /** When the request arrived (ms since epoch). */
  at: number;
  /**
   * The HTTP status the fake answered with; 0 while the answer is pending (delay, hang), and
   * 499 when the request ended without an answer (the client gave up, or stop() cut it).
   */
  status: number;
}

export type ScriptedAnswer =
  /** `content` is JSON.stringify'd into choices[0].message.content. */
  | { kind: 'json'; content: unknown; usage?: { prompt_tokens: number; completion_tokens: number } }
  /** Raw message content (malformed JSON, an empty string, prose). */
  | { kind: 'text'; content: string }
  /** An OpenAI-shaped error body {error:{message,type,param,code}}; a 429 carries a retry-after header (default 1 s). */
  | { kind: 'error'; status: 400 | 401 | 429 | 500 | 503; message?: string; retryAfterSeconds?: number }
  /** Answers `then` after `ms`; ends early when the client disconnects or on stop(). */
  | { kind: 'delay'; ms: number; then: ScriptedAnswer }
  /** Never answers, until the client gives up or stop(). */
  | { kind: 'hang' };

/** One speech-to-text request, as the fake understood its multipart form. */
export interface RecordedTranscription {
  model: string;
  fileName: string;
  bytes: number;
  language?: string;
  at: number;
  /** As for completions: 0 while pending, 499 when the request ended without an answer. */
  status: number;
}

/** What the next transcription requests get instead of the fake's own hearing of the file. */
export type ScriptedTranscription =
  | { kind: 'text'; text: string }
  | Extract<ScriptedAnswer, { kind: 'error' } | { kind: 'hang' }>
  | { kind: 'delay'; ms: number; then: ScriptedTranscription };

/** Bytes the fake "hears": a file starting with this prefix says the rest (UTF-8); anything else cannot be decoded. */
export const FAKE_AUDIO_PREFIX = 'FAKE-AUDIO:';
/** The formats OpenAI's transcription endpoint takes, by the file name's extension. */
const AUDIO_FORMATS = ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm'];
/** OpenAI refuses an upload over 25 MB before it reads the audio. */
const MAX_AUDIO_BYTES = 26_214_400;

export type Fallback = ScriptedAnswer | ((body: RecordedCompletion['body']) => ScriptedAnswer);

export interface FakeOpenAIServerOptions {
  /** When set, a request with another (or no) Bearer key gets 401 like OpenAI. */
  apiKey?: string;
  /** The one model GET /v1/models lists; default "gpt-4o-mini". */
  model?: string;
}

type Body = RecordedCompletion['body'];

interface Outcome {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

class OpenAIHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toOutcome(): Outcome {
    const { message, type, param, code } = this;
    return { status: this.status, body: { error: { message, type, param, code } }, headers: this.headers };
  }
}

const invalidRequest = (status: number, message: string, code: string | null = null, param: string | null = null) =>
  new OpenAIHttpError(status, message, 'invalid_request_error', code, param);

const NO_KEY =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.";
const BAD_JSON =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";
const NOT_SCRIPTED =
  'FakeOpenAIServer: no scripted answer left for this request (queue answers with script() or set one with setFallback())';

function scriptedError(answer: Extract<ScriptedAnswer, { kind: 'error' }>, model: string): OpenAIHttpError {
  const retryAfter: Record<string, string> = {};
  if (answer.retryAfterSeconds !== undefined || answer.status === 429) {
    retryAfter['retry-after'] = String(answer.retryAfterSeconds ?? 1);
  }
  const make = (message: string, type: string, code: string | null = null) =>
    new OpenAIHttpError(answer.status, answer.message ?? message, type, code, null, retryAfter);
  switch (answer.status) {
    case 400:
      return make('Invalid request.', 'invalid_request_error');
    case 401:
      return make(
        'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_request_error',
        'invalid_api_key',
      );
    case 429:
      return make(
        `Rate limit reached for ${model} on requests per min (RPM): Limit 3, Used 3, Requested 1. ` +
          `Please try again in ${answer.retryAfterSeconds ?? 1}s.`,
        'requests',
        'rate_limit_exceeded',
      );
    case 500:
      return make(
        'The server had an error while processing your request. Sorry about that!',
        'server_error',
      );
    case 503:
      return make('The server is overloaded or not ready yet.', 'server_error');
  }
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const randomId = (length: number) =>
  Array.from(randomBytes(length), (byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('');

/** Text of a message's content: a string, or the text parts of a content array. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => (typeof (part as { text?: unknown })?.text === 'string' ? (part as { text: string }).text : ''))
    .join('');
}

/** Roughly OpenAI's count: about 4 characters a token (the prompt adds a few per message). */
const estimateTokens = (text: string) => Math.ceil(text.length / 4);

/** Resolves after `ms` (never when undefined) or as soon as `signal` aborts. */
function pause(ms: number | undefined, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = ms === undefined ? undefined : setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/**
 * `fetch` for `new OpenAI({ ..., fetch: realmSafeFetch })` in Jest tests that check timeouts.
 *
 * Under Jest, Node's fetch rejects an aborted request with a DOMException from outside the
 * test's sandbox: it is no `instanceof Error` there, and the openai client's castToError turns it
 * into `Error("{}")`. The client then throws a plain APIConnectionError instead of
 * APIConnectionTimeoutError. This wrapper re-creates such errors as sandbox Errors with the same
 * name and message (the original as `cause`); outside Jest it changes nothing.
 */
export const realmSafeFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
  fetch(input, init).catch((error: unknown) => {
    if (error instanceof Error || typeof error !== 'object' || error === null) throw error;
    const { name, message } = error as { name?: unknown; message?: unknown };
    throw Object.assign(new Error(String(message ?? ''), { cause: error }), { name: String(name ?? 'Error') });
  });

export class FakeOpenAIServer {
  readonly calls: RecordedCompletion[] = [];
  /** The model GET /v1/models lists. */
  readonly model: string;

  private readonly apiKey?: string;
  readonly transcriptions: RecordedTranscription[] = [];
  private queue: ScriptedAnswer[] = [];
  private audioQueue: ScriptedTranscription[] = [];
  private fallback: Fallback = { kind: 'error', status: 500, message: NOT_SCRIPTED };
  /** One per request still waiting for its answer; stop() aborts them. */
  private readonly inFlight = new Set<AbortController>();
  private stopped = false;

  private constructor(
    private readonly server: Server,
    /** http://127.0.0.1:PORT/v1, what the client takes as `baseURL`. */
    readonly baseUrl: string,
    options: FakeOpenAIServerOptions,
  ) {
    this.apiKey = options.apiKey;
    this.model = options.model ?? 'gpt-4o-mini';
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch(() => res.destroy()); // e.g. the client vanished mid-body
    });
  }

  /** Listens on 127.0.0.1 on a free port. */
  static async start(options: FakeOpenAIServerOptions = {}): Promise<FakeOpenAIServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    return new FakeOpenAIServer(server, `http://127.0.0.1:${port}/v1`, options);
  }

  /** Answers for the next chat completion requests, in order of arrival; appended to those still queued. */
  script(...answers: ScriptedAnswer[]): void {
    this.queue.push(...answers);
  }

  /** Answers for the next transcription requests; without one the fake hears the file itself (FAKE_AUDIO_PREFIX). */
  scriptTranscription(...answers: ScriptedTranscription[]): void {
    this.audioQueue.push(...answers);
  }

  /**
   * What requests get once the script is used up (default: a 500 saying nothing was scripted).
   * A function answers from the request body; if it throws, the request gets a 500 with the error.
   */
  setFallback(answer: Fallback): void {
    this.fallback = answer;
  }

  /** Resolves once `predicate` holds (a throwing predicate counts as not yet); polls every 20 ms. */
  waitFor(predicate: () => boolean, timeoutMs = 10000): Promise<void> {
    return waitFor(predicate, timeoutMs, () => this.calls.slice(-10).map((c) => `${String(c.body.model)} (${c.status})`));
  }

  /** Ends pending (delayed, hanging) requests by closing their connections, then closes the server. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const pending of this.inFlight) pending.abort();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // --- HTTP plumbing ---

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://fake').pathname.replace(/\/+$/, '');
    let outcome: Outcome;
    try {
      if (method === 'POST' && path === '/v1/chat/completions') return await this.completion(req, res, raw);
      if (method === 'POST' && path === '/v1/audio/transcriptions') return await this.transcription(req, res, raw);
      if (method === 'GET' && path === '/v1/models') {
        this.authorize(req);
        outcome = { status: 200, body: { object: 'list', data: [this.modelObject()] } };
      } else if (method === 'GET' && path.startsWith('/v1/models/')) {
        this.authorize(req);
        const id = decodeURIComponent(path.slice('/v1/models/'.length));
        if (id !== this.model) {
          throw invalidRequest(404, `The model '${id}' does not exist`, 'model_not_found', 'model');
        }
        outcome = { status: 200, body: this.modelObject() };
      } else {
        throw invalidRequest(404, `Invalid URL (${method} ${path || '/'})`);
      }
    } catch (caught) {
      outcome = toOutcome(caught);
    }
    send(res, outcome);
  }

  private async completion(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return send(res, invalidRequest(400, BAD_JSON).toOutcome());
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return send(res, invalidRequest(400, BAD_JSON).toOutcome());
    }
    const call: RecordedCompletion = { body: body as Body, headers: { ...req.headers }, at: Date.now(), status: 0 };
    this.calls.push(call);

    // Notices a client that gives up (timeout, abort) and stop(), so a delay or hang ends at once.
    const pending = new AbortController();
    this.inFlight.add(pending);
    res.on('close', () => {
      if (!res.writableFinished) pending.abort();
    });
    try {
      this.authorize(req);
      validate(call.body);
      const outcome = await this.answer(call.body, this.next(call.body), pending.signal);
      if (outcome && !res.destroyed && !this.stopped) {
        call.status = outcome.status;
        send(res, outcome);
        return;
      }
    } catch (caught) {
      const outcome = toOutcome(caught);
      call.status = outcome.status;
      send(res, outcome);
      return;
    } finally {
      this.inFlight.delete(pending);
    }
    call.status = 499;
    res.destroy();
  }

  /**
   * Speech to text like OpenAI's endpoint: a multipart form with `file` and `model` (and an optional
   * `language`); the answer is `{ text }`. Refused like OpenAI: no form, no model or file (400), a
   * format it does not take or bytes it cannot decode (400), over 25 MB (413); scripted errors (429…) too.
   */
  private async transcription(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const call: RecordedTranscription = { model: '', fileName: '', bytes: raw.length, at: Date.now(), status: 0 };
    this.transcriptions.push(call);
    const pending = new AbortController();
    this.inFlight.add(pending);
    res.on('close', () => {
      if (!res.writableFinished) pending.abort();
    });
    try {
      this.authorize(req);
      if (raw.length > MAX_AUDIO_BYTES) throw new OpenAIHttpError(413, `Maximum content size limit (${MAX_AUDIO_BYTES}) exceeded (${raw.length} bytes read)`, 'invalid_request_error');
      const form = await new Response(raw, { headers: { 'content-type': String(req.headers['content-type'] ?? '') } }).formData().catch(() => {
        throw invalidRequest(400, 'Could not parse multipart form');
      });
      const model = form.get('model');
      const file = form.get('file');
      if (typeof model !== 'string' || model === '') throw invalidRequest(400, 'you must provide a model parameter');
      if (file === null || typeof file === 'string') throw invalidRequest(400, "Missing required parameter: 'file'.", 'missing_required_parameter', 'file');
      Object.assign(call, { model, fileName: file.name, bytes: file.size, language: (form.get('language') as string | null) ?? undefined });
      const extension = /\.([A-Za-z0-9]+)$/.exec(file.name)?.[1]?.toLowerCase() ?? '';
      if (!AUDIO_FORMATS.includes(extension)) {
        throw invalidRequest(400, `Invalid file format. Supported formats: ${JSON.stringify(AUDIO_FORMATS).replaceAll('"', "'")}`);
      }
      const bytes = Buffer.from(await file.arrayBuffer());
      const outcome = await this.hear(this.audioQueue.shift(), bytes, model, pending.signal);
      if (outcome && !res.destroyed && !this.stopped) {
        call.status = outcome.status;
        return send(res, outcome);
      }
    } catch (caught) {
      const outcome = toOutcome(caught);
      call.status = outcome.status;
      return send(res, outcome);
    } finally {
      this.inFlight.delete(pending);
    }
    call.status = 499;
    res.destroy();
  }

  /** A scripted answer, else what the file itself says. */
  private async hear(answer: ScriptedTranscription | undefined, bytes: Buffer, model: string, signal: AbortSignal): Promise<Outcome | undefined> {
    switch (answer?.kind) {
      case 'text':
        return { status: 200, body: { text: answer.text } };
      case 'error':
        return scriptedError(answer, model).toOutcome();
      case 'delay':
        await pause(Math.max(0, answer.ms), signal);
        return signal.aborted ? undefined : this.hear(answer.then, bytes, model, signal);
      case 'hang':
        await pause(undefined, signal);
        return undefined;
      case undefined: {
        const content = bytes.toString('utf8');
        if (!content.startsWith(FAKE_AUDIO_PREFIX)) throw invalidRequest(400, 'Audio file could not be decoded or its format is not supported.', 'audio_decode_error', 'file');
        return { status: 200, body: { text: content.slice(FAKE_AUDIO_PREFIX.length).trim() } };
      }
    }
  }

  /** Rejects a request without the expected Bearer key, like OpenAI. */
  private authorize(req: IncomingMessage): void {
    if (this.apiKey === undefined) return;
    const header = req.headers.authorization ?? '';
    const key = /^Bearer\s+(.*)$/i.exec(header)?.[1]?.trim() ?? '';
    if (key === this.apiKey) return;
    if (key === '') throw invalidRequest(401, NO_KEY);
    const shown = key.length > 8 ? `${key.slice(0, 3)}*****${key.slice(-4)}` : key;
    throw invalidRequest(
      401,
      `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      'invalid_api_key',
    );
  }

  /** The next scripted answer, else the fallback's. */
  private next(body: Body): ScriptedAnswer {
    const scripted = this.queue.shift();
    if (scripted) return scripted;
    if (typeof this.fallback !== 'function') return this.fallback;
    try {
      return this.fallback(body);
    } catch (error) {
      return { kind: 'error', status: 500, message: `FakeOpenAIServer: the fallback threw: ${String(error)}` };
    }
  }

  /** The answer to send, or undefined when the request ended first (client gone, or stop()). */
  private async answer(body: Body, answer: ScriptedAnswer, signal: AbortSignal): Promise<Outcome | undefined> {
    switch (answer.kind) {
      case 'json':
        return this.completionOutcome(body, JSON.stringify(answer.content) ?? 'null', answer.usage);
      case 'text':
        return this.completionOutcome(body, answer.content);
      case 'error':
        return scriptedError(answer, String(body.model)).toOutcome();
      case 'delay':
        await pause(Math.max(0, answer.ms), signal);
        return signal.aborted ? undefined : this.answer(body, answer.then, signal);
      case 'hang':
        await pause(undefined, signal);
        return undefined;
    }
  }

  private completionOutcome(
    body: Body,
    content: string,
    usage?: { prompt_tokens: number; completion_tokens: number },
  ): Outcome {
    const promptTokens =
      usage?.prompt_tokens ??
      body.messages.reduce((sum, message) => sum + 4 + estimateTokens(textOf(message?.content)), 3);
    const completionTokens = usage?.completion_tokens ?? estimateTokens(content);
    return {
      status: 200,
      body: {
        id: `chatcmpl-${randomId(29)}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content, refusal: null, annotations: [] },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: {
            reasoning_tokens: 0,
            audio_tokens: 0,
            accepted_prediction_tokens: 0,
            rejected_prediction_tokens: 0,
          },
        },
        service_tier: 'default',
        system_fingerprint: 'fp_fake',
      },
    };
  }

  private modelObject() {
    return { id: this.model, object: 'model', created: 1721172741, owned_by: 'system' };
  }
}

/** What OpenAI checks before it generates anything. */
function validate(body: Body): void {
  if (typeof body.model !== 'string' || body.model === '') {
    throw invalidRequest(400, 'you must provide a model parameter');
  }
  if (body.messages === undefined) {
    throw invalidRequest(400, "Missing required parameter: 'messages'.", 'missing_required_parameter', 'messages');
  }
  if (!Array.isArray(body.messages)) {
    throw invalidRequest(400, "Invalid type for 'messages': expected an array.", 'invalid_type', 'messages');
  }
  if (body.messages.length === 0) {
    throw invalidRequest(
      400,
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'empty_array',
      'messages',
    );
  }
  if (body.stream === true) {
    throw invalidRequest(400, 'FakeOpenAIServer does not support stream: true', null, 'stream');
  }
  const format = body.response_format as { type?: unknown } | undefined;
  if (format?.type === 'json_object' && !body.messages.some((m) => /json/i.test(textOf(m?.content)))) {
    throw invalidRequest(
      400,
      "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
      null,
      'messages',
    );
  }
}

function toOutcome(caught: unknown): Outcome {
  // A bug in the fake itself still answers like OpenAI, with the cause in the message.
  const error =
    caught instanceof OpenAIHttpError
      ? caught
      : new OpenAIHttpError(500, `FakeOpenAIServer internal error: ${String(caught)}`, 'server_error');
  return error.toOutcome();
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, outcome: Outcome): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(outcome.status, {
    'content-type': 'application/json',
    'x-request-id': `req_${randomBytes(16).toString('hex')}`,
    'openai-version': '2020-10-01',
    ...outcome.headers,
  });
  res.end(JSON.stringify(outcome.body));
}

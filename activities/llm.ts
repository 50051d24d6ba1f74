import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Api, RawApi } from 'grammy';
import OpenAI from 'openai';
import type { Logger } from 'pino';
import { z } from 'zod';
import { describeSchedule, type ScheduleTexts } from '../domain/course-schedule';
import type { Language } from '../domain/language';
import { confidentMatch, knowledgeAnswerText, promptEntry, usedEntryIds, type KnowledgeMatch } from '../domain/knowledge';
import { NEXT_ACTIONS, SALES_STAGES, type ModelReply } from '../domain/llm-reply';
import { selectMaterials } from '../domain/materials';
import type { Segment } from '../domain/product-matching';
import { searchKnowledge } from '../db/knowledge';
import type { Db } from '../db/knex';
import { listReadyMaterials } from '../db/materials';
import { listActiveProducts } from '../db/products';
import { SCENARIOS_DIR } from '../scenarios/loader';
import { defaultSchedulePath, loadSchedule } from '../scenarios/schedule-loader';
import { keepTyping } from './typing';

/** The model's JSON, validated at the edge: snake_case outside, the domain's ModelReply inside. */
const modelReplySchema = z
  .object({
    reply: z.string().trim().min(1).max(4000),
    intent: z.string().max(64).default('other'),
    next_action: z.enum(NEXT_ACTIONS),
    confidence: z.number().min(0).max(1),
    profile_updates: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
    readiness: z.number().default(0),
    stage: z.enum(SALES_STAGES),
    /** The knowledge entries (their ids from the context) the reply is built on; a malformed list only loses the record, never the reply. */
    knowledge_used: z
      .array(z.union([z.number(), z.string()]))
      .catch([])
      .transform((ids) => ids.slice(0, 20)),
  })
  .transform(
    (raw): ModelReply & { knowledgeUsed: (number | string)[] } => ({
      reply: raw.reply,
      intent: raw.intent,
      nextAction: raw.next_action,
      confidence: raw.confidence,
      profileUpdates: raw.profile_updates,
      readiness: raw.readiness,
      stage: raw.stage,
      knowledgeUsed: raw.knowledge_used,
    }),
  );

/** Why there is no usable reply: each leads to the templated answer, never to silence. */
export type LlmFailure = 'no_key' | 'timeout' | 'rate_limited' | 'api_error' | 'invalid_output' | 'empty';

/** An entry of the knowledge base sure enough to answer the lead by itself (docs/knowledge-base.md). */
export interface KnowledgeAnswer {
  entryId: number;
  key: string;
  score: number;
  /** The answer and its links, as the lead reads them. */
  text: string;
}

export type LlmTurnResult =
  | { ok: true; reply: ModelReply }
  /** `knowledge`: with no usable reply, a confident match answers instead of the templated step. */
  | { ok: false; reason: LlmFailure; detail: string; knowledge?: KnowledgeAnswer };

export interface LlmTurnRequest {
  leadId: number;
  language: Language;
  leadText: string;
  profile: { firstName?: string; segment: Segment | null; score: number | null; stage: string; readiness: number; answers: Record<string, string> };
  step: string;
  scheduleTexts: ScheduleTexts;
  /** Derived from the workflow: a retried activity records its call once. */
  idempotencyKey: string;
  /** The lead's chat: it sees "typing…" while the model thinks (absent in turns scheduled before this field). */
  chatId?: number;
}

export interface LlmDeps {
  db: Db;
  logger: Logger;
  /** null when OPENAI_API_KEY is unset: every turn is a templated answer. */
  openai: OpenAI | null;
  /** Sends the "typing…" chat action; without it the wait is silent. */
  api?: Api<RawApi>;
  model: string;
  timeoutMs?: number;
  schedulePath?: string;
  now?: () => Date;
}

const CONTEXT_MESSAGES = 10;
const CONTEXT_PRODUCTS = 10;
const CONTEXT_MATERIALS = 3;

/** Builds an OpenAI client from configuration; none without a key. */
export function createOpenAI(config: { apiKey?: string; baseURL?: string }): OpenAI | null {
  if (!config.apiKey) return null;
  // Retries are ours to decide: a failed turn becomes a templated answer at once.
  return new OpenAI({ apiKey: config.apiKey, baseURL: config.baseURL, maxRetries: 0 });
}

/**
 * The model behind the policy layer. It returns a validated reply or a typed failure and never
 * throws for the model's sake (only for Postgres, which Temporal retries); every call is recorded.
 */
export function createLlmActivities({ db, logger, openai, api, model, timeoutMs = 15_000, schedulePath = defaultSchedulePath(), now = () => new Date() }: LlmDeps) {
  const prompts = new Map<Language, string>();
  const systemPrompt = (language: Language) => {
    if (!prompts.has(language)) prompts.set(language, readFileSync(join(SCENARIOS_DIR, 'prompts', `system.${language}.md`), 'utf8'));
    return prompts.get(language) as string;
  };

  async function record(
    request: LlmTurnRequest,
    outcome: string,
    fallback: boolean,
    extra: { latencyMs?: number; promptTokens?: number; completionTokens?: number; error?: string; knowledgeOffered?: number[]; knowledgeUsed?: number[] },
  ) {
    await db('llm_calls')
      .insert({
        lead_id: request.leadId,
        purpose: 'reply',
        model,
        prompt_tokens: extra.promptTokens ?? null,
        completion_tokens: extra.completionTokens ?? null,
        latency_ms: extra.latencyMs ?? null,
        outcome,
        fallback,
        error: extra.error?.slice(0, 1000) ?? null,
        idempotency_key: request.idempotencyKey,
        knowledge_offered: extra.knowledgeOffered ?? [],
        knowledge_used: extra.knowledgeUsed ?? [],
      })
      .onConflict('idempotency_key')
      .ignore();
  }

  async function context(request: LlmTurnRequest, knowledge: readonly KnowledgeMatch[]) {
    const [messages, products, materials] = await Promise.all([
      db('messages').where({ lead_id: request.leadId, chat_id: db.raw('(select chat_id from leads where id = ?)', [request.leadId]) }).orderBy('id', 'desc').limit(CONTEXT_MESSAGES).select('direction', 'text'),
      listActiveProducts(db),
      listReadyMaterials(db, request.language),
    ]);
    const today = now().toISOString().slice(0, 10);
    const schedule = describeSchedule(loadSchedule(schedulePath, request.language), today, request.scheduleTexts, (d) => d);
    return {
      lead: request.profile,
      scenario_step: request.step,
      last_messages: messages.reverse().map((m) => ({ from: m.direction === 'in' ? 'lead' : 'bot', text: String(m.text ?? '').slice(0, 500) })),
      products: products.slice(0, CONTEXT_PRODUCTS).map((p) => ({ name: p.name, price: `${p.price} ${p.currency}`, for: p.targetSegments, about: p.description })),
      materials: selectMaterials(materials, { segment: request.profile.segment, stage: request.profile.stage, language: request.language, limit: CONTEXT_MATERIALS }).map((m) => ({ title: m.title, url: m.url })),
      course_schedule: schedule,
      // The school's own facts for this question: the model answers from them and names the ids it used.
      knowledge: knowledge.map((m) => promptEntry(m.entry)),
    };
  }

  return {
    /** One reply of the model to the lead's free text, with the context docs/llm-policy.md describes. */
    async llmReply(request: LlmTurnRequest): Promise<LlmTurnResult> {
      const knowledge = await searchKnowledge(db, request.language, request.leadText);
      const offered = knowledge.map((m) => m.entry.id);
      /** A failure, answered from a confident entry when there is one (recorded as the entry used). */
      const fail = async (reason: LlmFailure, detail: string, extra: Parameters<typeof record>[3] = {}): Promise<LlmTurnResult> => {
        const sure = confidentMatch(knowledge);
        await record(request, reason, true, { ...extra, knowledgeOffered: openai ? offered : [], knowledgeUsed: sure ? [sure.entry.id] : [] });
        if (!sure) return { ok: false, reason, detail };
        logger.info({ leadId: request.leadId, reason, entry: sure.entry.key, score: sure.score }, 'no model reply; answered from the knowledge base');
        return { ok: false, reason, detail, knowledge: { entryId: sure.entry.id, key: sure.entry.key, score: sure.score, text: knowledgeAnswerText(sure.entry) } };
      };
      if (!openai) return fail('no_key', 'OPENAI_API_KEY is not set');
      const started = Date.now();
      let content: string | null | undefined;
      let usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
      // "typing…" from here until the activity returns; the answer itself goes out right after it.
      const typing = api && request.chatId !== undefined ? await keepTyping(api, request.chatId, logger) : undefined;
      try {
        const completion = await openai.chat.completions.create(
          {
            model,
            temperature: 0.4,
            max_tokens: 700,
            response_format: { type: 'json_object' },
            messages: [
              { role: 'system', content: systemPrompt(request.language) },
              { role: 'system', content: `Context (JSON):\n${JSON.stringify(await context(request, knowledge))}` },
              { role: 'user', content: request.leadText.slice(0, 4000) },
            ],
          },
          { timeout: timeoutMs },
        );
        content = completion.choices[0]?.message?.content;
        usage = completion.usage;
      } catch (error) {
        const reason: LlmFailure = isTimeout(error) ? 'timeout' : error instanceof OpenAI.RateLimitError ? 'rate_limited' : 'api_error';
        const detail = error instanceof Error ? error.message : String(error);
        logger.warn({ leadId: request.leadId, reason, detail }, 'llm call failed; templated answer');
        return fail(reason, detail, { latencyMs: Date.now() - started, error: detail });
      } finally {
        typing?.stop();
      }
      const tokens = { latencyMs: Date.now() - started, promptTokens: usage?.prompt_tokens, completionTokens: usage?.completion_tokens };
      if (!content?.trim()) return fail('empty', 'the model returned no content', tokens);
      const parsed = safeJson(content);
      const reply = parsed === undefined ? undefined : modelReplySchema.safeParse(parsed);
      if (!reply?.success) {
        const detail = reply ? reply.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : 'not JSON';
        logger.warn({ leadId: request.leadId, detail }, 'llm output invalid; templated answer');
        return fail('invalid_output', detail, { ...tokens, error: detail });
      }
      const { knowledgeUsed, ...modelReply } = reply.data;
      await record(request, 'ok', false, { ...tokens, knowledgeOffered: offered, knowledgeUsed: usedEntryIds(knowledgeUsed, offered) });
      return { ok: true, reply: modelReply };
    },
  };
}

export type LlmActivities = ReturnType<typeof createLlmActivities>;

function isTimeout(error: unknown): boolean {
  return error instanceof OpenAI.APIConnectionTimeoutError || (error instanceof Error && error.name === 'APIConnectionTimeoutError');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The knowledge base's rules (docs/knowledge-base.md): what an entry is, how many go into a prompt,
 * when a match is sure enough to answer a lead without the model, and what that answer looks like.
 * Plain code: the LLM activity, the staff panel and the importer share it.
 */
import { encodeButton } from './callback-data';
import type { OutboundButton } from './conversation';
import type { Language } from './language';
import type { Scenario } from './scenario';

/** One fact the school stands behind, as editors write it. */
export interface KnowledgeEntry {
  id: number;
  key: string;
  language: Language;
  question: string;
  /** Other ways leads ask the same thing (typed by editors; matched like the question). */
  variants: string[];
  answer: string;
  tags: string[];
  links: string[];
  active: boolean;
}

/** An entry found for a lead's text, with how close the text is to it (0–1, see db/knowledge.ts). */
export interface KnowledgeMatch {
  entry: KnowledgeEntry;
  score: number;
}

/** The entries put into one model prompt: the few most relevant, so the prompt stays small. */
export const PROMPT_ENTRIES = 4;

/** Entries below this score are not relevant enough to show the model. */
export const RELEVANT_SCORE = 0.3;

/**
 * With no model (no key, an error, a timeout), an entry at or above this score answers the lead by
 * itself. High on purpose: a wrong fact is worse than the templated answer with its buttons.
 */
export const CONFIDENT_SCORE = 0.6;

/** Limits that keep one entry readable in a prompt and in one Telegram message. */
export const KNOWLEDGE_LIMITS = { question: 500, variant: 300, variants: 30, answer: 3000, tag: 64, tags: 20, links: 5, link: 500 } as const;

/**
 * The two signals of the search (db/knowledge.ts) made into a score (how sure the entry is the answer)
 * and a relevance (worth showing the model). `phraseScore`: trigram closeness of a question or variant
 * to the text; the hits: the text's stemmed words found in the question, variants and tags, or only in
 * the answer. A text of one word counts half, so "курс?" alone is never sure of anything.
 */
export function scoreKnowledgeMatch(s: { phraseScore: number; words: number; questionHits: number; answerHits: number }): { score: number; relevance: number } {
  const weight = Math.min(1, s.words / 2);
  const coverage = (hits: number) => (s.words === 0 ? 0 : (hits / s.words) * weight);
  const score = round(Math.max(s.phraseScore, coverage(s.questionHits)));
  return { score, relevance: round(Math.max(score, coverage(s.answerHits) / 2)) };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The surest match when it is sure enough to be sent as it is; undefined otherwise. */
export function confidentMatch(matches: readonly KnowledgeMatch[]): KnowledgeMatch | undefined {
  const best = [...matches].sort((a, b) => b.score - a.score)[0];
  return best && best.score >= CONFIDENT_SCORE ? best : undefined;
}

/** What the lead reads when an entry answers by itself: the answer, then its links. */
export function knowledgeAnswerText(entry: Pick<KnowledgeEntry, 'answer' | 'links'>): string {
  return [entry.answer.trim(), ...(entry.links.length ? ['', ...entry.links.map((link) => `🔗 ${link}`)] : [])].join('\n');
}

/** How an entry is described to the model: its id (which the model names back), the question, the answer. */
export function promptEntry(entry: KnowledgeEntry): { id: number; question: string; answer: string; links?: string[] } {
  return { id: entry.id, question: entry.question, answer: entry.answer, ...(entry.links.length ? { links: entry.links } : {}) };
}

/** The ids the model named that were really offered to it, once each, in its order; anything else is dropped. */
export function usedEntryIds(named: readonly (number | string)[], offered: readonly number[]): number[] {
  const ids = named.map((id) => (typeof id === 'number' ? id : Number(String(id).replace(/^#/, '')))).filter((id) => offered.includes(id));
  return [...new Set(ids)];
}

/**
 * The buttons under an answer from the knowledge base: those of the scenario's fallback step
 * (materials, consultation, manager), which stay live, so the lead has the same ways on as with
 * the templated answer.
 */
export function knowledgeAnswerButtons(scenario: Scenario): OutboundButton[][] | undefined {
  const step = scenario.steps[scenario.fallback];
  const rows = (step?.messages ?? [])
    .flatMap((m) => m.buttons ?? [])
    .map((row) => row.flatMap((b): OutboundButton[] => ('goto' in b ? [{ text: b.text, data: encodeButton(scenario.fallback, b.id) }] : 'url' in b ? [{ text: b.text, url: b.url }] : [])))
    .filter((row) => row.length > 0);
  return rows.length ? rows : undefined;
}

import { MATCH_THRESHOLD, matchProducts, type Segment } from '../../domain/product-matching';
import type { ProductDraft } from '../../domain/staff/product-draft';
import { scoreSurvey, type Survey } from '../../domain/survey';
import { findLeads, parseLeadQuery, type FoundLead } from '../../db/lead-search';
import type { Knex } from 'knex';

export const PROBE_TEXTS = {
  usage: 'Пришлите @username, telegram id или телефон лида.',
  notFound: (query: string) => `Лид «${query}» не найден. Пришлите другой запрос или вернитесь к черновику.`,
  several: (lines: string[]) => `Нашлось несколько лидов, пришлите telegram id:\n${lines.join('\n')}`,
};

export type ProbeAnswer = { found: true; text: string } | { found: false; text: string };

/**
 * "Test the matching on this lead": how the draft (its criteria as they stand, before publishing)
 * scores for one lead's survey answers, with the same rule the bot uses to offer a product.
 */
export async function probeDraftOnLead(db: Knex, draft: ProductDraft, productId: number | null, query: string, survey: Survey | undefined): Promise<ProbeAnswer> {
  const parsed = parseLeadQuery(query);
  if (!parsed) return { found: false, text: PROBE_TEXTS.usage };
  const leads = await findLeads(db, parsed);
  if (leads.length === 0) return { found: false, text: PROBE_TEXTS.notFound(query) };
  if (leads.length > 1) return { found: false, text: PROBE_TEXTS.several(leads.map((l) => `• ${l.telegram_user_id} ${l.first_name ?? ''}${l.username ? ` @${l.username}` : ''}`)) };
  return { found: true, text: describeProbe(draft, productId, leads[0], survey) };
}

function describeProbe(draft: ProductDraft, productId: number | null, lead: FoundLead, survey: Survey | undefined): string {
  const answers: Record<string, string> = (lead as FoundLead & { answers?: Record<string, string> }).answers ?? {};
  const levels = survey ? scoreSurvey(survey, answers) : { budgetLevel: null, urgencyLevel: null };
  const id = productId ?? 0;
  // Scored as if active: an admin tests a hidden draft before showing it.
  const [match] = matchProducts([{ ...draft, id, active: true }], draft.criteria.map((c) => ({ ...c, productId: id })), {
    answers,
    segment: lead.segment as Segment | null,
    budgetLevel: levels.budgetLevel,
    urgencyLevel: levels.urgencyLevel,
  }).top;
  const matched = draft.criteria.filter((c) => answers[c.question] === c.answer);
  const who = `${lead.first_name ?? '—'}${lead.username ? ` @${lead.username}` : ''} (id ${lead.telegram_user_id})`;
  const answered = Object.entries(answers).map(([q, a]) => `${q} ${a}`);
  const threshold = Math.round(MATCH_THRESHOLD * 100);
  return [
    `🧪 «${draft.name || draft.code || 'черновик'}» для лида ${who}`,
    `Совпадение: ${match.percent}% — ${match.score >= MATCH_THRESHOLD ? `не ниже порога ${threshold}%: продукт можно предложить, если у другого продукта не больше` : `ниже порога ${threshold}%: этот продукт лиду не предложат`}.`,
    `Почему подходит:${match.reasons.length ? match.reasons.map((r) => `\n• ${r}`).join('') : ' —'}`,
    `Совпавшие критерии: ${matched.length ? matched.map((c) => `${c.question} ${c.answer} ${c.weight > 0 ? '+' : ''}${c.weight}`).join(', ') : '—'}`,
    `Ответы лида: ${answered.length ? answered.join(', ') : 'лид ещё не отвечал на анкету'} · сегмент ${lead.segment ?? '—'}`,
  ].join('\n');
}

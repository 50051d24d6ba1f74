import { noteCampaignOutcome } from '../db/campaign-outcomes';
import type { Logger } from 'pino';
import type { MatchSummary, OutboundContent, ProductMedia } from '../domain/conversation';
import { productMedia } from '../domain/staff/product-draft';
import { TELEGRAM_FILE_PREFIX } from '../domain/content';
import { describeSchedule, type ScheduleTexts } from '../domain/course-schedule';
import type { Language } from '../domain/language';
import { selectMaterials } from '../domain/materials';
import { matchProducts, type Segment } from '../domain/product-matching';
import { scoreSurvey, type Survey, type SurveyOutcome } from '../domain/survey';
import type { Db } from '../db/knex';
import { listReadyMaterials } from '../db/materials';
import { listActiveProducts, listCriteria, recordMatch } from '../db/products';
import { templateWithDocument } from '../db/templates';
import { defaultSchedulePath, loadSchedule } from '../scenarios/schedule-loader';

/** The product's media as the result card sends it (see productMedia for how it is stored). */
function mediaOf(mediaUrl: string | undefined): { media?: ProductMedia } {
  const media = productMedia(mediaUrl);
  return media ? { media: { kind: media.kind, file: media.source } } : {};
}

export interface JourneyDeps {
  db: Db;
  logger: Logger;
  /** Where the course schedule lives (tests point it elsewhere). */
  schedulePath?: string;
  /** The clock for "today" in schedule answers (tests pin it). */
  now?: () => Date;
}

/** The data the journey's steps need: products, materials, the schedule, the lead's profile. */
export function createJourneyActivities({ db, logger, schedulePath = defaultSchedulePath(), now = () => new Date() }: JourneyDeps) {
  async function materialsList(request: { language: Language; segment: Segment | null; stage: string | null; limit: number; header: string; empty: string }): Promise<OutboundContent[]> {
    const materials = selectMaterials(await listReadyMaterials(db, request.language), request);
    if (materials.length === 0) return [{ type: 'text', text: request.empty }];
    const lines = materials.map((m) => `• ${m.title}${m.url ? ` — ${m.url}` : m.fileId ? ' 📎' : ''}\n  ${m.summary}`);
    const files: OutboundContent[] = materials.flatMap((m) => (m.fileId ? [{ type: 'document' as const, document: `${TELEGRAM_FILE_PREFIX}${m.fileId}`, caption: m.title.slice(0, 1024) }] : []));
    return [{ type: 'text', text: `${request.header}\n\n${lines.join('\n\n')}` }, ...files];
  }

  return {
    /** Matches the lead's answers against active products and logs the top 3; null when nothing reaches the threshold. */
    async matchProductsForLead(request: {
      leadId: number;
      answers: Record<string, string>;
      segment: Segment | null;
      survey: Survey | null;
      idempotencyKey: string;
    }): Promise<MatchSummary | null> {
      const products = await listActiveProducts(db);
      const criteria = await listCriteria(db, products.map((p) => p.id));
      const levels = request.survey ? scoreSurvey(request.survey, request.answers) : { budgetLevel: null, urgencyLevel: null };
      const result = matchProducts(products, criteria, {
        answers: request.answers,
        segment: request.segment,
        budgetLevel: levels.budgetLevel,
        urgencyLevel: levels.urgencyLevel,
      });
      await recordMatch(db, { leadId: request.leadId, result, idempotencyKey: request.idempotencyKey });
      logger.info({ leadId: request.leadId, best: result.best?.product.code ?? null, top: result.top.map((m) => [m.product.code, m.percent]) }, 'products matched');
      const best = result.best;
      if (!best) return null;
      return {
        code: best.product.code,
        name: best.product.name,
        percent: best.percent,
        reasons: best.reasons.slice(0, 3),
        price: best.product.price,
        currency: best.product.currency,
        landingUrl: best.product.landingUrl,
        valuePropositions: best.product.valuePropositions,
        ...mediaOf(best.product.mediaUrl),
      };
    },

    /** A message listing up to `limit` materials for the lead's segment and stage. */
    async materialsMessage(request: {
      language: Language;
      segment: Segment | null;
      stage: string | null;
      limit: number;
      header: string;
      empty: string;
    }): Promise<OutboundContent> {
      // Conversations from before materials-as-files: the list alone.
      return (await materialsList(request))[0];
    },

    /**
     * The materials as they are meant to be shown: the list (links as links), then each material that
     * has a file (an editor attached it with /material_file) sent as that file, its title as the caption.
     */
    materialsMessages: materialsList,

    /** "When does it start": the next open cohort, and seats only when really few are left. */
    async scheduleAnswer(request: { language: Language; timeZone: string; texts: ScheduleTexts }): Promise<string> {
      const schedule = loadSchedule(schedulePath, request.language);
      const today = new Intl.DateTimeFormat('en-CA', { timeZone: request.timeZone }).format(now());
      const locale = request.language === 'ru' ? 'ru-RU' : 'en-GB';
      const formatDate = (isoDate: string) =>
        new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(`${isoDate}T00:00:00Z`));
      return describeSchedule(schedule, today, request.texts, formatDate);
    },

    /** Stores the survey's outcome on the lead (segment, score, answers) for managers and analytics. */
    async saveSurveyOutcome(request: { leadId: number; outcome: SurveyOutcome; answers: Record<string, string> }): Promise<void> {
      await db('leads')
        .where({ id: request.leadId })
        .update({ segment: request.outcome.segment, segment_source: 'survey', score: request.outcome.score, answers: JSON.stringify(request.answers), updated_at: db.fn.now() });
    },

    /** The sales stage the policy moved the lead to (forward only), for managers and analytics. */
    async saveStage(request: { leadId: number; stage: string }): Promise<void> {
      await db('leads').where({ id: request.leadId }).update({ stage: request.stage, updated_at: db.fn.now() });
    },

    /** The editors' version of a template (e.g. `follow_up.h24`), if they changed it from Telegram. */
    /**
     * The editors' version of a template: its text, or its text and file. (A plain string when there is
     * no file, as this activity always answered, so recorded histories replay unchanged.)
     */
    async templateText(request: { key: string; language: Language }): Promise<string | { text: string; document: string } | null> {
      const edited = await templateWithDocument(db, request.key, request.language);
      if (!edited) return null;
      return edited.document ? { text: edited.text, document: edited.document } : edited.text;
    },

    /** /stop and its reverse: no follow-ups or broadcasts while opted out. */
    async setOptedOut(request: { leadId: number; optedOut: boolean }): Promise<void> {
      await db('leads')
        .where({ id: request.leadId })
        .update({
          opted_out: request.optedOut,
          mode: db.raw(`case when mode in ('bot', 'opted_out') then ? else mode end`, [request.optedOut ? 'opted_out' : 'bot']),
          updated_at: db.fn.now(),
        });
      if (request.optedOut) await noteCampaignOutcome(db, request.leadId, 'unsubscribed');
    },
  };
}

export type JourneyActivities = ReturnType<typeof createJourneyActivities>;

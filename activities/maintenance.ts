import type { Logger } from 'pino';
import type { Db } from '../db/knex';

/** Events that mean a lead asked for a person or a purchase; the digest lists the day's ones. */
const WAITING_EVENTS = ['manager_requested', 'purchase_intent', 'request_started', 'consultation_started'];

/** The digest lists the latest this many leads (the count covers all). */
const DIGEST_MAX_LEADS = 50;

export interface RetentionPolicy {
  /** Records older than this are deleted by the nightly cleanup. */
  days: number;
}

/** The scheduled jobs' work: the managers' daily digest and data retention. */
export function createMaintenanceActivities({ db, logger, retention = { days: 365 } }: { db: Db; logger: Logger; retention?: RetentionPolicy }) {
  return {
    /**
     * Leads who asked for a manager, a purchase or a consultation in the 24 hours before `until`,
     * newest last. Until the handoff workflow marks leads as taken, every such lead is listed.
     */
    async waitingLeadsDigest(request: { until: string }): Promise<{ text: string | null; count: number }> {
      const rows = await db('events as e')
        .join('leads as l', 'l.id', 'e.lead_id')
        .whereIn('e.type', WAITING_EVENTS)
        .where('e.created_at', '>', db.raw(`?::timestamptz - interval '24 hours'`, [request.until]))
        .where('e.created_at', '<=', request.until)
        .groupBy('l.id', 'l.first_name', 'l.username', 'l.telegram_user_id', 'l.segment', 'l.score')
        .select('l.first_name', 'l.username', 'l.telegram_user_id', 'l.segment', 'l.score', db.raw('array_agg(distinct e.type) as reasons'), db.raw('max(e.created_at) as last_at'))
        .orderBy('last_at');
      if (rows.length === 0) return { text: null, count: 0 };
      const shown = rows.slice(-DIGEST_MAX_LEADS);
      const lines = shown.map((r, i) => {
        const who = [r.first_name, r.username && `@${r.username}`].filter(Boolean).join(' ');
        const profile = r.segment ? `, ${r.segment} ${r.score ?? ''}`.trimEnd() : '';
        return `${i + 1}. ${who} (id ${r.telegram_user_id})${profile}: ${(r.reasons as string[]).join(', ')}`;
      });
      const more = rows.length > shown.length ? `\n…и ещё ${rows.length - shown.length} раньше` : '';
      return { text: `📋 Лиды, ждущие менеджера, за сутки: ${rows.length}\n\n${lines.join('\n')}${more}`, count: rows.length };
    },

    /**
     * Deletes what is older than the retention period: updates the anti-spam guard dropped, model call
     * logs, settled drafts, past bookings, import reports.
     */
    async cleanupOldData(request: { now: string }): Promise<Record<string, number>> {
      const before = db.raw(`?::timestamptz - make_interval(days => ?)`, [request.now, retention.days]);
      const deleted = {
        dropped_updates: await db('dropped_updates').where('created_at', '<', before).delete(),
        llm_calls: await db('llm_calls').where('created_at', '<', before).delete(),
        llm_drafts: await db('llm_drafts').whereNot('status', 'pending').where('updated_at', '<', before).delete(),
        bookings: await db('bookings').whereIn('status', ['cancelled', 'done']).where('updated_at', '<', before).delete(),
        material_imports: await db('material_imports').where('created_at', '<', before).delete(),
      };
      logger.info({ deleted, retentionDays: retention.days }, 'retention cleanup');
      return deleted;
    },
  };
}

export type MaintenanceActivities = ReturnType<typeof createMaintenanceActivities>;

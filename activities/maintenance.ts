import type { Logger } from 'pino';
import type { Db } from '../db/knex';

/** The digest lists the first this many leads in its order (the count covers all). */
const DIGEST_MAX_LEADS = 50;

export interface RetentionPolicy {
  /** Records older than this are deleted by the nightly cleanup. */
  days: number;
}

/** The scheduled jobs' work: the managers' daily digest and data retention. */
export function createMaintenanceActivities({ db, logger, retention = { days: 365 } }: { db: Db; logger: Logger; retention?: RetentionPolicy }) {
  return {
    /**
     * Leads no manager has taken (docs/follow-ups.md#managers-daily-digest-and-cleanup), judged by each lead's latest handoff if it was
     * opened at or before `until` (a later one goes in the next digest): listed when it is still
     * waiting, whatever its age, or when it closed by the 24-hour timeout without ever being taken in
     * the 24 hours before `until`. A lead whose latest handoff was taken is not listed, even if an
     * earlier one timed out. Highest priority first, then the longest waiting. One query: the first
     * DIGEST_MAX_LEADS lines and the count of all; `text` is null when there are none (nothing is posted).
     */
    async waitingLeadsDigest(request: { until: string }): Promise<{ text: string | null; count: number }> {
      const until = db.raw('?::timestamptz', [request.until]);
      const latestHandoffs = db('handoffs')
        .distinctOn('lead_id')
        .select('lead_id', 'trigger', 'priority', 'status', 'outcome', 'created_at', 'taken_at', 'closed_at')
        .orderBy([{ column: 'lead_id' }, { column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]);
      const rows: UntakenLeadRow[] = await db
        .with('latest', latestHandoffs)
        .from('latest as h')
        .join('leads as l', 'l.id', 'h.lead_id')
        .where('h.created_at', '<=', until)
        .where((untaken) =>
          untaken.where('h.status', 'waiting').orWhere((timedOut) =>
            timedOut
              .where({ 'h.status': 'closed', 'h.outcome': 'timeout' })
              .whereNull('h.taken_at')
              .where('h.closed_at', '>', db.raw(`?::timestamptz - interval '24 hours'`, [request.until]))
              .where('h.closed_at', '<=', until),
          ),
        )
        .select(
          'l.first_name',
          'l.username',
          'l.telegram_user_id',
          'l.segment',
          'l.score',
          'h.trigger',
          'h.priority',
          'h.status',
          db.raw(`floor(extract(epoch from ?::timestamptz - h.created_at) / 60)::int as waited_minutes`, [request.until]),
          db.raw('count(*) over () as total'),
        )
        .orderBy([{ column: 'h.priority', order: 'desc' }, { column: 'h.created_at' }, { column: 'h.lead_id' }])
        .limit(DIGEST_MAX_LEADS);
      if (rows.length === 0) return { text: null, count: 0 };
      const total = rows[0].total;
      const lines = rows.map((r, i) => {
        const who = [r.first_name, r.username && `@${r.username}`].filter(Boolean).join(' ');
        const profile = r.segment ? `, ${r.segment} ${r.score ?? ''}`.trimEnd() : '';
        const wait = r.status === 'waiting' ? `ждёт ${waitedFor(r.waited_minutes)}` : 'не взят, закрыт по тайм-ауту';
        return `${i + 1}. ${who} (id ${r.telegram_user_id})${profile}: ${r.trigger}, приоритет ${r.priority}, ${wait}`;
      });
      const more = total > rows.length ? `\n…и ещё ${total - rows.length}` : '';
      return { text: `📋 Лиды, не взятые менеджером: ${total}\n\n${lines.join('\n')}${more}`, count: total };
    },

    /**
     * Deletes what is older than the retention period: updates the anti-spam guard dropped, model call
     * logs, settled drafts, past bookings, import reports, stored payment webhooks.
     */
    async cleanupOldData(request: { now: string }): Promise<Record<string, number>> {
      const before = db.raw(`?::timestamptz - make_interval(days => ?)`, [request.now, retention.days]);
      const deleted = {
        dropped_updates: await db('dropped_updates').where('created_at', '<', before).delete(),
        llm_calls: await db('llm_calls').where('created_at', '<', before).delete(),
        llm_drafts: await db('llm_drafts').whereNot('status', 'pending').where('updated_at', '<', before).delete(),
        bookings: await db('bookings').whereIn('status', ['cancelled', 'done']).where('updated_at', '<', before).delete(),
        material_imports: await db('material_imports').where('created_at', '<', before).delete(),
        // Raw provider bodies (names, e-mails); the order keeps what the money needs.
        payment_webhooks: await db('payment_webhooks').where('received_at', '<', before).delete(),
      };
      logger.info({ deleted, retentionDays: retention.days }, 'retention cleanup');
      return deleted;
    },
  };
}

interface UntakenLeadRow {
  first_name: string | null;
  username: string | null;
  telegram_user_id: number;
  segment: string | null;
  score: number | null;
  trigger: string;
  priority: number;
  status: 'waiting' | 'closed';
  waited_minutes: number;
  total: number;
}

/** "45 мин", "3 ч 5 мин", "2 д 4 ч": how long a waiting lead has waited. */
function waitedFor(minutes: number): string {
  const m = Math.max(0, minutes);
  if (m < 60) return `${m} мин`;
  if (m < 24 * 60) return [`${Math.floor(m / 60)} ч`, m % 60 ? `${m % 60} мин` : ''].filter(Boolean).join(' ');
  const hours = Math.floor(m / 60) % 24;
  return [`${Math.floor(m / (24 * 60))} д`, hours ? `${hours} ч` : ''].filter(Boolean).join(' ');
}

export type MaintenanceActivities = ReturnType<typeof createMaintenanceActivities>;

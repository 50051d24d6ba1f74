import type { Logger } from 'pino';
import type { Db } from '../db/knex';
import { openPaymentFlags } from '../db/payment-flags';
import { TAKE_SLA_MS } from '../domain/handoff';
import { OPEN_FLAGS_SHOWN, openFlagsSection } from '../domain/payments/open-flags';

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
          // Waiting past the take SLA (docs/manager-handoff.md): the count the managers must act on first.
          db.raw(`(count(*) filter (where h.status = 'waiting' and h.created_at <= ?::timestamptz - make_interval(secs => ?)) over ())::int as over_sla`, [request.until, TAKE_SLA_MS / 1000]),
        )
        .orderBy([{ column: 'h.priority', order: 'desc' }, { column: 'h.created_at' }, { column: 'h.lead_id' }])
        .limit(DIGEST_MAX_LEADS);
      const incomplete = await incompleteForms(db, request.until);
      // Payments waiting for a person, each flag on its own (docs/payments.md#flags).
      const open = await openPaymentFlags(db, { limit: OPEN_FLAGS_SHOWN, until: request.until });
      const flags = openFlagsSection(open.flags, open.total);
      if (rows.length === 0 && incomplete.length === 0 && !flags) return { text: null, count: 0 };
      const total = Number(rows[0]?.total ?? 0);
      const overSla = rows[0]?.over_sla ?? 0;
      const lines = rows.map((r, i) => {
        const who = [r.first_name, r.username && `@${r.username}`].filter(Boolean).join(' ');
        const profile = r.segment ? `, ${r.segment} ${r.score ?? ''}`.trimEnd() : '';
        const wait = r.status === 'waiting' ? `ждёт ${waitedFor(r.waited_minutes)}` : 'не взят, закрыт по тайм-ауту';
        return `${i + 1}. ${who} (id ${r.telegram_user_id})${profile}: ${r.trigger}, приоритет ${r.priority}, ${wait}`;
      });
      const more = total > rows.length ? `\n…и ещё ${total - rows.length}` : '';
      const sections = [
        ...(total > 0 ? [`📋 Лиды, не взятые менеджером: ${total}\n\n${lines.join('\n')}${more}`] : []),
        ...(overSla > 0 ? [`⏰ Ждут дольше ${TAKE_SLA_MS / 60_000} мин (норма взятия): ${overSla}`] : []),
        ...(incomplete.length > 0 ? [incompleteSection(incomplete)] : []),
        ...(flags ? [flags] : []),
      ];
      return { text: sections.join('\n\n'), count: total };
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

interface IncompleteFormRow {
  first_name: string | null;
  username: string | null;
  telegram_user_id: number;
  phase: string | null;
  phone: boolean | null;
  total: number;
}

/**
 * Contact forms left incomplete (`lead_incomplete`, docs/lead-journey.md#contact-form) in the 24 hours
 * before `until` and not finished since (no contact-form `lead_created` after it): one line per lead.
 */
async function incompleteForms(db: Db, until: string): Promise<IncompleteFormRow[]> {
  const at = db.raw('?::timestamptz', [until]);
  const latest = db('events')
    .distinctOn('lead_id')
    .where({ type: 'lead_incomplete' })
    .whereNotNull('lead_id')
    .where('created_at', '>', db.raw(`?::timestamptz - interval '24 hours'`, [until]))
    .where('created_at', '<=', at)
    .select('lead_id', 'payload', 'created_at')
    .orderBy([{ column: 'lead_id' }, { column: 'created_at', order: 'desc' }]);
  return db
    .with('incomplete', latest)
    .from('incomplete as i')
    .join('leads as l', 'l.id', 'i.lead_id')
    .whereNotExists((finished) =>
      finished
        .from('events as done')
        .whereRaw('done.lead_id = i.lead_id')
        .where('done.type', 'lead_created')
        .whereRaw(`done.payload->>'trigger' = 'contact_form'`)
        .whereRaw('done.created_at > i.created_at')
        .where('done.created_at', '<=', at),
    )
    .select('l.first_name', 'l.username', 'l.telegram_user_id', db.raw(`i.payload->>'phase' as phase`), db.raw(`(i.payload->>'phone')::boolean as phone`), db.raw('count(*) over ()::int as total'))
    .orderBy('i.created_at')
    .limit(DIGEST_MAX_LEADS);
}

const FORM_PHASES: Record<string, string> = { name: 'имя', phone: 'телефон', email: 'e-mail' };

function incompleteSection(rows: IncompleteFormRow[]): string {
  const total = rows[0].total;
  const lines = rows.map((r, i) => {
    const who = [r.first_name, r.username && `@${r.username}`].filter(Boolean).join(' ');
    const phase = r.phase ? `остановился на шаге «${FORM_PHASES[r.phase] ?? r.phase}»` : 'не закончил';
    return `${i + 1}. ${who} (id ${r.telegram_user_id}): ${phase}, телефон ${r.phone ? 'есть' : 'нет'}`;
  });
  const more = total > rows.length ? `\n…и ещё ${total - rows.length}` : '';
  return `🧾 Незаполненные заявки за сутки: ${total}\n\n${lines.join('\n')}${more}`;
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
  over_sla: number;
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

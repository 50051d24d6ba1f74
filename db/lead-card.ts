import type { Knex } from 'knex';
import { messageLine, renderLeadCard, type LeadCardSection } from '../domain/lead-card';
import { notesOf } from './lead-notes';
import { learnedProfileSection } from './lead-profile-card';
import type { FoundLead } from './lead-search';
import { spamStateOf } from './spam-guard';

type Format = (iso: string) => string;
/** One section of the card; returns null when the data behind it does not exist (yet). */
type SectionLoader = (db: Knex, lead: FoundLead, format: Format) => Promise<LeadCardSection | null>;

const iso = (value: Date | string) => new Date(value).toISOString();

const lastMessages: SectionLoader = async (db, lead, format) => {
  const rows = await db('messages').where({ lead_id: lead.id }).orderBy('id', 'desc').limit(10).select('direction', 'text', 'created_at');
  return { title: '💬 Последние сообщения', lines: rows.reverse().map((r) => messageLine(r.direction, iso(r.created_at), r.text, format)) };
};

const events: SectionLoader = async (db, lead, format) => {
  const rows = await db('events').where({ lead_id: lead.id }).orderBy('id', 'desc').limit(10).select('type', 'created_at');
  return { title: '📌 События', lines: rows.reverse().map((r) => `${format(iso(r.created_at))} ${r.type}`) };
};

const bookings: SectionLoader = async (db, lead, format) => {
  const rows = await db('bookings').where({ lead_id: lead.id }).orderBy('starts_at', 'desc').limit(5).select('starts_at', 'status');
  return { title: '📅 Консультации', lines: rows.map((r) => `${format(iso(r.starts_at))} — ${r.status}`) };
};

const handoffs: SectionLoader = async (db, lead, format) => {
  const rows = await db('handoffs').where({ lead_id: lead.id }).orderBy('created_at', 'desc').limit(5).select('created_at', 'trigger', 'status', 'manager_name', 'outcome', 'reason');
  return {
    title: '🧑‍💼 Обращения к менеджерам',
    lines: rows.map((r) => `${format(iso(r.created_at))} ${r.trigger}: ${r.status}${r.manager_name ? `, ${r.manager_name}` : ''}${r.outcome ? ` → ${r.outcome}${r.reason ? ` (${r.reason})` : ''}` : ''}`),
  };
};

const orders: SectionLoader = async (db, lead, format) => {
  const rows = await db('orders as o').join('products as p', 'p.id', 'o.product_id').where('o.lead_id', lead.id).orderBy('o.created_at', 'desc').limit(5).select('o.id', 'o.created_at', 'p.name', 'o.type', 'o.amount', 'o.currency', 'o.status');
  // Every open payment flag of each order on its own line (docs/payments.md#flags), oldest first.
  const flags: { order_id: string; reason: string }[] = rows.length
    ? await db('payment_flags').whereIn('order_id', rows.map((r) => r.id)).whereNull('resolved_at').whereNull('refunded_at').orderBy('id').select('order_id', 'reason')
    : [];
  return {
    title: '💳 Заказы',
    lines: rows.flatMap((r) => [
      `${format(iso(r.created_at))} №${r.id} ${r.name}, ${r.type}, ${Number(r.amount)} ${r.currency} — ${r.status}`,
      ...flags.filter((f) => String(f.order_id) === String(r.id)).map((f) => `  🚩 ${f.reason.replace(/\s+/g, ' ').slice(0, 200)}`),
    ]),
  };
};

/** Broadcasts the lead was in: what became of each delivery, the last 10, newest first. */
const campaignsReceived: SectionLoader = async (db, lead, format) => {
  const rows = await db('campaign_deliveries as d')
    .join('campaigns as c', 'c.id', 'd.campaign_id')
    .where('d.lead_id', lead.id)
    // A queued delivery has no sent_at yet: it sorts by when it was queued.
    .orderByRaw('coalesce(d.sent_at, d.created_at) desc, d.id desc')
    .limit(10)
    .select('c.name', 'd.variant', 'd.status', 'd.reason', 'd.sent_at', 'd.created_at');
  return {
    title: '📣 Рассылки',
    lines: rows.map((r) => `${format(iso(r.sent_at ?? r.created_at))} «${r.name}»${r.variant ? ` (вариант ${r.variant})` : ''} — ${r.status}${r.reason ? ` (${r.reason})` : ''}`),
  };
};

/** The managers' notes (/note): author and time, newest first. */
const notes: SectionLoader = async (db, lead, format) => {
  const rows = await notesOf(db, Number(lead.id));
  return { title: '📝 Заметки менеджеров', lines: rows.map((n) => `${format(n.createdAt.toISOString())} ${n.authorName}: ${n.text}`) };
};

/** The card's sections in the order staff read them. */
export const LEAD_CARD_SECTIONS: SectionLoader[] = [notes, learnedProfileSection, lastMessages, events, bookings, handoffs, orders, campaignsReceived];

/** The whole card as text (may exceed one Telegram message; the caller splits it). */
export async function leadCardText(db: Knex, lead: FoundLead, format: Format, now: Date): Promise<string> {
  const spam = await spamStateOf(db, Number(lead.telegram_user_id));
  const sections = (await Promise.all(LEAD_CARD_SECTIONS.map((load) => load(db, lead, format)))).filter((s): s is LeadCardSection => s !== null);
  return renderLeadCard(
    {
      telegramUserId: Number(lead.telegram_user_id),
      name: [lead.first_name, lead.last_name].filter(Boolean).join(' ') || '—',
      username: lead.username,
      phone: lead.phone,
      email: lead.email,
      languageCode: lead.language_code,
      source: lead.source,
      segment: lead.segment,
      score: lead.score,
      stage: lead.stage,
      mode: lead.mode,
      optedOut: lead.opted_out,
      blocked: lead.blocked,
      mutedUntil: spam.mutedUntil !== null && spam.mutedUntil > now.getTime() ? new Date(spam.mutedUntil).toISOString() : null,
      createdAt: iso(lead.created_at),
      lastInboundAt: lead.last_inbound_at ? iso(lead.last_inbound_at) : null,
    },
    sections,
    format,
  );
}

import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { financialPayload, quotePatternsForSql, redactText, redactValue, type PersonQuotes } from '../domain/personal-data';
import type { LeadRow } from './leads';

/** What one /reset did, for the log (counts only, never the person). */
export interface ErasureReport {
  messages: number;
  events: number;
  /** Orders kept for the books, pseudonymised. */
  ordersKept: number;
  /** Staff records whose quotes of the person were replaced. */
  quotesRedacted: number;
}

const NOTHING: ErasureReport = { messages: 0, events: 0, ordersKept: 0, quotesRedacted: 0 };

/**
 * Orders of the lead whose payment workflow may still be running: unpaid ones, and instalment orders
 * still collecting. /reset cancels those before erasing (the order ids are gone from the lead after).
 */
export async function openOrdersOfLead(db: Knex, telegramUserId: number): Promise<number[]> {
  const rows: { id: string }[] = await db('orders as o')
    .join('leads as l', 'l.id', 'o.lead_id')
    .where('l.telegram_user_id', telegramUserId)
    .where((q) => q.whereIn('o.status', ['created', 'sent', 'failed']).orWhere((p) => p.where('o.status', 'paid').whereNull('o.fully_paid_at')))
    .orderBy('o.id')
    .select('o.id');
  return rows.map((r) => Number(r.id));
}

/**
 * `/reset` confirmed: everything that says who the lead is goes, the books stay. In one transaction:
 * - orders, instalments and payment webhooks stay, without the person: the lead reference becomes a
 *   random pseudonym, payloads keep only financial keys, stored webhook bodies are cleared; a Stars
 *   order keeps the payer's Telegram id, which a refund needs;
 * - campaign deliveries keep their figures without the lead (a queued one is skipped);
 * - staff records quoting the person (audit details, dialog texts, notices) have the quotes replaced;
 * - the anti-spam state and the updates it dropped go;
 * - the lead row goes with its messages and events, and through the foreign keys its bookings,
 *   product matches, LLM calls and drafts, handoffs and sales scripts, managers' notes and the facts the model learned.
 */
export async function eraseLead(db: Knex, telegramUserId: number): Promise<ErasureReport> {
  return db.transaction(async (trx) => {
    const lead = await trx<LeadRow & { phone: string | null; email: string | null }>('leads').where({ telegram_user_id: telegramUserId }).forUpdate().first();
    // The guard keeps state by Telegram id, with or without a lead row.
    await trx('spam_guard').where({ telegram_user_id: telegramUserId }).delete();
    await trx('dropped_updates').where({ telegram_user_id: telegramUserId }).delete();
    if (!lead) return NOTHING;
    const person: PersonQuotes = { telegramUserId, username: lead.username, phone: lead.phone, email: lead.email };
    const ordersKept = await pseudonymiseOrders(trx, lead.id, person);
    await pseudonymiseFlags(trx, trx('payment_flags').whereNull('order_id').where({ payer_telegram_id: telegramUserId }), person);
    await trx('campaign_deliveries').where({ lead_id: lead.id, status: 'queued' }).update({ status: 'skipped', reason: 'lead_reset', updated_at: trx.fn.now() });
    await trx('campaign_deliveries').where({ lead_id: lead.id }).update({ lead_id: null, telegram_message_id: null, updated_at: trx.fn.now() });
    // A private chat's id is the user's id: a message there not filed under the lead is theirs too.
    const messages = await trx('messages').where({ lead_id: lead.id }).orWhere({ chat_id: telegramUserId }).delete();
    const events = await trx('events').where({ lead_id: lead.id }).delete();
    const quotesRedacted = await redactStaffRecords(trx, person);
    await trx('leads').where({ id: lead.id }).delete();
    return { messages, events, ordersKept, quotesRedacted };
  });
}

async function pseudonymiseOrders(trx: Knex.Transaction, leadId: number, person: PersonQuotes): Promise<number> {
  const { telegramUserId } = person;
  const orders: {
    id: string;
    type: string;
    payment_url: string | null;
    provider_payload: Record<string, unknown> | null;
    telegram_payment_charge_id: string | null;
    flagged_reason: string | null;
    method: string;
  }[] = await trx('orders').where({ lead_id: leadId }).select('id', 'type', 'payment_url', 'provider_payload', 'telegram_payment_charge_id', 'flagged_reason', 'method');
  if (!orders.length) return 0;
  const orderIds = orders.map((o) => Number(o.id));
  const instalments: { id: string; order_id: string; provider_payload: Record<string, unknown> | null; telegram_payment_charge_id: string | null }[] = await trx(
    'order_instalments',
  )
    .whereIn('order_id', orderIds)
    .select('id', 'order_id', 'provider_payload', 'telegram_payment_charge_id');
  // A charge paid through Telegram Payments (method telegram) is refunded in the provider's dashboard,
  // which needs no Telegram id: only Stars orders keep the payer.
  const starsOrders = new Set(orders.filter((o) => o.method !== 'telegram').map((o) => Number(o.id)));
  const withStarsCharge = new Set(
    [
      ...orders.filter((o) => o.telegram_payment_charge_id).map((o) => Number(o.id)),
      ...instalments.filter((i) => i.telegram_payment_charge_id).map((i) => Number(i.order_id)),
    ].filter((id) => starsOrders.has(id)),
  );
  // Random, not derived from the person: nobody can get back from it to who paid.
  const pseudonym = `customer-${randomUUID()}`;
  for (const order of orders) {
    await trx('orders')
      .where({ id: order.id })
      .update({
        lead_id: null,
        customer_pseudonym: pseudonym,
        personal_data_erased_at: trx.fn.now(),
        payer_telegram_id: withStarsCharge.has(Number(order.id)) ? telegramUserId : null,
        provider_payload: jsonOrNull(financialPayload(order.provider_payload)),
        // A manager's personal link may carry anything about the person; a catalogue link is the product's plus the order id.
        payment_url: order.type === 'manual' || order.payment_url === null ? null : redactText(order.payment_url, person),
        // A flag's reason may quote what the provider said about the payer.
        flagged_reason: order.flagged_reason === null ? null : redactText(order.flagged_reason, person),
        updated_at: trx.fn.now(),
      });
  }
  for (const instalment of instalments) {
    if (!instalment.provider_payload) continue;
    await trx('order_instalments').where({ id: instalment.id }).update({ provider_payload: jsonOrNull(financialPayload(instalment.provider_payload)), updated_at: trx.fn.now() });
  }
  // The outcome, the provider's event id and the dates stay; the body as received may name the payer.
  await trx('payment_webhooks').whereIn('order_id', orderIds).update({ body: null });
  await pseudonymiseFlags(trx, trx('payment_flags').whereIn('order_id', orderIds), person);
  return orders.length;
}

/**
 * Flagged payments keep their reason, payment id and payer (a Stars refund needs the payer, as on
 * orders) with the person's quotes and the non-financial payload keys gone. Stars money for no known
 * order has no order to follow: it is found by its payer.
 */
async function pseudonymiseFlags(trx: Knex.Transaction, flags: Knex.QueryBuilder, person: PersonQuotes): Promise<void> {
  const rows: { id: string; reason: string; payload: Record<string, unknown> | null; resolution: string | null }[] = await flags.select('id', 'reason', 'payload', 'resolution');
  for (const flag of rows) {
    // A settled flag keeps who settled it and when; the staff member's note may quote the person.
    await trx('payment_flags')
      .where({ id: flag.id })
      .update({ reason: redactText(flag.reason, person), payload: jsonOrNull(financialPayload(flag.payload)), resolution: flag.resolution === null ? null : redactText(flag.resolution, person) });
  }
}

/**
 * Staff records that quote the person outlive them (who did what stays audited) with the quotes
 * replaced: audit details and reasons (a refused command by the lead loses its actor id too), staff
 * dialog texts, and staff-chat notices not filed under a lead.
 */
async function redactStaffRecords(trx: Knex.Transaction, person: PersonQuotes): Promise<number> {
  const needles = quotePatternsForSql(person);
  const quoting = (column: string) => (q: Knex.QueryBuilder) => {
    for (const needle of needles) q.orWhereRaw('??::text ~* ?', [column, needle]);
  };
  let redacted = 0;
  const audits = await trx('staff_audit')
    .where((q) => {
      quoting('details')(q);
      quoting('reason')(q);
      q.orWhere('actor_telegram_id', person.telegramUserId);
    })
    .select('id', 'actor_telegram_id', 'details', 'reason');
  for (const row of audits) {
    await trx('staff_audit')
      .where({ id: row.id })
      .update({
        // 0: an actor who is nobody now (the column is required; no Telegram user has id 0).
        actor_telegram_id: Number(row.actor_telegram_id) === person.telegramUserId ? 0 : row.actor_telegram_id,
        details: JSON.stringify(redactValue(row.details, person)),
        reason: row.reason === null ? null : redactText(row.reason, person),
      });
    redacted += 1;
  }
  const dialogs = await trx('staff_dialogs').where((q) => {
    quoting('text')(q);
    quoting('state')(q);
  });
  for (const row of dialogs) {
    await trx('staff_dialogs')
      .where({ telegram_user_id: row.telegram_user_id })
      .update({ text: row.text === null ? null : redactText(row.text, person), state: jsonOrNull(redactValue(row.state, person)) });
    redacted += 1;
  }
  const notices = await trx('messages')
    .whereNull('lead_id')
    .where((q) => {
      quoting('text')(q);
      quoting('payload')(q);
      quoting('outbound_id')(q);
    })
    .select('id', 'text', 'payload', 'outbound_id');
  for (const row of notices) {
    const outboundId = row.outbound_id === null || redactText(row.outbound_id, person) === row.outbound_id ? row.outbound_id : `erased-${row.id}`;
    await trx('messages')
      .where({ id: row.id })
      // An outbound id naming the lead (`lead-<id>/…`) becomes one of the row's own: still unique, and the send is long done.
      .update({ text: row.text === null ? null : redactText(row.text, person), payload: jsonOrNull(redactValue(row.payload, person)), outbound_id: outboundId });
    redacted += 1;
  }
  return redacted;
}

/** jsonb columns take a JSON text (an array would otherwise be sent as a Postgres array). */
function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

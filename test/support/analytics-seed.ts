import type { Db } from '../../db/knex';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** The UTC calendar day of an instant `ago` milliseconds before `now`. */
export const dayOf = (now: number, ago: number) => new Date(now - ago).toISOString().slice(0, 10);

/**
 * Noon (UTC) of the day `daysAgo` before `now`'s, plus minutes: what happens on one day stays on
 * that calendar day whatever the hour the test runs at.
 */
export function noonOf(now: number, daysAgo: number, minutes = 0): Date {
  const midnight = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate());
  return new Date(midnight - daysAgo * DAY + 12 * HOUR + minutes * 60_000);
}

let nextTelegramId = 7_000_000_000 + Math.floor(Math.random() * 1_000_000);

/**
 * The journey the analytics tests count (times are before `now`; the period tested is 30 days):
 *   A  1d ago, hot,  with a manager, wrote 1h ago:  bonus, survey, consultation (event + booking), request
 *   B  2d ago, warm, bot, wrote 10d ago:             bonus, survey
 *   C  3d ago, no segment, bot, blocked:             bonus
 *   D  5d ago, cold, opted out, wrote 3d ago:        survey, a booking without its event
 *   E 40d ago (before the period), hot, customer, wrote 2d ago: bonus, request (40d ago)
 *   F  2d ago, warm, bot:                            a request recorded twice
 * Model: 3 calls in the period (ok, timeout→fallback, no_key→fallback) and one 50d ago; 2 turns in
 * the period (one escalated) and an escalated one 50d ago.
 */
export async function seedJourney(db: Db, now: number): Promise<Record<'A' | 'B' | 'C' | 'D' | 'E' | 'F', number>> {
  const at = (ago: number) => new Date(now - ago);
  const noon = (daysAgo: number, minutes = 0) => noonOf(now, daysAgo, minutes);
  const lead = async (name: string, daysAgo: number, fields: Record<string, unknown>) => {
    nextTelegramId += 1;
    const [row] = await db('leads')
      .insert({ telegram_user_id: nextTelegramId, chat_id: nextTelegramId, first_name: name, created_at: noon(daysAgo), updated_at: noon(daysAgo), ...fields })
      .returning('id');
    return row.id as number;
  };
  const ids = {
    A: await lead('A', 1, { segment: 'hot', score: 12, mode: 'with_manager', last_inbound_at: at(HOUR) }),
    B: await lead('B', 2, { segment: 'warm', score: 7, last_inbound_at: at(10 * DAY) }),
    C: await lead('C', 3, { blocked: true }),
    D: await lead('D', 5, { segment: 'cold', score: 3, mode: 'opted_out', opted_out: true, last_inbound_at: at(3 * DAY) }),
    E: await lead('E', 40, { segment: 'hot', score: 13, mode: 'customer', last_inbound_at: at(2 * DAY) }),
    F: await lead('F', 2, { segment: 'warm', score: 8 }),
  };
  const event = (leadId: number, type: string, daysAgo: number, minutes: number, payload: Record<string, unknown> = {}) =>
    db('events').insert({ lead_id: leadId, type, payload, created_at: noon(daysAgo, minutes) });
  await event(ids.A, 'bonus_taken', 1, 10);
  await event(ids.A, 'survey_completed', 1, 20);
  await event(ids.A, 'consultation_booked', 1, 30);
  await event(ids.A, 'lead_created', 1, 40);
  await event(ids.B, 'bonus_taken', 2, 10);
  await event(ids.B, 'survey_completed', 2, 20);
  await event(ids.C, 'bonus_taken', 3, 10);
  await event(ids.D, 'survey_completed', 5, 10);
  await event(ids.E, 'bonus_taken', 40, 10);
  await event(ids.E, 'lead_created', 40, 20);
  await event(ids.F, 'lead_created', 2, 10);
  await event(ids.F, 'lead_created', 2, 20);
  await event(ids.A, 'llm_turn', 1, 50, { nextAction: 'escalate_to_manager' });
  await event(ids.B, 'llm_turn', 2, 30, { nextAction: 'answer' });
  await event(ids.E, 'llm_turn', 50, 0, { nextAction: 'escalate_to_manager' });
  await db('bookings').insert([
    { lead_id: ids.A, starts_at: noon(-1), status: 'scheduled' },
    { lead_id: ids.D, starts_at: noon(4), status: 'done' },
  ]);
  const call = (leadId: number, outcome: string, fallback: boolean, daysAgo: number, minutes: number) =>
    db('llm_calls').insert({ lead_id: leadId, purpose: 'reply', model: 'gpt-4o-mini', outcome, fallback, created_at: noon(daysAgo, minutes) });
  await call(ids.A, 'ok', false, 1, 50);
  await call(ids.B, 'timeout', true, 2, 30);
  await call(ids.F, 'no_key', true, 2, 40);
  await call(ids.E, 'ok', false, 50, 0);
  return ids;
}

/**
 * Campaign deliveries as analytics reads them: campaign 1 is an A/B test (a → A click and conversion,
 * B click, C failed; b → D and F click and conversion, E unsubscribed), campaign 2 has no variants
 * (A sent, B delivered), a day before `now`; with `old`, campaign 3 forty days before.
 */
export async function seedCampaignDeliveries(db: Db, now: number, ids: Record<'A' | 'B' | 'C' | 'D' | 'E' | 'F', number>, options: { old?: boolean } = {}): Promise<void> {
  const ago = (ms: number) => new Date(now - ms);
  const delivery = (campaignId: number, leadId: number, variant: string | null, status: string, marks: string[] = [], when = DAY) =>
    db('campaign_deliveries').insert({
      campaign_id: campaignId,
      lead_id: leadId,
      variant,
      status,
      created_at: ago(when),
      clicked_at: marks.includes('click') ? ago(when - HOUR) : null,
      converted_at: marks.includes('convert') ? ago(when - 2 * HOUR) : null,
      unsubscribed_at: marks.includes('unsubscribe') ? ago(when - HOUR) : null,
    });
  await delivery(1, ids.A, 'a', 'sent', ['click', 'convert']);
  await delivery(1, ids.B, 'a', 'sent', ['click']);
  await delivery(1, ids.C, 'a', 'failed');
  await delivery(1, ids.D, 'b', 'sent', ['click', 'convert']);
  await delivery(1, ids.F, 'b', 'sent', ['click', 'convert']);
  await delivery(1, ids.E, 'b', 'sent', ['unsubscribe']);
  await delivery(2, ids.A, null, 'sent');
  await delivery(2, ids.B, null, 'delivered');
  if (options.old) await delivery(3, ids.A, 'a', 'sent', ['click'], 40 * DAY);
}

import type { Knex } from 'knex';

/**
 * Records a lead event. With an idempotency key (derived from the workflow), a retried
 * activity records it once.
 */
export async function recordEvent(
  db: Knex,
  event: { leadId: number | null; type: string; payload?: Record<string, unknown>; idempotencyKey?: string },
): Promise<void> {
  const query = db('events').insert({
    lead_id: event.leadId,
    type: event.type,
    payload: event.payload ?? {},
    idempotency_key: event.idempotencyKey ?? null,
  });
  await (event.idempotencyKey ? query.onConflict('idempotency_key').ignore() : query);
}

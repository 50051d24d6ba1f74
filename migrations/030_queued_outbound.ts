import type { Knex } from 'knex';

/**
 * A claimed message says whether it could have reached Telegram (docs/broadcasts.md#delivery): a
 * campaign message is claimed `queued` while it waits for its slot of the shared pace and becomes
 * `sending` only right before the HTTP request. A retry after a killed worker sends a `queued` one
 * (nothing of it left the worker) and marks only a `sending` one `unknown`. Before, every claim was
 * `sending`, and a kill left the claims still waiting for their slot `unknown`: never sent.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table messages drop constraint messages_status_check');
  await knex.raw(`alter table messages add constraint messages_status_check check (status in ('received', 'queued', 'sending', 'sent', 'failed', 'unknown'))`);
}

/** A `queued` claim never reached Telegram: on the way down it is `failed` (what a refused send is), which a retry claims again. */
export async function down(knex: Knex): Promise<void> {
  await knex('messages').where({ status: 'queued' }).update({ status: 'failed', error: 'not sent: waited for its slot (migration 030 undone)' });
  await knex.raw('alter table messages drop constraint messages_status_check');
  await knex.raw(`alter table messages add constraint messages_status_check check (status in ('received', 'sending', 'sent', 'failed', 'unknown'))`);
}

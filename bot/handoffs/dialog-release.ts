import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { heldBy } from '../../db/handoffs';
import type { Handoffs } from './handoffs';

export interface DialogRelease {
  /** Handoff workflows told to go back to the queue. */
  released: string[];
  /** Handoff workflows that could not be told (ended meanwhile, Temporal unreachable). */
  failed: string[];
}

/**
 * A person who is no longer a manager keeps no dialog: every open handoff they hold is signalled
 * to go back to the queue at once (the workflow shows the card waiting again and stops relaying
 * the lead's messages to them). Until a workflow has done so, the bot refuses the person's messages
 * and presses anyway, because it checks the role on each of them.
 */
export async function releaseDialogsOf(
  deps: { db: Knex; handoffs: Pick<Handoffs, 'release'>; logger: Logger },
  managerId: number,
  reason: string,
): Promise<DialogRelease> {
  const held = await heldBy(deps.db, managerId);
  const result: DialogRelease = { released: [], failed: [] };
  for (const handoff of held) {
    try {
      await deps.handoffs.release(handoff.workflow_id, { managerId, reason });
      result.released.push(handoff.workflow_id);
    } catch (error) {
      deps.logger.error({ workflowId: handoff.workflow_id, managerId, err: String(error) }, 'dialog release not delivered');
      result.failed.push(handoff.workflow_id);
    }
  }
  if (held.length) deps.logger.info({ managerId, reason, released: result.released.length, failed: result.failed.length }, 'dialogs released');
  return result;
}

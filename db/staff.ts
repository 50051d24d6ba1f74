import type { Knex } from 'knex';
import type { Role } from '../domain/staff/roles';
import { forgetInUpdate, oncePerUpdate } from './update-scope';

export interface StaffMember {
  telegramUserId: number;
  role: Role;
}

/** The role of a Telegram user: owner from configuration, else the staff table, else null (a lead). */
export async function roleOf(db: Knex, telegramUserId: number, owners: readonly number[]): Promise<Role | null> {
  if (owners.includes(telegramUserId)) return 'owner';
  // Every staff feature of the bot checks the sender: once per update (db/update-scope.ts).
  return oncePerUpdate(roleKey(telegramUserId), async () => {
    const row = await db('staff').where({ telegram_user_id: telegramUserId }).first('role');
    return (row?.role as Role | undefined) ?? null;
  });
}

const roleKey = (telegramUserId: number) => `staff_role:${telegramUserId}`;

export async function setStaffRole(db: Knex, telegramUserId: number, role: Exclude<Role, 'owner'>, addedBy: number): Promise<void> {
  await db('staff')
    .insert({ telegram_user_id: telegramUserId, role, added_by: addedBy })
    .onConflict('telegram_user_id')
    .merge({ role, added_by: addedBy, updated_at: db.fn.now() });
  forgetInUpdate(roleKey(telegramUserId));
}

export async function removeStaff(db: Knex, telegramUserId: number): Promise<boolean> {
  const removed = (await db('staff').where({ telegram_user_id: telegramUserId }).delete()) > 0;
  forgetInUpdate(roleKey(telegramUserId));
  return removed;
}

export async function listStaff(db: Knex): Promise<StaffMember[]> {
  const rows = await db('staff').orderBy('role').orderBy('telegram_user_id').select('telegram_user_id', 'role');
  return rows.map((r) => ({ telegramUserId: Number(r.telegram_user_id), role: r.role as Role }));
}

/** Every staff command is recorded: who, with which role, what, allowed or refused and why. */
export async function auditStaffCommand(
  db: Knex,
  entry: { actor: number; actorRole: Role | null; command: string; details?: Record<string, unknown>; allowed: boolean; reason?: string },
): Promise<void> {
  await db('staff_audit').insert({
    actor_telegram_id: entry.actor,
    actor_role: entry.actorRole,
    command: entry.command,
    details: entry.details ?? {},
    allowed: entry.allowed,
    reason: entry.reason ?? null,
  });
}

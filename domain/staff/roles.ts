/** Staff roles, highest first. A role includes the rights of every lower one. */
export const ROLES = ['owner', 'admin', 'editor', 'manager'] as const;
export type Role = (typeof ROLES)[number];

const LEVEL: Record<Role, number> = { owner: 4, admin: 3, editor: 2, manager: 1 };

/** Whether someone with `role` (null: a lead) has at least `required`. */
export function hasRole(role: Role | null, required: Role): boolean {
  return role !== null && LEVEL[role] >= LEVEL[required];
}

/**
 * Who may grant or take away a role: owners manage admins and below, admins manage editors and
 * managers. Owners themselves come from configuration only, never from a command.
 */
export function canManage(actor: Role | null, target: Role): boolean {
  if (actor === null || target === 'owner') return false;
  return LEVEL[actor] > LEVEL[target] && LEVEL[actor] >= LEVEL.admin;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

import { hasRole, type Role } from './roles';

/**
 * The /admin panel's actions and the least role each needs (docs/people-and-roles.md): managers find
 * leads; editors also edit content and compose broadcasts; admins also see products and the team;
 * owners see everything. `data`: the callback data of a feature that answers the button itself.
 */
export const ADMIN_ACTIONS = [
  { id: 'lead', label: '🔎 Найти лида', role: 'manager' },
  { id: 'welcome', label: '👋 Приветствие', role: 'editor' },
  { id: 'bonus', label: '🎁 Подпись бонуса', role: 'editor' },
  { id: 'templates', label: '⏰ Шаблоны напоминаний', role: 'editor' },
  { id: 'materials', label: '📚 Материалы', role: 'editor' },
  // The knowledge base answers its own buttons (bot/staff/knowledge-panel.ts).
  { id: 'knowledge', label: '📖 База знаний', role: 'editor', data: 'kb:list:ru' },
  // The broadcast composer answers its own button (it is a feature of its own, see bot/broadcasts/broadcast-composer.ts).
  { id: 'broadcast', label: '📣 Новая рассылка', role: 'editor', data: 'bc:start' },
  { id: 'products', label: '🛒 Продукты', role: 'admin' },
  { id: 'staff', label: '👥 Команда', role: 'admin' },
] as const satisfies readonly { id: string; label: string; role: Role; data?: string }[];

export type AdminAction = (typeof ADMIN_ACTIONS)[number];
export type AdminActionId = AdminAction['id'];

/** The actions someone with `role` sees (a lead: none). */
export function menuFor(role: Role | null): AdminAction[] {
  return ADMIN_ACTIONS.filter((action) => hasRole(role, action.role));
}

export function adminAction(id: string): AdminAction | undefined {
  return ADMIN_ACTIONS.find((action) => action.id === id);
}

import { hasRole, type Role } from './roles';

/**
 * Every staff command, the least role it needs and one line of help (docs/people-and-roles.md).
 * The one source for the commands Telegram shows each staff member (setMyCommands), for `/help`
 * and for the payment commands' role checks: a command added here appears in all three.
 * `group`: the command also works in the managers' chat (otherwise only in a private chat).
 */
export const STAFF_COMMAND_TABLE = [
  { command: 'help', role: 'manager', group: true, help: 'что я могу делать (этот список)' },
  { command: 'admin', role: 'manager', group: false, help: 'панель с кнопками по вашей роли' },
  { command: 'lead', role: 'manager', group: false, help: 'карточка лида: /lead @username, id или телефон' },
  { command: 'r', role: 'manager', group: true, help: 'ответить лиду в открытом диалоге: /r <id лида> текст' },
  { command: 'close', role: 'manager', group: true, help: 'закрыть диалог с лидом' },
  { command: 'queue', role: 'manager', group: true, help: 'очередь: лиды, которые ждут менеджера, с кнопками «Взять»' },
  { command: 'my', role: 'manager', group: false, help: 'мои открытые диалоги: последнее сообщение и сколько прошло' },
  { command: 'pass', role: 'manager', group: true, help: 'передать диалог другому менеджеру: /pass <id лида> <telegram id>' },
  { command: 'note', role: 'manager', group: true, help: 'заметка о лиде: /note <id лида | @username> текст' },
  { command: 'sendto', role: 'manager', group: true, help: 'написать лидам: /sendto @user1 @user2 текст' },
  { command: 'unmute', role: 'manager', group: false, help: 'снять блокировку антиспама: /unmute <id или @username>' },
  { command: 'dashboard', role: 'manager', group: false, help: 'сводка аналитики' },
  { command: 'order_confirm', role: 'manager', group: true, help: 'подтвердить оплату: /order_confirm <номер заказа>' },
  { command: 'order_cancel', role: 'manager', group: true, help: 'отменить заказ: /order_cancel <номер заказа>' },
  { command: 'order_link', role: 'manager', group: true, help: 'персональная ссылка на оплату: /order_link <id лида> <продукт> <сумма> <ссылка>' },
  { command: 'cancel', role: 'manager', group: false, help: 'прервать начатое: поиск, редактирование, рассылку' },
  { command: 'templates', role: 'editor', group: false, help: 'шаблоны напоминаний' },
  { command: 'template', role: 'editor', group: false, help: 'изменить шаблон: /template <ключ> <ru|en>' },
  { command: 'template_file', role: 'editor', group: false, help: 'приложить файл к шаблону' },
  { command: 'material_file', role: 'editor', group: false, help: 'приложить файл к материалу: /material_file <ключ> (none — убрать)' },
  { command: 'broadcast', role: 'editor', group: false, help: 'новая рассылка' },
  { command: 'campaigns', role: 'editor', group: false, help: 'последние рассылки' },
  { command: 'campaign', role: 'editor', group: false, help: 'отчёт и управление рассылкой: /campaign <номер>' },
  { command: 'refund', role: 'admin', group: true, help: 'вернуть оплату в Stars: /refund <номер заказа>' },
  { command: 'refund_charge', role: 'admin', group: true, help: 'вернуть Stars без заказа (отмеченный платёж)' },
  { command: 'refund_done', role: 'admin', group: true, help: 'возврат сделан в кабинете платёжной системы: /refund_done <номер заказа> [комментарий]' },
  { command: 'staff', role: 'admin', group: false, help: 'состав команды' },
  { command: 'staff_add', role: 'admin', group: false, help: 'дать роль: /staff_add <telegram id> <admin|editor|manager>' },
  { command: 'staff_remove', role: 'admin', group: false, help: 'убрать из команды: /staff_remove <telegram id>' },
] as const satisfies readonly StaffCommandEntry[];

export interface StaffCommandEntry {
  command: string;
  role: Role;
  group: boolean;
  help: string;
}

export type StaffCommandName = (typeof STAFF_COMMAND_TABLE)[number]['command'];

/** The least role a command needs. */
export function roleFor(command: StaffCommandName): Role {
  return (STAFF_COMMAND_TABLE as readonly StaffCommandEntry[]).find((entry) => entry.command === command)?.role as Role;
}

/** The commands someone with `role` may use, in the private chat or in the managers' chat. */
export function commandsFor(role: Role | null, where: 'private' | 'group' = 'private'): StaffCommandEntry[] {
  return STAFF_COMMAND_TABLE.filter((entry) => hasRole(role, entry.role) && (where === 'private' || entry.group));
}

/** Telegram's menu wants short descriptions: the help line up to its first colon. */
export function menuDescription(entry: StaffCommandEntry): string {
  const short = entry.help.split(':')[0];
  return short.charAt(0).toUpperCase() + short.slice(1);
}

const ROLE_NAMES: Record<Role, string> = { owner: 'владелец', admin: 'администратор', editor: 'редактор', manager: 'менеджер' };

/** `/help` for staff: exactly what the caller's role allows, one line each. */
export function staffHelpText(role: Role, where: 'private' | 'group' = 'private'): string {
  const lines = commandsFor(role, where).map((entry) => `/${entry.command} — ${entry.help}`);
  return [`Ваша роль: ${ROLE_NAMES[role]}. Вам доступно:`, ...lines, '', 'Подробно: docs/staff-guide.md'].join('\n');
}

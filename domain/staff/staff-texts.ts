/** Texts for the managers' chat. Staff work in Russian whatever the lead's language. */
export const STAFF_TEXTS = {
  draftCard: '📝 Черновик ответа (уверенность {confidence}) для {who}:\n\n{draft}\n\nВопрос лида: «{question}»\n\nОдобрите, отклоните или ответьте на это сообщение своим текстом: он уйдёт лиду вместо черновика. Без решения через {minutes} мин лид получит стандартный ответ.',
  approveButton: '✅ Отправить',
  rejectButton: '✖️ Отклонить',
  approved: 'Решение «отправить» передано (действует первое решение по черновику).',
  rejected: 'Решение «отклонить» передано: лид получит стандартный ответ.',
  edited: 'Ваш текст передан лиду (если черновик ещё ждал решения).',
  notDelivered: 'Не удалось передать решение: диалог лида недоступен. Ответьте лиду напрямую.',
  draftClosed: 'Этот черновик уже закрыт.',
  notAllowed: 'Решать по черновикам могут только менеджеры и выше.',
} as const;

export function fillStaffText(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_m, key: string) => String(values[key] ?? ''));
}

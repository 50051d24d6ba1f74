/** Texts for the managers' chat. Staff work in Russian whatever the lead's language. */
export const STAFF_TEXTS = {
  draftCard: '📝 Черновик ответа (уверенность {confidence}) для {who}:\n\n{draft}\n\nВопрос лида: «{question}»\n\nОдобрите, отклоните или ответьте на это сообщение своим текстом: он уйдёт лиду вместо черновика. Без решения через {minutes} мин лид получит стандартный ответ.',
  approveButton: '✅ Отправить',
  rejectButton: '✖️ Отклонить',
  approved: 'Отправлено лиду.',
  rejected: 'Отклонено: лид получит стандартный ответ.',
  edited: 'Ваш текст отправлен лиду.',
  draftClosed: 'Этот черновик уже закрыт.',
} as const;

export function fillStaffText(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_m, key: string) => String(values[key] ?? ''));
}

import type { AbMetric, CampaignAudience, CampaignButton, CampaignItem } from '../../domain/broadcasts/campaign';
import { ITEM_LIMIT, NAME_LIMIT, type BroadcastDraft, type DraftAbTest } from '../../domain/broadcasts/broadcast-draft';
import { formatScheduleTime, zoneName } from '../../domain/broadcasts/broadcast-input';
import type { AudienceSize } from '../../db/campaigns';

/** The broadcast composer's words to the editor. Staff work in Russian whatever the leads' language. */

const KIND_NAMES: Record<CampaignItem['kind'], string> = { text: 'текст', photo: 'фото', video: 'видео', document: 'документ', audio: 'аудио', voice: 'голосовое' };
export const METRIC_NAMES: Record<AbMetric, string> = { click_rate: 'клики', reply_rate: 'ответы', lead_conversion: 'заявки', payment_conversion: 'оплаты' };

export const BROADCAST_TEXTS = {
  start: `📣 Новая рассылка. Как её назвать? Название видите только вы и команда (до ${NAME_LIMIT} символов). /cancel — отмена.`,
  resumed: (name: string | undefined) => `📣 У вас есть незаконченная рассылка${name ? ` «${name}»` : ''}: продолжаем с того же места. /cancel — отменить её.`,
  nameNeeded: `Название — текстом, до ${NAME_LIMIT} символов.`,
  nameSaved: (name: string) => `Название: «${name}».`,
  itemsPrompt: (variant?: string) =>
    [
      variant ? `Вариант ${variant}: пришлите его сообщения так же, как для A.` : 'Пришлите сообщения рассылки, каждое отдельно:',
      `текст, фото, видео, документ, аудио или голосовое — до ${ITEM_LIMIT}. Подпись к медиа тоже уйдёт лидам.`,
      'Когда закончите, нажмите «Готово».',
    ].join('\n'),
  itemAdded: (count: number, item: CampaignItem) => `✅ Сообщение ${count}/${ITEM_LIMIT} (${describeItem(item)}). Пришлите ещё или нажмите «Готово».`,
  formattingLost: '⚠️ Упоминания людей без @username и премиум-эмодзи бот отправить не может: лиды увидят на их месте простой текст (как в предпросмотре). Остальное оформление сохранено.',
  itemRemoved: (count: number) => `Последнее сообщение убрано, осталось ${count}.`,
  itemLimit: `Уже ${ITEM_LIMIT} сообщений — больше в рассылку не поместится. Нажмите «Готово» или «Убрать последнее».`,
  noItems: 'Пока нет ни одного сообщения: пришлите хотя бы одно.',
  tooLong: (length: number, limit: number, what: string) => `${what} длиннее ${limit} символов (${length}): Telegram такое не отправит. Сократите или разделите на два сообщения. Ничего не потеряно: пришлите исправленное.`,
  empty: 'Пустое сообщение не отправить: пришлите текст или файл.',
  sticker: 'Стикеры в рассылку не добавить: пришлите текст, фото, видео, документ, аудио или голосовое.',
  animation: 'GIF-анимации рассылка не отправляет: пришлите видео или документ.',
  unsupported: 'Такое сообщение в рассылку не добавить: пришлите текст, фото, видео, документ, аудио или голосовое.',
  buttonsPrompt: (variant?: string, commands?: string[]) =>
    [
      variant ? `Кнопки варианта ${variant} (под его последним сообщением): пришлите строки, как для A, или выберите ниже.` : 'Кнопки под последним сообщением (необязательно). По одной на строку:',
      'Текст | https://адрес — ссылка',
      'Текст | unsubscribe — отписаться от рассылок',
      'Текст | /consult — как если бы лид набрал команду (manager — то же, что /contact: заявка менеджеру)',
      ...(commands?.length ? [`Команды сценария: ${commands.map((c) => `/${c}`).join(', ')}`] : []),
      'Строки подряд — один ряд, пустая строка — следующий ряд.',
    ].join('\n'),
  buttonsProblems: (problems: string[]) => `Кнопки не сохранены:\n${problems.map((p) => `• ${p}`).join('\n')}\nПришлите все строки заново, исправив эти.`,
  buttonsSaved: (rows: CampaignButton[][]) => (rows.length ? `Кнопки:\n${describeButtons(rows)}` : 'Без кнопок.'),
  textNeeded: 'Здесь нужен текст.',
  audiencePrompt: (audience: CampaignAudience, size: AudienceSize) =>
    [
      `Кому отправить? Сейчас: ${describeAudience(audience)}.`,
      `Подходит лидов: ${size.total}, получат: ${size.reachable} (остальные отписались или заблокировали бота).`,
      '',
      'Сегменты — кнопками. Остальные фильтры — текстом, по одному на строку:',
      'балл 6-10 (или 11+, до 5) — баллы опроса',
      'этапы goal, closing',
      'теги q1=trading, q3=one_month (ответы опроса)',
      'активны 7 — писали боту за 7 дней',
      'неактивны 30 — молчат 30 дней и больше',
      'источники ads_vk',
      '«этапы любые» убирает фильтр, «все» — все фильтры.',
    ].join('\n'),
  audienceProblems: (problems: string[]) => `Фильтры не изменены:\n${problems.map((p) => `• ${p}`).join('\n')}`,
  abPrompt: 'A/B-тест? Варианты уходят пилотной части аудитории, а после окна наблюдения лучший по метрике сам уходит остальным.',
  abSettings: (ab: DraftAbTest) =>
    [
      'Настройки A/B-теста:',
      `Варианты: ${describeWeights(ab)}`,
      `Пилот: ${ab.pilotShare} % аудитории`,
      `Метрика: ${METRIC_NAMES[ab.metric]}`,
      `Окно наблюдения: ${ab.windowHours} ч`,
      '',
      'Меняйте кнопками или текстом: веса 70/30, пилот 15.',
    ].join('\n'),
  abProblems: (problems: string[]) => `Настройки не изменены:\n${problems.map((p) => `• ${p}`).join('\n')}`,
  pressAButton: 'Выберите кнопкой выше (или /cancel).',
  schedulePrompt: (zone: string) => `Когда отправить? Время школы (${zoneName(zone)}): 24.12 10:00, 24.12.2026 10:00 или 2026-12-24 10:00. Или нажмите «Сейчас».`,
  scheduleProblem: (problem: string) => `${problem}\nПришлите время ещё раз.`,
  schedulePassed: (at: Date, zone: string) => `Запланированное время ${formatScheduleTime(at, zone)} уже прошло, пока вы смотрели предпросмотр. Укажите новое.`,
  previewHeader: '👀 Предпросмотр: так рассылку увидят лиды.',
  variantHeader: (key: string, share: string) => `— Вариант ${key} (${share}) —`,
  previewFailed: (index: number, description: string) => `⚠️ Telegram не принял сообщение ${index}: ${description}. Исправьте его («Изменить» → «Сообщения») или отмените.`,
  summary: (draft: BroadcastDraft, size: AudienceSize, zone: string) =>
    [
      `📣 «${draft.name}»`,
      `Сообщений: ${draft.items.length}${draft.buttons.length ? `, кнопок: ${draft.buttons.flat().length}` : ', без кнопок'}`,
      `Аудитория: ${describeAudience(draft.audience)} — примерно ${leads(size.total)}, получат ${size.reachable}`,
      `Когда: ${draft.scheduledAt ? formatScheduleTime(new Date(draft.scheduledAt), zone) : 'сразу после запуска'}`,
      draft.ab
        ? `A/B-тест: ${describeWeights(draft.ab)}; пилот ${draft.ab.pilotShare} %, метрика — ${METRIC_NAMES[draft.ab.metric]}, окно ${draft.ab.windowHours} ч; победитель уйдёт остальным сам`
        : 'A/B-тест: нет',
      '',
      'Запустить?',
    ].join('\n'),
  previewWaits: 'Рассылка ждёт решения: «Запустить», «Изменить» или «Отменить» под предпросмотром.',
  editWhat: 'Что изменить?',
  launched: (id: number, name: string, scheduledAt: Date | null, zone: string) =>
    `✅ Рассылка №${id} «${name}» создана: ${scheduledAt ? `уйдёт ${formatScheduleTime(scheduledAt, zone)}` : 'отправка началась'}. Ход и управление — /campaign ${id}, отчёт придёт сюда.`,
  notLaunched: (reason: string) => `⚠️ Рассылку не удалось запустить: ${reason}. Черновик сохранён — нажмите «Запустить» ещё раз позже.`,
  invalid: (problem: string) => `⚠️ В черновике ошибка: ${problem}. Нажмите «Изменить» и поправьте.`,
  /** The same words as the admin panel's /cancel, which ends the dialog when the panel is installed. */
  cancelled: 'Отменено: черновик удалён, ничего не отправлено.',
  stale: 'Эта кнопка устарела: /broadcast покажет, где вы остановились.',
  broken: 'Черновик рассылки не прочитать (бот обновился?). Начните заново: /broadcast.',
  buttons: {
    done: '✅ Готово',
    undo: '↩️ Убрать последнее',
    cancel: '✖️ Отменить',
    noButtons: 'Без кнопок',
    keep: 'Оставить как есть',
    asA: 'Как у A',
    everyone: 'Всем',
    next: 'Далее ➡️',
    addB: '➕ Добавить вариант B',
    addC: '➕ Вариант C',
    noTest: 'Без теста ➡️',
    dropTest: 'Убрать тест',
    now: '🚀 Сейчас',
    confirm: '✅ Запустить',
    edit: '✏️ Изменить',
  },
  editParts: { name: 'Название', items: 'Сообщения', buttons: 'Кнопки', audience: 'Аудитория', ab: 'A/B-тест', schedule: 'Время' },
} as const;

/** `1 лид`, `3 лида`, `5 лидов`. */
export function leads(count: number): string {
  const [tens, ones] = [count % 100, count % 10];
  const word = tens >= 11 && tens <= 14 ? 'лидов' : ones === 1 ? 'лид' : ones >= 2 && ones <= 4 ? 'лида' : 'лидов';
  return `${count} ${word}`;
}

export function describeItem(item: CampaignItem): string {
  const body = item.kind === 'text' ? item.text : item.caption;
  const preview = body ? `: «${body.length > 40 ? `${body.slice(0, 40)}…` : body}»` : '';
  return `${KIND_NAMES[item.kind]}${preview}`;
}

export function describeButtons(rows: CampaignButton[][]): string {
  return rows.map((row) => row.map((b) => `[${b.text} → ${'url' in b ? b.url : b.action}]`).join(' ')).join('\n');
}

export function describeAudience(audience: CampaignAudience): string {
  const parts: string[] = [];
  if (audience.segments?.length) parts.push(`сегменты ${audience.segments.join(', ')}`);
  if (audience.sources?.length) parts.push(`источники ${audience.sources.join(', ')}`);
  if (audience.scoreMin !== undefined && audience.scoreMax !== undefined) parts.push(`балл ${audience.scoreMin}–${audience.scoreMax}`);
  else if (audience.scoreMin !== undefined) parts.push(`балл от ${audience.scoreMin}`);
  else if (audience.scoreMax !== undefined) parts.push(`балл до ${audience.scoreMax}`);
  if (audience.stages?.length) parts.push(`этапы ${audience.stages.join(', ')}`);
  if (audience.tags?.length) parts.push(`теги ${audience.tags.join(', ')}`);
  if (audience.activeWithinDays !== undefined) parts.push(`писали за ${audience.activeWithinDays} дн.`);
  if (audience.inactiveForDays !== undefined) parts.push(`молчат от ${audience.inactiveForDays} дн.`);
  return parts.length ? parts.join('; ') : 'все лиды';
}

/** `A — 50 %, B — 50 %`: weights as shares of the pilot. */
export function describeWeights(ab: DraftAbTest): string {
  return ['A', ...ab.variants.map((v) => v.key)].map((key, i) => `${key} — ${share(ab.weights, i)}`).join(', ');
}

export function share(weights: number[], index: number): string {
  const total = weights.reduce((a, b) => a + b, 0);
  return `${Math.round((weights[index] / total) * 100)} %`;
}

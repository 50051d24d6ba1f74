import { addVariant, completeDraft, equalWeights, newDraft, readDraft, startEdit, stepAfter, type BroadcastDraft } from '../../../domain/broadcasts/broadcast-draft';
import { formatScheduleTime, parseAbSettings, parseAudienceLines, parseButtonRows, parseSchedule, type ScenarioVocabulary } from '../../../domain/broadcasts/broadcast-input';

const NOW = new Date('2026-12-01T19:40:00Z'); // 22:40 МСК
const vocabulary: ScenarioVocabulary = { commands: new Set(['consult', 'contact']), answers: new Map([['q1', new Set(['trading', 'no_experience'])]]), maxScore: 13 };

describe('the schedule, typed in Moscow time', () => {
  it.each([
    ['24.12 10:00', '2026-12-24T07:00:00.000Z'],
    ['24.12.2026 10:00', '2026-12-24T07:00:00.000Z'],
    ['24.12.26 10.00', '2026-12-24T07:00:00.000Z'],
    ['2026-12-24 10:00', '2026-12-24T07:00:00.000Z'],
    ['01.12 23:00', '2026-12-01T20:00:00.000Z'],
    ['02.12 00:30', '2026-12-01T21:30:00.000Z'],
    ['10.01 09:00', '2027-01-10T06:00:00.000Z'],
  ])('%s is %s', (typed, iso) => {
    const parsed = parseSchedule(typed, NOW);
    expect(parsed.ok && parsed.value?.toISOString()).toBe(iso);
  });

  it('"now" means send at once', () => {
    expect(parseSchedule(' Сейчас ', NOW)).toEqual({ ok: true, value: null });
  });

  it.each([
    ['01.12 22:40', 'уже прошло'],
    ['2026-11-30 10:00', 'уже прошло'],
    ['30.02 10:00', 'Такой даты или времени нет'],
    ['24.12 25:00', 'Такой даты или времени нет'],
    ['2028-01-01 10:00', 'больше чем через год'],
    ['в пятницу', 'Не понимаю время'],
  ])('%s is refused (%s)', (typed, reason) => {
    const parsed = parseSchedule(typed, NOW);
    expect(parsed.ok ? 'accepted' : parsed.problems.join(' ')).toContain(reason);
  });

  it('formats in Moscow time', () => {
    expect(formatScheduleTime(new Date('2026-12-31T21:05:00Z'))).toBe('01.01.2027 00:05 МСК');
  });
});

describe('the schedule follows TZ_DEFAULT', () => {
  it.each([
    // Yekaterinburg is UTC+5 all year.
    ['Asia/Yekaterinburg', '24.12 10:00', '2026-12-24T05:00:00.000Z'],
    // Berlin: winter UTC+1, summer UTC+2 (the offset is the one on that day, not today's).
    ['Europe/Berlin', '24.12 10:00', '2026-12-24T09:00:00.000Z'],
    ['Europe/Berlin', '2027-07-01 10:00', '2027-07-01T08:00:00.000Z'],
    ['Europe/Moscow', '24.12 10:00', '2026-12-24T07:00:00.000Z'],
  ])('in %s, %s is %s', (zone, typed, iso) => {
    const parsed = parseSchedule(typed, NOW, zone);
    expect(parsed.ok && parsed.value?.toISOString()).toBe(iso);
  });

  it('"this year or next" and "already past" are judged by the zone\'s own date', () => {
    // 2026-12-31 20:30 UTC is already 1 January 2027, 01:30 in Yekaterinburg: 01.01 10:00 is today there.
    const newYearsEve = new Date('2026-12-31T20:30:00Z');
    const parsed = parseSchedule('01.01 10:00', newYearsEve, 'Asia/Yekaterinburg');
    expect(parsed.ok && parsed.value?.toISOString()).toBe('2027-01-01T05:00:00.000Z');
    const past = parseSchedule('01.01 01:00', newYearsEve, 'Asia/Yekaterinburg');
    expect(past.ok ? 'accepted' : past.problems.join(' ')).toContain('01.01.2027 01:00 Asia/Yekaterinburg уже прошло (сейчас 01.01.2027 01:30 Asia/Yekaterinburg)');
  });

  it('formats in the zone, named by its IANA name outside Moscow', () => {
    expect(formatScheduleTime(new Date('2026-12-31T21:05:00Z'), 'Asia/Yekaterinburg')).toBe('01.01.2027 02:05 Asia/Yekaterinburg');
  });
});

describe('button lines', () => {
  it('lines next to each other share a row; a blank line starts the next; commands and Russian names work', () => {
    expect(parseButtonRows('A | https://a.example.com\nB | менеджер\n\n\nC | /consult\nD | Отписка\nE | command:contact\n', vocabulary)).toEqual({
      ok: true,
      value: [
        [{ text: 'A', url: 'https://a.example.com' }, { text: 'B', action: 'command:contact' }],
        [{ text: 'C', action: 'command:consult' }, { text: 'D', action: 'unsubscribe' }, { text: 'E', action: 'command:contact' }],
      ],
    });
  });

  it('every bad line is named, and nothing is half-taken', () => {
    const parsed = parseButtonRows(`${'x'.repeat(65)} | unsubscribe\nOK | https://ok.example.com\nКоманда | /missing\nНет | https://localhost`, vocabulary);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems.map((p) => p.slice(0, 9))).toEqual(['Строка 1 ', 'Строка 3 ', 'Строка 4 ']);
  });

  it('without a scenario to check against, any well-formed command passes; too many in a row is refused', () => {
    expect(parseButtonRows('Команда | /anything')).toEqual({ ok: true, value: [[{ text: 'Команда', action: 'command:anything' }]] });
    const nine = Array.from({ length: 9 }, (_, i) => `B${i} | manager`).join('\n');
    expect(parseButtonRows(nine)).toEqual({ ok: false, problems: ['В одном ряду не больше 8 кнопок: разделите ряды пустой строкой.'] });
  });
});

describe('audience lines', () => {
  it('each line replaces its own filter; "любые" removes one, "все" removes all', () => {
    const first = parseAudienceLines('балл 11+\nэтапы goal closing\nтеги q1=trading\nактивны 7 дней', { segments: ['hot'] }, vocabulary);
    expect(first).toEqual({ ok: true, value: { segments: ['hot'], scoreMin: 11, stages: ['goal', 'closing'], tags: ['q1=trading'], activeWithinDays: 7 } });
    const second = parseAudienceLines('балл до 5\nэтапы любые', first.ok ? first.value : {}, vocabulary);
    expect(second).toEqual({ ok: true, value: { segments: ['hot'], scoreMax: 5, tags: ['q1=trading'], activeWithinDays: 7 } });
    expect(parseAudienceLines('все', second.ok ? second.value : {})).toEqual({ ok: true, value: {} });
  });

  it("a score beyond what the survey gives is refused, naming the survey's range", () => {
    expect(parseAudienceLines('балл 40-80', {}, vocabulary)).toEqual({
      ok: false,
      problems: [expect.stringContaining('от 0 до 13: столько баллов даёт опрос')],
    });
    expect(parseAudienceLines('балл 6-10', {}, vocabulary)).toEqual({ ok: true, value: { scoreMin: 6, scoreMax: 10 } });
  });

  it('an unknown answer is named with the known ones', () => {
    const parsed = parseAudienceLines('теги q1=maybe', {}, vocabulary);
    expect(parsed).toEqual({ ok: false, problems: ['Строка 1 («теги q1=maybe»): у вопроса q1 нет ответа «maybe». Есть: trading, no_experience.'] });
  });
});

describe('A/B settings', () => {
  it('reads weights, pilot, metric and window', () => {
    expect(parseAbSettings('веса 50/25/25\nпилот 15%\nметрика оплаты\nокно 18 ч', 3)).toEqual({
      ok: true,
      value: { weights: [50, 25, 25], pilotShare: 15, metric: 'payment_conversion', windowHours: 18 },
    });
    expect(parseAbSettings('окно 6', 2).ok).toBe(false);
  });
});

describe('the draft', () => {
  const composed = (): BroadcastDraft => ({ ...newDraft(), step: 'preview', name: 'N', items: [{ kind: 'text', text: 'A' }], scheduledAt: null });

  it('goes step by step, and back to the preview after an edit', () => {
    expect(stepAfter(newDraft(), 'name')).toBe('items');
    expect(stepAfter(newDraft(), 'audience')).toBe('ab');
    const editing = startEdit(composed(), 'audience');
    expect(editing).toMatchObject({ step: 'audience', editing: true });
    expect(stepAfter(editing, 'audience')).toBe('preview');
    expect(stepAfter(editing, 'variant_items')).toBe('variant_buttons');
    expect(startEdit(composed(), 'items').items).toEqual([]);
  });

  it('a variant follows A\'s buttons by default and the completed test validates', () => {
    let draft = addVariant({ ...composed(), buttons: [[{ text: 'Go', url: 'https://go.example.com' }]] });
    draft = { ...draft, ab: { ...draft.ab!, variants: [{ ...draft.ab!.variants[0], items: [{ kind: 'text', text: 'B' }] }] } };
    const done = completeDraft(draft);
    expect(done.ok && done.campaign.abTest?.variants.map((v) => v.content)).toEqual([
      { items: [{ kind: 'text', text: 'A' }], buttons: [[{ text: 'Go', url: 'https://go.example.com' }]] },
      { items: [{ kind: 'text', text: 'B' }], buttons: [[{ text: 'Go', url: 'https://go.example.com' }]] },
    ]);
    expect(equalWeights(3)).toEqual([34, 33, 33]);
  });

  it('a variant left without items is refused at completion; a state from another version is not a draft', () => {
    expect(completeDraft(addVariant(composed())).ok).toBe(false);
    expect(readDraft({ step: 'somewhere' })).toBeNull();
    expect(readDraft({ ...composed() })).toEqual(composed());
  });
});

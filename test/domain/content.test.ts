import { menuFor } from '../../domain/staff/admin-menu';
import { bonusDocument, checkContent, contentDefault, telegramFileId, withContentOverrides } from '../../domain/content';
import { defaultScenarioPath, loadScenarioFile } from '../../scenarios/loader';

const ru = loadScenarioFile(defaultScenarioPath('ru'));

describe('content editors change', () => {
  it('finds the welcome text (the start step) and the bonus caption in the shipped scenario', () => {
    expect(contentDefault(ru, 'welcome.text')).toMatch(/^Здравствуйте, \{first_name\}!/);
    expect(contentDefault(ru, 'bonus.caption')).toMatch(/^Ваш бонус/);
    expect(bonusDocument(ru)).toMatch(/bonus\.pdf$/);
  });

  it('overrides replace only those texts; buttons, other steps and the file stay as shipped', () => {
    const edited = withContentOverrides(ru, { 'welcome.text': 'Новое', 'bonus.caption': 'Подпись' });
    expect(contentDefault(edited, 'welcome.text')).toBe('Новое');
    expect(contentDefault(edited, 'bonus.caption')).toBe('Подпись');
    expect(edited.steps[edited.start].messages[0]).toMatchObject({ buttons: ru.steps[ru.start].messages[0].buttons });
    expect(bonusDocument(edited)).toBe(bonusDocument(ru));
    expect(edited.steps.opening).toBe(ru.steps.opening);
    expect(contentDefault(ru, 'welcome.text')).toMatch(/^Здравствуйте/); // the original is not mutated
    expect(withContentOverrides(ru, {})).toBe(ru);
  });

  it('a replaced bonus file keeps the caption and is recognised as a Telegram file id', () => {
    const edited = withContentOverrides(ru, { 'bonus.document': 'tg:BQAC-file' });
    expect(bonusDocument(edited)).toBe('tg:BQAC-file');
    expect(contentDefault(edited, 'bonus.caption')).toBe(contentDefault(ru, 'bonus.caption'));
    expect(telegramFileId('tg:BQAC-file')).toBe('BQAC-file');
    expect(telegramFileId('media/bonus.pdf')).toBeNull();
  });

  it.each([
    ['blank', 'welcome.text', '   ', /пустой/],
    ['a 4097-character text', 'welcome.text', 'я'.repeat(4097), /длиннее 4096/],
    ['a 1025-character caption', 'bonus.caption', 'я'.repeat(1025), /длиннее 1024/],
    ['an unknown placeholder', 'welcome.text', 'Привет, {name}', /Неизвестные подстановки: \{name\}/],
    ['an empty placeholder', 'welcome.text', 'Привет, {}', /Неизвестные подстановки: \{\}/],
    ['an unclosed brace', 'welcome.text', 'Привет, {first_name', /Непарная/],
    ['a stray closing brace', 'welcome.text', 'Привет}', /Непарная/],
    ['a control character', 'welcome.text', 'Привет\u0007', /служебные/],
  ] as const)('%s is refused', (_label, key, text, problem) => {
    const check = checkContent(key, text);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.problem).toMatch(problem);
  });

  it('accepts the longest texts Telegram takes and trims the edges', () => {
    expect(checkContent('welcome.text', ` ${'я'.repeat(4096)}\n`)).toEqual({ ok: true, text: 'я'.repeat(4096) });
    expect(checkContent('bonus.caption', '{first_name}, ваш гайд 📌\n\nСохраните.')).toEqual({ ok: true, text: '{first_name}, ваш гайд 📌\n\nСохраните.' });
  });
});

describe('the /admin menu per role', () => {
  it('manager < editor < admin = owner', () => {
    expect(menuFor(null)).toEqual([]);
    expect(menuFor('manager').map((a) => a.id)).toEqual(['lead']);
    expect(menuFor('editor').map((a) => a.id)).toEqual(['lead', 'welcome', 'bonus', 'templates', 'materials', 'knowledge', 'broadcast']);
    expect(menuFor('admin').map((a) => a.id)).toEqual(['lead', 'welcome', 'bonus', 'templates', 'materials', 'knowledge', 'broadcast', 'products', 'staff']);
    expect(menuFor('owner')).toEqual(menuFor('admin'));
  });
});

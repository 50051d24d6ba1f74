import { renderTemplate } from '../../domain/template';

describe('renderTemplate', () => {
  it('fills placeholders with values', () => {
    expect(renderTemplate('Hi, {first_name}!', { first_name: 'Анна' })).toBe('Hi, Анна!');
  });

  it('never shows a raw placeholder: missing values take the default, or nothing', () => {
    expect(renderTemplate('Hi, {first_name}!', {}, { first_name: 'друг' })).toBe('Hi, друг!');
    expect(renderTemplate('Hi, {first_name}!', { first_name: '   ' }, { first_name: 'друг' })).toBe('Hi, друг!');
    expect(renderTemplate('Hi, {nickname}!', {})).toBe('Hi, !');
  });

  it('does not treat a value as a template', () => {
    expect(renderTemplate('{first_name}', { first_name: '{first_name}{x}' })).toBe('{first_name}{x}');
  });
});

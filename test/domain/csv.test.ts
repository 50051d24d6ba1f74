import { csvField, csvLine } from '../../domain/csv';

describe('CSV fields', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['carriage\rreturn', '"carriage\rreturn"'],
    [' padded ', '" padded "'],
    ['=1+1', "'=1+1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['-cmd', "'-cmd"],
    ['+79001234567', '+79001234567'],
    ['-12.5', '-12.5'],
    ['=A1,"x"', `"'=A1,""x"""`],
  ])('%j → %s', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('numbers, booleans, dates, empty values and objects', () => {
    expect(csvLine([-3, true, new Date('2026-12-01T10:00:00Z'), null, undefined, { a: 1 }])).toBe('-3,true,2026-12-01T10:00:00.000Z,,,"{""a"":1}"\r\n');
  });
});

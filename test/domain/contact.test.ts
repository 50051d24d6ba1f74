import { normalisePhone, validEmail, validName } from '../../domain/contact';

describe('normalisePhone', () => {
  it.each([
    ['+7 912 345-67-89', '+79123456789'],
    ['8 (912) 345 67 89', '+79123456789'],
    ['89123456789', '+79123456789'],
    ['9123456789', '+79123456789'],
    ['+79123456789', '+79123456789'],
    ['7 912 3456789', '+79123456789'],
    ['79123456789', '+79123456789'],
    ['  +7 (912) 345-67-89  ', '+79123456789'],
    ['8-912-345-67-89', '+79123456789'],
    ['8.912.345.67.89', '+79123456789'],
    ['+7\u00a0912\u00a0345\u201167\u201189', '+79123456789'],
    ['8 (495) 123-45-67', '+74951234567'],
    ['8 800 555 35 35', '+78005553535'],
    ['+7 727 123 4567', '+77271234567'],
    ['(912) 345-67-89', '+79123456789'],
  ])('reads the Russian number %j as %s', (input, expected) => {
    expect(normalisePhone(input)).toBe(expected);
  });

  it.each([
    ['+44 20 7946 0958', '+442079460958'],
    ['+1 (415) 555-2671', '+14155552671'],
    ['+49 30 12345678', '+493012345678'],
    ['+380 44 123 4567', '+380441234567'],
    ['+375 29 123-45-67', '+375291234567'],
    ['+86 138 1234 5678', '+8613812345678'],
    ['+998 90 123 45 67', '+998901234567'],
    ['+1234567890', '+1234567890'],
    ['+123456789012345', '+123456789012345'],
  ])('keeps the foreign number %j as %s', (input, expected) => {
    expect(normalisePhone(input)).toBe(expected);
  });

  it.each([
    '',
    '   ',
    '12345678',
    '89123456',
    '912345678',
    '4951234567',
    '891234567890',
    '69123456789',
    '+7 912 345 67 8',
    '+7 912 345 67 890',
    '+123456789',
    '+1234567890123456',
    '+0123456789',
    '+8 912 345 67 89',
    '442079460958',
    'телефон 89123456789',
    '8912345678a',
    'eight nine one two',
    '+7 912 345 67 89 доб. 12',
    '7+9123456789',
    '++79123456789',
    '8 912 345 67 89, 8 912 345 67 88',
    '+',
    '８９１２３４５６７８９',
  ])('refuses %j', (input) => {
    expect(normalisePhone(input)).toBeNull();
  });
});

describe('validName', () => {
  it.each([
    ['Иван', 'Иван'],
    ['  Иван   Петров  ', 'Иван Петров'],
    ['Anna-Maria', 'Anna-Maria'],
    ["O'Neil", "O'Neil"],
    ['Ян', 'Ян'],
    ['Jo', 'Jo'],
    ['А. С. Пушкин', 'А. С. Пушкин'],
    ['Жан\nПоль', 'Жан Поль'],
    ['Маша 🌸', 'Маша 🌸'],
    ['Алексей 2', 'Алексей 2'],
    ['Mr.Smith', 'Mr.Smith'],
    ['Ёжик', 'Ёжик'],
    ['a'.repeat(64), 'a'.repeat(64)],
  ])('accepts %j as %j', (input, expected) => {
    expect(validName(input)).toBe(expected);
  });

  it.each([
    '',
    '   ',
    'Я',
    'A.',
    '12345',
    '+7 912 345 67 89',
    '🌸🌸',
    '--',
    'a'.repeat(65),
    `${'Иван '.repeat(13)}И`,
    '@ivan',
    'Иван @ivan_petrov',
    'ivan@example.com',
    'https://example.com',
    'http://spam',
    'www.example.org',
    'Иван t.me/ivan',
    'zarabotok.ru',
    'Иван сайт.рф',
    'Best.Online',
    '/start',
    'Ива\u0000н',
  ])('refuses %j', (input) => {
    expect(validName(input)).toBeNull();
  });
});

describe('validEmail', () => {
  it.each([
    ['ivan@example.com', 'ivan@example.com'],
    ['  Ivan.Petrov@Example.COM ', 'ivan.petrov@example.com'],
    ['ivan+school@mail.ru', 'ivan+school@mail.ru'],
    ['i_van-99@sub.domain.co.uk', 'i_van-99@sub.domain.co.uk'],
    ['a@b.io', 'a@b.io'],
    ["o'neil@example.ie", "o'neil@example.ie"],
    ['ivan@xn--80a1acny.xn--p1ai', 'ivan@xn--80a1acny.xn--p1ai'],
    ['ivan@почта.рф', 'ivan@почта.рф'],
    ['Ivan@ПОЧТА.РФ', 'ivan@почта.рф'],
    ['user@my-host.example.com', 'user@my-host.example.com'],
    ['123@456.com', '123@456.com'],
  ])('accepts %j as %j', (input, expected) => {
    expect(validEmail(input)).toBe(expected);
  });

  it('accepts an address of exactly 254 characters and refuses one longer', () => {
    const domain = `${['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63)].join('.')}.com`; // 195 characters
    const local = 'x'.repeat(254 - 1 - domain.length);
    expect(validEmail(`${local}@${domain}`)).toBe(`${local}@${domain}`);
    expect(validEmail(`${local}x@${domain}`)).toBeNull();
  });

  it.each([
    '',
    '   ',
    'ivan',
    'ivan@',
    '@example.com',
    'ivan@example',
    'ivan@@example.com',
    'ivan@ex@ample.com',
    'iv an@example.com',
    'ivan@exa mple.com',
    'ivan@example.c',
    'ivan@example.123',
    'ivan@.example.com',
    'ivan@example..com',
    'ivan@example.com.',
    'ivan@-example.com',
    'ivan@example-.com',
    '.ivan@example.com',
    'ivan.@example.com',
    'iv..an@example.com',
    '"ivan"@example.com',
    'ivan@[127.0.0.1]',
    'ivan@example,com',
    `${'x'.repeat(65)}@example.com`,
    `ivan@${'a'.repeat(64)}.com`,
    'mailto:ivan@example.com',
    'ivan@example.com, petr@example.com',
    'иван@почта.рф',
  ])('refuses %j', (input) => {
    expect(validEmail(input)).toBeNull();
  });
});

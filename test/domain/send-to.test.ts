import { parseSendTo, SEND_TO_MAX } from '../../domain/send-to';

const ids = (n: number, from = 100_000) => Array.from({ length: n }, (_, i) => String(from + i));

describe('/sendto arguments', () => {
  it('takes usernames (lowercased) and numeric ids in order, then the text', () => {
    expect(parseSendTo('@Anna_K 123456 @ivan_petrov Привет! Завтра вебинар.')).toEqual({
      recipients: [{ username: 'anna_k' }, { telegramUserId: 123456 }, { username: 'ivan_petrov' }],
      text: 'Привет! Завтра вебинар.',
    });
  });

  it('accepts commas between recipients, with or without spaces', () => {
    expect(parseSendTo('@anna_k,@ivan_p, 5551234 ,  @olga_s текст')).toEqual({
      recipients: [{ username: 'anna_k' }, { username: 'ivan_p' }, { telegramUserId: 5551234 }, { username: 'olga_s' }],
      text: 'текст',
    });
  });

  it('keeps a multi-line text as it was written', () => {
    const parsed = parseSendTo('@anna_k @ivan_p Добрый день!\n\nСсылка на урок:  https://example.com/a\n— Олег');
    expect(parsed).toEqual({ recipients: [{ username: 'anna_k' }, { username: 'ivan_p' }], text: 'Добрый день!\n\nСсылка на урок:  https://example.com/a\n— Олег' });
  });

  it('the text may start on the next line after the recipients', () => {
    expect(parseSendTo('@anna_k\nПривет')).toEqual({ recipients: [{ username: 'anna_k' }], text: 'Привет' });
  });

  it('a token that is not a valid recipient starts the text, and later @names stay in the text', () => {
    expect(parseSendTo('@anna_k @ab привет @ivan_p')).toEqual({ recipients: [{ username: 'anna_k' }], text: '@ab привет @ivan_p' });
    expect(parseSendTo('@anna_k 1234 пришлите оплату')).toEqual({ recipients: [{ username: 'anna_k' }], text: '1234 пришлите оплату' });
  });

  it('refuses when there are no recipients', () => {
    expect(parseSendTo('Привет всем')).toEqual({ error: 'нет получателей: укажите @username или id' });
    expect(parseSendTo('')).toEqual({ error: 'нет получателей: укажите @username или id' });
    expect(parseSendTo('@ab Привет')).toEqual({ error: 'нет получателей: укажите @username или id' });
  });

  it('refuses when there is no text', () => {
    expect(parseSendTo('@anna_k @ivan_p')).toEqual({ error: 'нет текста сообщения' });
    expect(parseSendTo('@anna_k,  \n ')).toEqual({ error: 'нет текста сообщения' });
  });

  it(`accepts ${SEND_TO_MAX} recipients and refuses ${SEND_TO_MAX + 1}`, () => {
    expect(SEND_TO_MAX).toBe(50);
    const fifty = parseSendTo(`${ids(50).join(' ')} текст`);
    expect('recipients' in fifty && fifty.recipients).toHaveLength(50);
    expect('recipients' in fifty && fifty.recipients.at(-1)).toEqual({ telegramUserId: 100_049 });
    expect(parseSendTo(`${ids(51).join(' ')} текст`)).toEqual({ error: 'не больше 50 получателей за раз (указано 51)' });
  });

  it('accepts a text of 4096 characters and refuses a longer one', () => {
    const ok = parseSendTo(`@anna_k ${'я'.repeat(4096)}`);
    expect('text' in ok && ok.text.length).toBe(4096);
    expect(parseSendTo(`@anna_k ${'я'.repeat(4097)}`)).toEqual({ error: 'текст длиннее 4096 символов (4097)' });
  });
});

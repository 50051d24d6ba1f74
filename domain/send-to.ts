/** At most this many recipients per /sendto. */
export const SEND_TO_MAX = 50;

export type Recipient = { username: string } | { telegramUserId: number };

/**
 * `/sendto @anna @ivan 123456 text…`: recipients first (usernames or numeric ids, separated by
 * spaces or commas), then the text, which may span lines.
 */
export function parseSendTo(args: string): { recipients: Recipient[]; text: string } | { error: string } {
  const tokens = args.trim().split(/([\s,]+)/);
  const recipients: Recipient[] = [];
  let at = 0;
  for (; at < tokens.length; at += 2) {
    const token = tokens[at];
    if (/^@[A-Za-z0-9_]{4,32}$/.test(token)) recipients.push({ username: token.slice(1).toLowerCase() });
    else if (/^\d{5,15}$/.test(token)) recipients.push({ telegramUserId: Number(token) });
    else break;
  }
  const text = tokens.slice(at).join('').trim();
  if (recipients.length === 0) return { error: 'нет получателей: укажите @username или id' };
  if (recipients.length > SEND_TO_MAX) return { error: `не больше ${SEND_TO_MAX} получателей за раз (указано ${recipients.length})` };
  if (!text) return { error: 'нет текста сообщения' };
  if (text.length > 4096) return { error: `текст длиннее 4096 символов (${text.length})` };
  return { recipients, text };
}

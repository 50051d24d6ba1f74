/** Telegram refuses a message text longer than this (UTF-16 code units, as JS counts). */
export const TELEGRAM_TEXT_LIMIT = 4096;

/**
 * Splits a long text into parts Telegram accepts, preferring paragraph breaks, then line
 * breaks, then spaces, and cutting mid-word only when a single word is longer than the limit.
 * Short texts come back as one part unchanged.
 */
export function splitText(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  if (text.length <= limit) return [text];
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const cut = bestCut(rest, limit);
    const part = rest.slice(0, cut).trimEnd();
    if (part.length > 0) parts.push(part);
    rest = rest.slice(cut).replace(/^\s+/, '');
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}

function bestCut(text: string, limit: number): number {
  const window = text.slice(0, limit + 1);
  for (const separator of ['\n\n', '\n', ' ']) {
    const at = window.lastIndexOf(separator);
    // A cut in the first quarter would leave a tiny part; prefer the next separator kind.
    if (at > limit / 4) return at + separator.length;
  }
  return limit;
}

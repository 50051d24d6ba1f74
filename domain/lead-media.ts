import type { Language } from './language';

/**
 * What the bot says about a voice note it could not hear or a file it took as a receipt. Fixed
 * texts (not scenario texts) so every scenario file, old ones included, gets them; see docs/lead-journey.md.
 */
const TEXTS = {
  ru: {
    tooLong: (minutes: number) => `Голосовое длиннее ${minutes} мин — такое я не расшифрую. Менеджер его прослушает и ответит; если удобнее, напишите коротко текстом.`,
    unheard: 'Не получилось расшифровать голосовое. Я передал его менеджеру — он прослушает и ответит.',
    receipt: (orderId: number) => `Спасибо! Передал файл менеджеру вместе с заказом №${orderId}, он проверит оплату.`,
  },
  en: {
    tooLong: (minutes: number) => `Voice notes over ${minutes} min are too long for me to transcribe. A manager will listen to it and reply; or write briefly as text if you prefer.`,
    unheard: 'I could not transcribe your voice note. I have passed it to a manager, who will listen and reply.',
    receipt: (orderId: number) => `Thank you! I have passed the file to a manager with order #${orderId} to check the payment.`,
  },
} as const;

/** The lead is told honestly why nobody answers the voice note at once, and that a person will. */
export function voiceUnheardText(language: Language, reason: string, maxSeconds: number): string {
  return reason === 'too_long' || reason === 'too_big' ? TEXTS[language].tooLong(Math.max(1, Math.round(maxSeconds / 60))) : TEXTS[language].unheard;
}

export function receiptTakenText(language: Language, orderId: number): string {
  return TEXTS[language].receipt(orderId);
}

/** What the managers read with the voice note the bot could not hear. */
export function voiceUnheardNotice(reason: string): string {
  const why: Record<string, string> = { no_key: 'распознавание речи не настроено', too_long: 'слишком длинное', too_big: 'слишком большой файл' };
  return `🎤 голосовое не расшифровано (${why[reason] ?? reason}), прослушайте и ответьте`;
}

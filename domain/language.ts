export type Language = 'ru' | 'en';

/** Russian is the school's language; English only for leads whose Telegram is set to English. */
export function languageFor(languageCode: string | undefined): Language {
  return languageCode?.toLowerCase().startsWith('en') ? 'en' : 'ru';
}

/** A text intent of the scenario: any stem found in the lead's text triggers it. */
export interface TextIntent {
  intent: string;
  stems: string[];
  goto: string;
}

/**
 * The first intent whose stem occurs in the text, case- and ё-insensitively. Stems, not words:
 * "менеджер" matches "менеджера", "оплат" matches "оплатить" and "оплата".
 */
export function detectIntent(intents: readonly TextIntent[], text: string): TextIntent | undefined {
  const normalised = normalise(text);
  return intents.find((intent) => intent.stems.some((stem) => normalised.includes(normalise(stem))));
}

function normalise(text: string): string {
  return text.toLowerCase().replace(/ё/g, 'е').replace(/\s+/g, ' ');
}

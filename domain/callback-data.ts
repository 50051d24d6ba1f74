/** Telegram's limit for a button's callback data, in bytes. */
export const CALLBACK_DATA_LIMIT = 64;

/** Buttons that belong to no step: the /reset confirmation. */
export const SYSTEM_SCOPE = 'sys';

export interface ButtonPress {
  scope: string;
  buttonId: string;
}

/** A button's callback data names the step it was shown on, so a press from an old message is recognised. */
export function encodeButton(scope: string, buttonId: string): string {
  return `${scope}:${buttonId}`;
}

export function decodeButton(data: string): ButtonPress | null {
  const at = data.indexOf(':');
  if (at <= 0 || at === data.length - 1) return null;
  return { scope: data.slice(0, at), buttonId: data.slice(at + 1) };
}

export function callbackDataBytes(data: string): number {
  return new TextEncoder().encode(data).length;
}

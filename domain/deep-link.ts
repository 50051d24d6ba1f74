/** Telegram allows A-Z, a-z, 0-9, _ and - in a /start payload, up to 64 characters. */
const PAYLOAD_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export type StartPayload = { source: string } | { source: null; rejected?: string };

/** Reads the deep-link payload of `/start <payload>`; anything Telegram would not produce is rejected. */
export function parseStartPayload(raw: string | undefined): StartPayload {
  const payload = raw?.trim();
  if (!payload) return { source: null };
  if (PAYLOAD_PATTERN.test(payload)) return { source: payload };
  return { source: null, rejected: payload.slice(0, 100) };
}

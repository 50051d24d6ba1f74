import { encodeButton } from './callback-data';

/**
 * Buttons that act on a lead rather than on one handoff (the lead card of /lead and the panel's search,
 * the incomplete-form card, /queue and /my): `ld:<lead id>.<action>`, and the pass picker's
 * `ld:<lead id>.passto.<telegram id>`. Callback data is untrusted: the bot checks the presser's role
 * and the lead on every press, and the handoff workflow checks the new holder.
 */
export const LEAD_DESK_SCOPE = 'ld';
export const LEAD_DESK_ACTIONS = ['take', 'open', 'write', 'back', 'pass', 'passto'] as const;
export type LeadDeskAction = (typeof LEAD_DESK_ACTIONS)[number];

/** The domain event that asks a lead's conversation to open a dialog already taken by a manager. */
export const OPEN_DIALOG_EVENT = 'manager_opens_dialog';

/** A button on a lead; `target` (a Telegram id) only for `passto`, whom the dialog goes to. */
export function leadDeskButton(text: string, leadId: number, action: LeadDeskAction, target?: number): { text: string; data: string } {
  return { text, data: encodeButton(LEAD_DESK_SCOPE, `${leadId}.${action}${target !== undefined ? `.${target}` : ''}`) };
}

/** `<lead id>.<action>[.<target>]` from a press, or null when the data is not one of ours. */
export function parseLeadDeskPress(buttonId: string): { leadId: number; action: LeadDeskAction; target?: number } | null {
  const match = /^(\d{1,15})\.([a-z]+)(?:\.(\d{1,15}))?$/.exec(buttonId);
  if (!match || !(LEAD_DESK_ACTIONS as readonly string[]).includes(match[2])) return null;
  // Only passto names a person, and it must.
  if ((match[2] === 'passto') !== (match[3] !== undefined)) return null;
  return { leadId: Number(match[1]), action: match[2] as LeadDeskAction, ...(match[3] !== undefined && { target: Number(match[3]) }) };
}

/** How long ago, as staff read it in a list: "5 мин", "3 ч", "2 дн". */
export function ageText(fromMs: number, nowMs: number): string {
  const minutes = Math.max(0, Math.floor((nowMs - fromMs) / 60_000));
  if (minutes < 60) return `${minutes} мин`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} ч` : `${Math.floor(hours / 24)} дн`;
}

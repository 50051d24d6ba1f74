/** A payment flag nobody has settled yet, as staff lists show it. */
export interface OpenFlagLine {
  orderId: number | null;
  reason: string;
  paymentRef: string | null;
  createdAt: Date;
}

/** How many flags a list shows (the count covers all): a Telegram message holds 4096 characters. */
export const OPEN_FLAGS_SHOWN = 10;
const REASON_CLIP = 160;

/**
 * The open payment flags as a block of the digest and of /dashboard (docs/payments.md#flags): every
 * flag on its own line, two flags of one order too, oldest first, with what settles each. Null when
 * there are none.
 */
export function openFlagsSection(flags: OpenFlagLine[], total: number, timeZone = 'Europe/Moscow'): string | null {
  if (total === 0) return null;
  const date = new Intl.DateTimeFormat('ru-RU', { timeZone, day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });
  const lines = flags.slice(0, OPEN_FLAGS_SHOWN).map((f) => {
    const what = f.orderId === null ? `платёж без заказа${f.paymentRef ? ` ${f.paymentRef}` : ''}` : `заказ №${f.orderId}`;
    return `• ${what} (${date.format(f.createdAt)}): ${clip(f.reason)}`;
  });
  const more = total > lines.length ? `\n…и ещё ${total - lines.length}` : '';
  return `🚩 Открытые пометки по оплатам: ${total}\n${lines.join('\n')}${more}\nСнять: /order_confirm, /refund, /refund_charge, /refund_done`;
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= REASON_CLIP ? flat : `${flat.slice(0, REASON_CLIP - 1)}…`;
}

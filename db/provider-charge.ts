/** The provider's charge id a Telegram Payments successful_payment carries (Stars carry an empty one), as a column value. */
export function providerChargeOf(payload: Record<string, unknown> | undefined): { provider_payment_charge_id?: string } {
  const id = payload?.provider_payment_charge_id;
  return typeof id === 'string' && id !== '' ? { provider_payment_charge_id: id.slice(0, 200) } : {};
}

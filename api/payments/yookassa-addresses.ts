import { BlockList, isIP } from 'node:net';

/**
 * The addresses YooKassa sends notifications from, as it publishes them
 * (yookassa.ru/developers/using-api/webhooks, "IP-адреса для уведомлений").
 */
export const YOOKASSA_NOTIFICATION_RANGES = [
  '185.71.76.0/27',
  '185.71.77.0/27',
  '77.75.153.0/25',
  '77.75.156.11/32',
  '77.75.156.35/32',
  '77.75.154.128/25',
  '2a02:5180::/32',
] as const;

const yookassa = new BlockList();
for (const range of YOOKASSA_NOTIFICATION_RANGES) {
  const [address, bits] = range.split('/');
  yookassa.addSubnet(address, Number(bits), isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/** Whether a client address is YooKassa's; an IPv4 address seen as IPv6 (::ffff:a.b.c.d) counts as IPv4. */
export function isYooKassaAddress(address: string): boolean {
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  const family = isIP(plain);
  if (family === 0) return false;
  return yookassa.check(plain, family === 6 ? 'ipv6' : 'ipv4');
}

import { createHmac } from 'node:crypto';

/**
 * Prodamus signs a notification as its PHP class `Hmac::create` does (help.prodamus.ru, "Проверка
 * подписи"): the form's fields as PHP reads them (`products[0][name]` is a nested array), every
 * value a string, keys sorted at every level (ksort), `json_encode(…, JSON_UNESCAPED_UNICODE)`, then
 * hex HMAC-SHA256 with the payment page's secret key. Reproduced here byte for byte.
 */
export type PhpValue = string | PhpArray;
export interface PhpArray {
  [key: string]: PhpValue;
}

/** `a[b][0]=x` as PHP's $_POST has it: `{ a: { b: { 0: 'x' } } }`; `a[]` appends. */
export function phpFormFields(pairs: Iterable<[string, string]>): PhpArray {
  const root: PhpArray = {};
  for (const [name, value] of pairs) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(name);
    if (!match) {
      root[name] = value;
      continue;
    }
    const path = [match[1], ...[...match[2].matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1])];
    let node = root;
    path.forEach((segment, index) => {
      const key = segment === '' ? String(Object.keys(node).length) : segment;
      if (index === path.length - 1) {
        node[key] = value;
        return;
      }
      const next = node[key];
      node = typeof next === 'object' ? next : (node[key] = {});
    });
  }
  return root;
}

const isIntegerKey = (key: string) => /^(0|-?[1-9]\d*)$/.test(key);

/** PHP's ksort (SORT_REGULAR): integer keys by value, other keys byte by byte. */
function sortedKeys(node: PhpArray): string[] {
  return Object.keys(node).sort((a, b) => {
    if (isIntegerKey(a) && isIntegerKey(b)) return Number(a) - Number(b);
    return Buffer.compare(Buffer.from(a), Buffer.from(b));
  });
}

/** PHP's json_encode with JSON_UNESCAPED_UNICODE: "/" escaped, line terminators U+2028/9 escaped. */
function phpJsonString(text: string): string {
  return JSON.stringify(text).replaceAll('/', '\\/').replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029');
}

export function phpJsonEncode(node: PhpValue): string {
  if (typeof node === 'string') return phpJsonString(node);
  const keys = sortedKeys(node);
  // A PHP array with the keys 0..n-1 in order is a list in JSON.
  if (keys.every((key, index) => key === String(index))) return `[${keys.map((key) => phpJsonEncode(node[key])).join(',')}]`;
  return `{${keys.map((key) => `${phpJsonString(key)}:${phpJsonEncode(node[key])}`).join(',')}}`;
}

export function prodamusSignature(secretKey: string, fields: PhpArray): string {
  return createHmac('sha256', secretKey).update(phpJsonEncode(fields)).digest('hex');
}

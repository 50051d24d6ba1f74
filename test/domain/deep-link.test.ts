import { parseStartPayload } from '../../domain/deep-link';

describe('parseStartPayload', () => {
  it('accepts what Telegram allows in a deep link', () => {
    expect(parseStartPayload('ads_vk-2026')).toEqual({ source: 'ads_vk-2026' });
    expect(parseStartPayload('a'.repeat(64))).toEqual({ source: 'a'.repeat(64) });
  });

  it('treats no payload as no source', () => {
    expect(parseStartPayload(undefined)).toEqual({ source: null });
    expect(parseStartPayload('  ')).toEqual({ source: null });
  });

  it('rejects payloads Telegram would not produce, keeping a sample for the record', () => {
    expect(parseStartPayload('a'.repeat(65))).toEqual({ source: null, rejected: 'a'.repeat(65) });
    expect(parseStartPayload("x'; drop table leads")).toEqual({ source: null, rejected: "x'; drop table leads" });
  });
});

import { ageText, leadDeskButton, parseLeadDeskPress } from '../../domain/lead-desk';
import { callbackDataBytes, decodeButton } from '../../domain/callback-data';

describe('lead desk buttons', () => {
  it('round-trips a button and stays within 64 bytes for any lead id', () => {
    const button = leadDeskButton('🙋 Взять диалог', 999_999_999_999_999, 'take');
    expect(callbackDataBytes(button.data)).toBeLessThanOrEqual(64);
    const press = decodeButton(button.data);
    expect(press?.scope).toBe('ld');
    expect(parseLeadDeskPress(press?.buttonId ?? '')).toEqual({ leadId: 999_999_999_999_999, action: 'take' });
  });

  it('a pass pick names its target and stays within 64 bytes for any ids', () => {
    const button = leadDeskButton('➡️ @oleg', 999_999_999_999_999, 'passto', 999_999_999_999_999);
    expect(callbackDataBytes(button.data)).toBeLessThanOrEqual(64);
    expect(parseLeadDeskPress(decodeButton(button.data)?.buttonId ?? '')).toEqual({ leadId: 999_999_999_999_999, action: 'passto', target: 999_999_999_999_999 });
  });

  it('refuses forged data: unknown actions, non-numbers, extra parts, overlong ids', () => {
    const passes = ['12.passto', '12.pass.5', '12.take.5', '12.passto.x', '12.passto.-5', '12.passto.1234567890123456', '12.passto.5.6'];
    for (const forged of ['12.steal', 'abc.take', '12.take.x', '-1.take', '1234567890123456.take', '.take', '12.', '12 .take', '12.TAKE', ...passes]) {
      expect(parseLeadDeskPress(forged)).toBeNull();
    }
  });

  it('says how long ago in minutes, hours, then days', () => {
    const now = Date.UTC(2026, 11, 6, 12);
    expect(ageText(now - 30_000, now)).toBe('0 мин');
    expect(ageText(now - 59 * 60_000, now)).toBe('59 мин');
    expect(ageText(now - 3 * 3_600_000, now)).toBe('3 ч');
    expect(ageText(now - 47 * 3_600_000, now)).toBe('47 ч');
    expect(ageText(now - 72 * 3_600_000, now)).toBe('3 дн');
    expect(ageText(now + 60_000, now)).toBe('0 мин'); // a clock a little ahead never shows a negative age
  });
});

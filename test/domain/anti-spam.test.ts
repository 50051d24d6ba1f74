import { EMPTY_SPAM_STATE, fingerprintOf, judge, liftMute, muteHoursFor, type SpamDecision, type SpamState } from '../../domain/anti-spam';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);

let nextUpdate = 1;
/** Feeds events at the given offsets (ms from `start`) and returns every decision and the last state. */
function feed(state: SpamState, start: number, offsets: number[], text?: (i: number) => string | undefined) {
  const decisions: SpamDecision[] = [];
  let current = state;
  offsets.forEach((offset, i) => {
    const result = judge(current, { updateId: nextUpdate++, text: text?.(i) }, start + offset);
    decisions.push(result.decision);
    current = result.state;
  });
  return { decisions, state: current };
}

const every = (count: number, stepMs: number) => Array.from({ length: count }, (_, i) => i * stepMs);
const kinds = (decisions: SpamDecision[]) => decisions.map((d) => d.kind);

describe('anti-spam rule', () => {
  it('8 events within 10 s mute for 2 hours at the 8th; 7 pass', () => {
    const { decisions, state } = feed(EMPTY_SPAM_STATE, T0, every(8, 1_000), (i) => `msg ${i}`);
    expect(kinds(decisions)).toEqual([...Array(7).fill('pass'), 'mute']);
    expect(decisions[7]).toEqual({ kind: 'mute', reason: 'burst', until: T0 + 7_000 + 2 * HOUR, hours: 2, level: 1 });
    expect(state.mutedUntil).toBe(T0 + 7_000 + 2 * HOUR);
  });

  it('button presses never make a burst (a lead tapping through the survey), but count towards 20 in 60 s', () => {
    const presses = (state: SpamState, offsets: number[]) => {
      let current = state;
      const decisions = offsets.map((offset) => {
        const result = judge(current, { updateId: nextUpdate++, press: true }, T0 + offset);
        current = result.state;
        return result.decision;
      });
      return { decisions, state: current };
    };
    // /start, then nine quick taps: bonus, opening, the survey and its five answers.
    const start = feed(EMPTY_SPAM_STATE, T0, [0], () => '/start');
    const survey = presses(start.state, every(9, 700).map((t) => t + 500));
    expect(kinds(survey.decisions)).toEqual(Array(9).fill('pass'));
    // A script pressing on: the twentieth event within a minute mutes.
    const script = presses(survey.state, every(10, 700).map((t) => t + 7_000));
    expect(kinds(script.decisions)).toEqual([...Array(9).fill('pass'), 'mute']);
    expect(script.decisions[9]).toMatchObject({ kind: 'mute', reason: 'sustained' });
    // Typed messages still burst: the presses before them do not count, eight messages in 10 s do.
    const typed = feed(survey.state, T0 + 11_000, every(8, 300), (i) => `вопрос ${i}`);
    expect(kinds(typed.decisions)).toEqual([...Array(7).fill('pass'), 'mute']);
    expect(typed.decisions[7]).toMatchObject({ reason: 'burst' });
  });

  it('8 events spread over more than 10 s do not mute', () => {
    const { decisions } = feed(EMPTY_SPAM_STATE, T0, every(8, 1_500), (i) => `msg ${i}`);
    expect(kinds(decisions)).toEqual(Array(8).fill('pass'));
  });

  it('20 events within 60 s mute (the sustained rule), 19 do not', () => {
    const nineteen = feed(EMPTY_SPAM_STATE, T0, every(19, 3_000), (i) => `m${i}`);
    expect(kinds(nineteen.decisions)).toEqual(Array(19).fill('pass'));
    const twenty = judge(nineteen.state, { updateId: nextUpdate++, text: 'm19' }, T0 + 57_000);
    expect(twenty.decision).toMatchObject({ kind: 'mute', reason: 'sustained', hours: 2 });
  });

  it('5 identical messages within 30 s mute; 4 do not; case and spaces do not matter', () => {
    const { decisions } = feed(EMPTY_SPAM_STATE, T0, every(5, 6_000), (i) => (i % 2 ? ' КУПИТЬ  сейчас' : 'купить сейчас'));
    expect(kinds(decisions)).toEqual(['pass', 'pass', 'pass', 'pass', 'mute']);
    expect(decisions[4]).toMatchObject({ reason: 'duplicates' });
    expect(kinds(feed(EMPTY_SPAM_STATE, T0, every(5, 8_000), () => 'same').decisions)).toEqual(Array(5).fill('pass'));
  });

  it('button presses and media never count as identical messages', () => {
    const { decisions } = feed(EMPTY_SPAM_STATE, T0, every(6, 5_000), () => undefined);
    expect(kinds(decisions)).toEqual(Array(6).fill('pass'));
  });

  it('while muted every event is dropped; after the mute the lead passes again', () => {
    const muted = feed(EMPTY_SPAM_STATE, T0, every(8, 100)).state;
    const during = judge(muted, { updateId: nextUpdate++, text: 'hi' }, T0 + HOUR);
    expect(during.decision).toEqual({ kind: 'drop', until: muted.mutedUntil });
    const after = judge(during.state, { updateId: nextUpdate++, text: 'hi' }, (muted.mutedUntil as number) + 1);
    expect(after.decision).toEqual({ kind: 'pass' });
    expect(after.state.level).toBe(1);
  });

  it('repeats give 4, 8, 16, then 24 hours, and stay at 24', () => {
    let state = EMPTY_SPAM_STATE;
    let start = T0;
    const hours: number[] = [];
    for (let round = 0; round < 7; round += 1) {
      const { decisions, state: next } = feed(state, start, every(8, 100));
      const mute = decisions.find((d) => d.kind === 'mute');
      if (mute?.kind !== 'mute') throw new Error('expected a mute');
      hours.push(mute.hours);
      state = next;
      start = mute.until + HOUR; // an hour after the mute ends, another burst
    }
    expect(hours).toEqual([2, 4, 8, 16, 24, 24, 24]);
  });

  it('14 quiet days after a mute reset the level; 13 days do not', () => {
    const first = feed(EMPTY_SPAM_STATE, T0, every(8, 100));
    const end = first.state.mutedUntil as number;
    const after13 = feed(first.state, end + 13 * DAY, every(8, 100));
    expect(after13.decisions.at(-1)).toMatchObject({ kind: 'mute', hours: 4 });
    const after14 = feed(first.state, end + 14 * DAY, every(8, 100));
    expect(after14.decisions.at(-1)).toMatchObject({ kind: 'mute', hours: 2, level: 1 });
  });

  it('a redelivered update is not counted twice', () => {
    let state = EMPTY_SPAM_STATE;
    for (let i = 0; i < 10; i += 1) {
      const result = judge(state, { updateId: 42, text: 'same' }, T0 + i * 10);
      expect(result.decision.kind).toBe('pass');
      state = result.state;
    }
    expect(state.recent).toHaveLength(1);
  });

  it('keeps at most the events that can still matter', () => {
    const { state } = feed(EMPTY_SPAM_STATE, T0, every(100, 4_000), (i) => `m${i}`);
    expect(state.recent.length).toBeLessThanOrEqual(20);
    expect(state.recent.every((e) => T0 + 99 * 4_000 - e.at < 60_000)).toBe(true);
  });

  it('lifting a mute forgets the level and the mute', () => {
    const muted = feed(feed(EMPTY_SPAM_STATE, T0, every(8, 100)).state, T0 + 3 * HOUR, every(8, 100)).state;
    expect(muted.level).toBe(2);
    const lifted = liftMute();
    expect(judge(lifted, { updateId: nextUpdate++ }, T0 + 4 * HOUR).decision).toEqual({ kind: 'pass' });
    expect(feed(lifted, T0 + 5 * HOUR, every(8, 100)).decisions.at(-1)).toMatchObject({ hours: 2 });
  });

  it('mute lengths and fingerprints', () => {
    expect([0, 1, 2, 3, 4, 5, 50].map(muteHoursFor)).toEqual([2, 4, 8, 16, 24, 24, 24]);
    expect(fingerprintOf('  Hello\n World ')).toBe('hello world');
    expect(fingerprintOf('   ')).toBeNull();
    expect(fingerprintOf(undefined)).toBeNull();
  });
});

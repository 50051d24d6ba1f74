import { createBroadcastPacer } from '../../activities/broadcast-pacer';
import type { Db } from '../../db/knex';
import { testDb } from '../support/db';

let db: Db;
beforeAll(() => {
  db = testDb();
});
afterAll(() => db.destroy());

/** Two pacers on one database stand for two worker processes: they share nothing but the pace row. */
describe('the broadcast pacer shared through Postgres', () => {
  it('two processes sending at once together keep to the rate, evenly spaced', async () => {
    const [one, two] = [createBroadcastPacer({ db, ratePerSecond: 40 }), createBroadcastPacer({ db, ratePerSecond: 40 })];
    const sentAt: number[] = [];
    const sender = (pacer: typeof one) => async () => {
      for (let i = 0; i < 20; i++) {
        await pacer.turn();
        sentAt.push(Date.now());
      }
    };
    await Promise.all([sender(one)(), sender(one)(), sender(two)(), sender(two)()]);
    sentAt.sort((a, b) => a - b);
    expect(sentAt).toHaveLength(80);
    // 80 messages at 40 a second: about 2 s, and never 41 in any second. The times are taken when each
    // sender's turn resolved, which a loaded machine delays by up to ~100 ms (Telegram measures arrival,
    // with the same jitter): the pacer spaces its slots exactly; the test allows the event loop's lag.
    expect(sentAt[79] - sentAt[0]).toBeGreaterThanOrEqual(1900);
    for (let i = 0; i + 40 < sentAt.length; i++) expect(sentAt[i + 40] - sentAt[i]).toBeGreaterThanOrEqual(900);
  });

  it("a 429 in one process holds the other's senders for its retry_after, even those already holding a slot", async () => {
    const [one, two] = [createBroadcastPacer({ db, ratePerSecond: 2 }), createBroadcastPacer({ db, ratePerSecond: 2 })];
    await one.turn();
    const started = Date.now();
    // Three senders of the second process claim slots 0.5, 1 and 1.5 s ahead; once all three are
    // waiting for them (not after a guessed pause), the first process hears a 429 with retry_after 2.
    const claimed: Promise<void>[] = [];
    const waiting = [0, 1, 2].map(() => {
      let signal!: () => void;
      claimed.push(new Promise<void>((resolve) => (signal = resolve)));
      return two.turn(() => signal()).then(() => Date.now() - started);
    });
    await Promise.all(claimed);
    await one.hold(2);
    for (const waited of await Promise.all(waiting)) expect(waited).toBeGreaterThanOrEqual(1980);
  });
});

/**
 * What the anti-spam guard costs per update on Postgres: sequential and concurrent judgements
 * (different leads, and one lead hammered from many connections, which serialises on its row lock).
 * Prints figures; not a test. `DATABASE_URL=… npx tsx scripts/bench-anti-spam.ts`
 */
import { createDb, migrateLatest } from '../db/knex';
import { judgeEvent } from '../db/spam-guard';

async function main() {
  const db = createDb(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/sales');
  await migrateLatest(db);
  const base = 9_000_000_000 + Math.floor(Math.random() * 1_000_000) * 1000;
  let update = base;
  const time = async (label: string, count: number, run: () => Promise<unknown>) => {
    const started = process.hrtime.bigint();
    await run();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`${label}: ${count} judgements in ${ms.toFixed(0)} ms → ${(ms / count).toFixed(2)} ms each, ${((count / ms) * 1000).toFixed(0)}/s`);
  };
  const slowLead = (i: number) => base + (i % 500); // 500 leads, one event each per 2.5 s of "time"
  await time('sequential, 500 leads', 2000, async () => {
    for (let i = 0; i < 2000; i++) await judgeEvent(db, slowLead(i), { updateId: ++update, text: `m${i}` }, new Date(Date.UTC(2026, 0, 1) + i * 5));
  });
  await time('20 concurrent, 500 leads', 2000, async () => {
    const one = async (w: number) => {
      for (let i = w; i < 2000; i += 20) await judgeEvent(db, base + 1000 + (i % 500), { updateId: ++update, text: `m${i}` }, new Date(Date.UTC(2026, 0, 2) + i * 5));
    };
    await Promise.all(Array.from({ length: 20 }, (_, w) => one(w)));
  });
  await time('20 concurrent, one lead (row lock)', 400, async () => {
    await Promise.all(Array.from({ length: 400 }, (_, i) => judgeEvent(db, base + 2000, { updateId: ++update }, new Date(Date.UTC(2026, 0, 3)))));
  });
  const [muted] = await db('spam_guard').where({ telegram_user_id: base + 2000 }).select('level', 'muted_until');
  console.log(`one lead, 400 parallel updates: level ${muted.level} (exactly one mute), muted until ${muted.muted_until.toISOString()}`);
  await db('spam_guard').whereBetween('telegram_user_id', [base, base + 2000]).delete();
  await db.destroy();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

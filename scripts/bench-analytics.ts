/**
 * Benchmark of `/analytics`: seeds 100,000 users and 1,000,000 messages (plus events, bookings and
 * model calls in proportion) into a database of its own with generate_series, then times
 * GET /analytics?days=180 through the api (several runs, median). Not part of the test suite.
 *
 *   npm run bench:analytics            (BENCH_DATABASE_URL to use another database; it is recreated)
 */
import pino from 'pino';
import { buildApi } from '../api/app';
import { createMetrics } from '../api/metrics';
import { createDb, dropDatabase, ensureDatabase, migrateLatest } from '../db/knex';

const URL_ = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/sales_bench_analytics';
const LEADS = 100_000;
const MESSAGES = 1_000_000;
const RUNS = 7;
const TOKEN = 'bench';

async function recreate(url: string): Promise<void> {
  await dropDatabase(url);
  await ensureDatabase(url);
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  console.log(`${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

async function seed(db: ReturnType<typeof createDb>): Promise<void> {
  // Users over the last 200 days, so a 180-day report covers most but not all of them.
  await timed(`${LEADS.toLocaleString('en')} users`, () =>
    db.raw(
      `insert into leads (telegram_user_id, chat_id, first_name, segment, score, mode, blocked, last_inbound_at, created_at, updated_at)
       select 1000000000 + i, 1000000000 + i, 'User ' || i,
              (array['cold', 'warm', 'hot', null])[1 + i % 4], i % 14,
              (array['bot', 'bot', 'bot', 'with_manager', 'customer', 'opted_out'])[1 + i % 6], i % 50 = 0,
              now() - random() * interval '30 days', t, t
         from (select i, now() - random() * interval '200 days' as t from generate_series(1, ?) as i) as s`,
      [LEADS],
    ),
  );
  await timed('events (journey steps and model turns)', () =>
    db.raw(
      `insert into events (lead_id, type, payload, created_at)
       select l.id, s.type, case when s.type = 'llm_turn' then jsonb_build_object('nextAction', case when l.id % 5 = 0 then 'escalate_to_manager' else 'answer' end) else '{}'::jsonb end,
              l.created_at + interval '10 minutes'
         from leads l
         join (values ('bonus_taken', 10, 6), ('survey_completed', 10, 4), ('consultation_booked', 20, 3), ('lead_created', 10, 2),
                      ('llm_turn', 10, 5), ('greeted', 1, 0)) as s(type, modulo, below) on l.id % s.modulo <= s.below`,
    ),
  );
  await timed('bookings', () =>
    db.raw(`insert into bookings (lead_id, starts_at, status) select id, created_at + interval '1 day', 'done' from leads where id % 20 = 0`),
  );
  await timed('model calls', () =>
    db.raw(
      `insert into llm_calls (lead_id, purpose, model, outcome, fallback, created_at)
       select id, 'reply', 'gpt-4o-mini', case when id % 7 = 0 then 'timeout' else 'ok' end, id % 7 = 0, created_at + interval '5 minutes'
         from leads, generate_series(1, 2)`,
    ),
  );
  await timed(`${MESSAGES.toLocaleString('en')} messages`, () =>
    db.raw(
      `insert into messages (lead_id, chat_id, direction, text, status, created_at, updated_at)
       select 1 + i % ?, 1, case when i % 2 = 0 then 'in' else 'out' end, 'message ' || i, case when i % 2 = 0 then 'received' else 'sent' end, t, t
         from (select i, now() - random() * interval '200 days' as t from generate_series(1, ?) as i) as s`,
      [LEADS, MESSAGES],
    ),
  );
  // Vacuum too, as autovacuum would have by then: index-only scans need the visibility map.
  await timed('vacuum analyze', () => db.raw('vacuum analyze'));
}

async function main(): Promise<void> {
  // BENCH_REUSE=1 times the database seeded by an earlier run (after migrating it), without seeding again.
  const reuse = process.env.BENCH_REUSE === '1';
  if (!reuse) await recreate(URL_);
  const db = createDb(URL_);
  try {
    await migrateLatest(db);
    if (!reuse) await seed(db);
    const app = buildApi({
      logger: pino({ level: 'warn' }),
      health: { postgres: async () => {}, temporal: async () => {} },
      metrics: createMetrics(),
      analytics: { db, token: TOKEN, timeZone: 'Europe/Moscow' },
    });
    for (const days of [180, 30]) {
      const times: number[] = [];
      for (let run = 0; run <= RUNS; run++) {
        const started = performance.now();
        const response = await app.inject({ method: 'GET', url: `/analytics?days=${days}`, headers: { authorization: `Bearer ${TOKEN}` } });
        const ms = performance.now() - started;
        if (response.statusCode !== 200) throw new Error(`/analytics answered ${response.statusCode}: ${response.body}`);
        if (run > 0) times.push(ms); // the first run warms the connection pool and caches
        else console.log(`days=${days}: new users ${response.json().users.new}, funnel ${JSON.stringify(response.json().funnel.steps.map((s: { count: number }) => s.count))}`);
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)];
      console.log(`GET /analytics?days=${days}: median ${median.toFixed(0)} ms over ${RUNS} runs (min ${times[0].toFixed(0)}, max ${times.at(-1)?.toFixed(0)})`);
    }
    await app.close();
  } finally {
    await db.destroy();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

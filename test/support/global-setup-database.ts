import { createDb, dropDatabase, ensureDatabase, migrateLatest } from '../../db/knex';
import { seedCatalogue } from '../../db/seed';
import { TEST_DATABASE_URL } from './paths';

// Jest runs each project's global setup in the one main process: the flag makes the database
// fresh once per run, however many projects ask for it.
const DONE = 'SALES_TEST_DATABASE_READY';

/** Once per run: a fresh test database with every migration and the seeded catalogue. */
export default async function globalSetupDatabase(): Promise<void> {
  if (process.env[DONE] === TEST_DATABASE_URL) return;
  await recreateDatabase(TEST_DATABASE_URL);
  const db = createDb(TEST_DATABASE_URL);
  try {
    await migrateLatest(db);
    await seedCatalogue(db);
  } finally {
    await db.destroy();
  }
  process.env[DONE] = TEST_DATABASE_URL;
}

async function recreateDatabase(url: string): Promise<void> {
  await dropDatabase(url);
  await ensureDatabase(url);
}

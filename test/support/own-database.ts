import { createDb, ensureDatabase, migrateLatest, type Db } from '../../db/knex';
import { TEST_DATABASE_URL } from './paths';

/**
 * A freshly migrated database of one test file's own (the suite's database name plus a suffix),
 * for tests that count every row, so rows other test files leave behind never change a figure.
 */
export async function ownDatabase(suffix: string): Promise<{ db: Db; url: string }> {
  const url = new URL(TEST_DATABASE_URL);
  const name = `${url.pathname.slice(1)}_${suffix}`;
  const admin = new URL(TEST_DATABASE_URL);
  admin.pathname = '/postgres';
  const adminDb = createDb(admin.toString());
  try {
    await adminDb.raw('drop database if exists ?? with (force)', [name]);
  } finally {
    await adminDb.destroy();
  }
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  const db = createDb(url.toString());
  await migrateLatest(db);
  return { db, url: url.toString() };
}

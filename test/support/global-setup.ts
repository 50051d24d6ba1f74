import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createDb, ensureDatabase, migrateLatest } from '../../db/knex';
import { seedCatalogue } from '../../db/seed';
import { TEST_DATABASE_URL, WORKFLOW_BUNDLE_PATH } from './paths';

/**
 * Once per `npm test`: a fresh test database with every migration, and the workflow bundle
 * that every worker in the suite reuses (bundling takes seconds; doing it per test would not do).
 */
export default async function globalSetup(): Promise<void> {
  await recreateDatabase(TEST_DATABASE_URL);
  const db = createDb(TEST_DATABASE_URL);
  try {
    await migrateLatest(db);
    await seedCatalogue(db);
  } finally {
    await db.destroy();
  }
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  mkdirSync(join(WORKFLOW_BUNDLE_PATH, '..'), { recursive: true });
  writeFileSync(WORKFLOW_BUNDLE_PATH, code);
}

async function recreateDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  target.pathname = '/postgres';
  const admin = createDb(target.toString());
  try {
    await admin.raw('drop database if exists ?? with (force)', [name]);
  } finally {
    await admin.destroy();
  }
  await ensureDatabase(url);
}

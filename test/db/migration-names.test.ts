import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrateLatest, type Db } from '../../db/knex';
import { formerMigrationNames, migrationSource } from '../../migrations';
import { ownDatabase } from '../support/own-database';

let db: Db;
beforeAll(async () => {
  ({ db } = await ownDatabase('migration_names'));
});
afterAll(() => db?.destroy());

describe('migration files', () => {
  it('sort on disk in the order they run', async () => {
    const runOrder = (await migrationSource.getMigrations([])) as string[];
    const onDisk = readdirSync(join(__dirname, '..', '..', 'migrations'))
      .filter((file) => /^\d{3}_.*\.ts$/.test(file))
      .map((file) => file.replace(/\.ts$/, ''))
      .sort();
    expect(onDisk).toEqual(runOrder);
  });

  it('a database migrated under the former date-based names upgrades without running anything twice', async () => {
    // Put the history back the way an older deployment recorded it.
    for (const [former, current] of Object.entries(formerMigrationNames)) {
      await db('knex_migrations').where({ name: current }).update({ name: former });
    }
    expect(await migrateLatest(db)).toEqual([]);
    const names = (await db('knex_migrations').orderBy('id').pluck('name')) as string[];
    expect(names).toEqual(await migrationSource.getMigrations([]));
  });
});

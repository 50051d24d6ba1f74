import knex, { type Knex } from 'knex';
import pg from 'pg';
import { knexConfig, MIGRATIONS_TABLE } from '../knexfile';
import { formerMigrationNames } from '../migrations';

export type Db = Knex;

/** Postgres returns bigint as a string; our ids (Telegram ids included) fit in a JS number. */
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function createDb(databaseUrl: string): Db {
  return knex(knexConfig(databaseUrl));
}

/** Runs every pending migration; safe to call at every start. */
export async function migrateLatest(db: Db): Promise<string[]> {
  await renameFormerMigrations(db);
  const [, applied] = (await db.migrate.latest()) as [number, string[]];
  return applied;
}

/** A database migrated before the files were numbered in run order keeps its history under the new names. */
async function renameFormerMigrations(db: Db): Promise<void> {
  if (!(await db.schema.hasTable(MIGRATIONS_TABLE))) return;
  await db.transaction(async (trx) => {
    for (const [former, current] of Object.entries(formerMigrationNames)) {
      await trx(MIGRATIONS_TABLE).where({ name: former }).update({ name: current });
    }
  });
}

/** Creates the database named in the URL if it does not exist (used by `migrate` and the tests). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[\w-]+$/.test(name)) throw new Error(`DATABASE_URL: unsupported database name "${name}"`);
  url.pathname = '/postgres';
  const admin = createDb(url.toString());
  try {
    const found = await admin('pg_database').where({ datname: name }).first();
    if (!found) await admin.raw('create database ??', [name]);
  } finally {
    await admin.destroy();
  }
}

/** Drops the database `databaseUrl` names, whoever is still connected (test and benchmark databases only). */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  const admin = createDb(url.toString());
  try {
    await admin.raw('drop database if exists ?? with (force)', [name]);
  } finally {
    await admin.destroy();
  }
}

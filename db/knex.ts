import knex, { type Knex } from 'knex';
import pg from 'pg';
import { knexConfig } from '../knexfile';

export type Db = Knex;

/** Postgres returns bigint as a string; our ids (Telegram ids included) fit in a JS number. */
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function createDb(databaseUrl: string): Db {
  return knex(knexConfig(databaseUrl));
}

/** Runs every pending migration; safe to call at every start. */
export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest()) as [number, string[]];
  return applied;
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

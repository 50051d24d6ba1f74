import type { Knex } from 'knex';
import { migrationSource } from './migrations';

/** Where Knex records which migrations ran. */
export const MIGRATIONS_TABLE = 'knex_migrations';

/** Knex settings shared by the app, the tests and the knex CLI. */
export function knexConfig(databaseUrl: string): Knex.Config {
  return {
    client: 'pg',
    connection: databaseUrl,
    pool: { min: 0, max: 10 },
    migrations: { migrationSource, tableName: MIGRATIONS_TABLE },
  };
}

export default knexConfig(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/sales');

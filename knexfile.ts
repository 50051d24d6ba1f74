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
    log: {
      // The failed connect is thrown to the caller too, which says it in one line (db/database-errors.ts);
      // Knex's own copy would put its stack trace in front of that line.
      warn: (message: string) => {
        if (!String(message).startsWith('Acquire connection error')) process.emitWarning(String(message), 'KnexWarning');
      },
    },
  };
}

export default knexConfig(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/sales');

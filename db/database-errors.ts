/**
 * A database that cannot be used at start-up, said in one line naming DATABASE_URL (never a
 * stack trace): nobody answers, the login is refused, or the user lacks a permission.
 */
export class DatabaseUnusableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnusableError';
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);
/** Postgres' SQLSTATEs for a refused login: wrong password, no pg_hba entry or unknown role, and a missing database. */
const LOGIN_REFUSED = new Set(['28P01', '28000', '3D000']);
const NO_PERMISSION = new Set(['42501']);

/** The one line for a connection or permission error from pg or Knex; undefined for anything else. */
export function describeDatabaseError(error: unknown, databaseUrl: string): string | undefined {
  const { code, message, name } = (error ?? {}) as { code?: string; message?: string; name?: string };
  const where = safeUrl(databaseUrl);
  if (code && UNREACHABLE.has(code)) {
    return `DATABASE_URL (${where}): no PostgreSQL answers there (${code}). Start PostgreSQL or correct DATABASE_URL; leave it unset to run the embedded PostgreSQL in data/postgres.`;
  }
  if (name === 'KnexTimeoutError') {
    return `DATABASE_URL (${where}): PostgreSQL did not answer in time. Check that the host and port are right and reachable.`;
  }
  if (code && LOGIN_REFUSED.has(code)) {
    return `DATABASE_URL (${where}): PostgreSQL refused the login: ${oneLine(message)}. Correct the user, password or database in DATABASE_URL (or the server's pg_hba.conf).`;
  }
  if (code && NO_PERMISSION.has(code)) {
    return `DATABASE_URL (${where}): the user lacks a permission: ${oneLine(message)}. Grant it (e.g. ALTER ROLE … CREATEDB, or create the database for this user) or use another user.`;
  }
  return undefined;
}

/** The URL with its password replaced, fit for a log line. */
export function safeUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(not a valid URL)';
  }
}

function oneLine(text: string | undefined): string {
  return (text ?? 'unknown reason').split('\n')[0];
}

/** Runs `work`; a connection or permission error comes out as a DatabaseUnusableError. */
export async function explainingDatabaseErrors<T>(databaseUrl: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const line = describeDatabaseError(error, databaseUrl);
    throw line ? new DatabaseUnusableError(line) : error;
  }
}

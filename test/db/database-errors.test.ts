import pino from 'pino';
import { loadConfig } from '../../config';
import { DatabaseUnusableError } from '../../db/database-errors';
import { createDb } from '../../db/knex';
import { migrate } from '../../system';
import { TEST_DATABASE_URL } from '../support/paths';

const silent = pino({ level: 'silent' });
const role = `no_createdb_${process.pid}`;
const foreignDatabase = `${new URL(TEST_DATABASE_URL).pathname.slice(1)}_not_yours`;

/** The suite's server with another user, password or database. */
function urlWith(change: { user?: string; password?: string; database?: string; port?: string }): string {
  const url = new URL(TEST_DATABASE_URL);
  if (change.user) url.username = change.user;
  if (change.password) url.password = change.password;
  if (change.database) url.pathname = `/${change.database}`;
  if (change.port) url.port = change.port;
  return url.toString();
}

async function startUpError(databaseUrl: string): Promise<Error> {
  const error = await migrate(loadConfig({ DATABASE_URL: databaseUrl }), silent).then(() => undefined, (caught: Error) => caught);
  if (!error) throw new Error('migrate succeeded');
  return error;
}

const admin = createDb(TEST_DATABASE_URL);
beforeAll(async () => {
  await admin.raw(`drop role if exists ${role}`);
  await admin.raw(`create role ${role} login nocreatedb`);
  await admin.raw('drop database if exists ?? with (force)', [foreignDatabase]);
  await admin.raw('create database ??', [foreignDatabase]);
});
afterAll(async () => {
  await admin.raw('drop database if exists ?? with (force)', [foreignDatabase]);
  await admin.raw(`drop role if exists ${role}`);
  await admin.destroy();
});

describe('a database that cannot be used at start-up: one line naming DATABASE_URL, no stack trace', () => {
  it('nobody answers at the address', async () => {
    const error = await startUpError(urlWith({ port: '1', password: 'hunter2-secret' }));
    expect(error).toBeInstanceOf(DatabaseUnusableError);
    expect(error.message).toMatch(/^DATABASE_URL \(postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/.*\): no PostgreSQL answers there \(ECONNREFUSED\)/);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('\n');
  });

  it('the server refuses the login (an unknown role)', async () => {
    const error = await startUpError(urlWith({ user: `nobody_${process.pid}` }));
    expect(error).toBeInstanceOf(DatabaseUnusableError);
    expect(error.message).toMatch(/^DATABASE_URL \(.*nobody_\d+@.*\): PostgreSQL refused the login: role "nobody_\d+" does not exist\./);
  });

  it('the user may not create the database', async () => {
    const error = await startUpError(urlWith({ user: role, database: `never_created_${process.pid}` }));
    expect(error).toBeInstanceOf(DatabaseUnusableError);
    expect(error.message).toMatch(/the user lacks a permission: .*permission denied to create database\. Grant it/);
    expect(error.message).not.toContain('\n');
  });

  it('the user may not create tables in a database someone else owns', async () => {
    const error = await startUpError(urlWith({ user: role, database: foreignDatabase }));
    expect(error).toBeInstanceOf(DatabaseUnusableError);
    expect(error.message).toMatch(/the user lacks a permission: .*permission denied for schema public\. Grant it/);
  });
});

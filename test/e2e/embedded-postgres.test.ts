import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../config';
import { createDb } from '../../db/knex';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../scripts/embedded-postgres';
import { migrate } from '../../system';
import { startApp } from '../support/processes';

// A first start runs initdb; on a loaded machine that takes a while. Every wait below is bounded.
jest.setTimeout(180_000);

const silent = pino({ level: 'silent' });
let running: EmbeddedPostgres | undefined;
afterEach(async () => running?.stop());

/** A fresh folder that the unprivileged user the server runs as (when we are root) can reach. */
function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the embedded PostgreSQL (DATABASE_URL unset)', () => {
  it('starts on a free loopback port, takes the migrations, keeps the data across a restart, and stops', async () => {
    const dir = join(scratch('embedded-pg-'), 'postgres');
    running = await startEmbeddedPostgres({ dir, readyTimeoutMs: 120_000 });
    expect(running.url).toMatch(/^postgres:\/\/postgres:[\w-]+@127\.0\.0\.1:\d+\/sales$/);
    await migrate(loadConfig({ DATABASE_URL: running.url }), silent);
    let db = createDb(running.url);
    await db('leads').insert({ telegram_user_id: 4242, chat_id: 4242, first_name: 'Kept' });
    await db.destroy();
    const pid = Number(readFileSync(join(dir, 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0]);
    await running.stop();
    expect(isRunning(pid)).toBe(false);
    expect(existsSync(join(dir, 'pgdata', 'postmaster.pid'))).toBe(false); // a clean shutdown

    running = await startEmbeddedPostgres({ dir, readyTimeoutMs: 120_000 });
    db = createDb(running.url);
    try {
      expect(await db('leads').where({ telegram_user_id: 4242 }).first()).toMatchObject({ first_name: 'Kept' });
    } finally {
      await db.destroy();
    }
  });

  it('refuses a login without its password (it listens on loopback, but other local users exist)', async () => {
    const dir = join(scratch('embedded-pg-'), 'postgres');
    running = await startEmbeddedPostgres({ dir, readyTimeoutMs: 120_000 });
    const db = createDb(`postgres://postgres@127.0.0.1:${running.port}/postgres`);
    await expect(db.raw('select 1')).rejects.toThrow(/password/);
    await db.destroy();
  });

  it('`npm run migrate` without DATABASE_URL: migrates the embedded one in DATA_DIR and leaves no server running', async () => {
    const dataDir = scratch('embedded-migrate-');
    const app = startApp(['migrate'], { DATABASE_URL: '', DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    const code = await new Promise<number | null>((resolve) => app.child.once('exit', resolve));
    expect({ code, output: app.output() }).toEqual({ code: 0, output: expect.stringContaining('embedded PostgreSQL running') });
    expect(app.output()).toContain('migrations applied');
    expect(app.output()).not.toMatch(/postgres:\/\/postgres:[^*]/); // the password never reaches the log
    expect(existsSync(join(dataDir, 'postgres', 'pgdata', 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(dataDir, 'postgres', 'pgdata', 'postmaster.pid'))).toBe(false);
  });
});

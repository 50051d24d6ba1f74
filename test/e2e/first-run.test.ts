import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../../db/knex';
import { freePort } from '../../scripts/dev-server';
import { ownDatabase } from '../support/own-database';
import { startApp } from '../support/processes';

jest.setTimeout(180_000);

/** Whether anything listens on the loopback port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `npm start` with its own dev server ports and data folder; resolves with the exit code and output. */
async function startFailing(databaseUrl: string, extra: Record<string, string> = {}): Promise<{ code: number | null; output: string; ports: number[]; dataDir: string }> {
  const ports = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'first-run-'));
  chmodSync(dataDir, 0o755); // the embedded PostgreSQL's user must reach it when we are root
  const app = startApp(['start'], {
    TELEGRAM_BOT_TOKEN: '654321:E2E-token-for-a-bot-that-never-starts',
    TELEGRAM_API_ROOT: 'http://127.0.0.1:1',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: '',
    TEMPORAL_DEV_SERVER_PORT: String(ports[0]),
    TEMPORAL_UI_PORT: String(ports[1]),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ...extra,
  });
  const code = await new Promise<number | null>((resolve) => app.child.once('exit', resolve));
  return { code, output: app.output(), ports, dataDir };
}

describe('a start that fails stops what it started', () => {
  let db: Db | undefined;
  afterAll(async () => db?.destroy());

  it('Postgres unreachable: one line naming DATABASE_URL, no stack trace, the dev server stopped', async () => {
    const { code, output, ports } = await startFailing('postgres://postgres@127.0.0.1:1/sales');
    expect(code).toBe(1);
    expect(output).toContain('temporal dev server running');
    const lines = output.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^cannot start: DATABASE_URL \(postgres:\/\/postgres@127\.0\.0\.1:1\/sales\): no PostgreSQL answers there \(ECONNREFUSED\)/);
    expect(output).not.toMatch(/^\s+at /m);
    expect(await answers(ports[0])).toBe(false);
    expect(await answers(ports[1])).toBe(false);
  });

  it('a migration that fails (the migrations table is locked) stops the dev server too', async () => {
    const own = await ownDatabase('locked_migrations');
    db = own.db;
    await db('knex_migrations_lock').update({ is_locked: 1 });
    const { code, output, ports } = await startFailing(own.url);
    expect(code).toBe(1);
    expect(output).toContain('temporal dev server running');
    expect(output).toMatch(/Migration table is already locked/);
    expect(await answers(ports[0])).toBe(false);
    expect(await answers(ports[1])).toBe(false);
  });

  it('a start that fails after the embedded PostgreSQL came up (no Temporal CLI) stops it', async () => {
    const { code, output, dataDir } = await startFailing('', { TEMPORAL_CLI_PATH: '/nowhere/temporal' });
    expect(code).toBe(1);
    expect(output).toContain('embedded PostgreSQL running');
    expect(output.trim().split('\n').at(-1)).toMatch(/^cannot start: the Temporal CLI not found \(tried \/nowhere\/temporal\)/);
    expect(existsSync(join(dataDir, 'postgres', 'pgdata', 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(dataDir, 'postgres', 'pgdata', 'postmaster.pid'))).toBe(false);
  });
});

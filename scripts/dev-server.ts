import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';

/**
 * Closed workflow histories on the embedded dev server are kept 3 days: long enough to look into a
 * payment or handoff that ended over a weekend, short enough that what a lead wrote (signals carry
 * their texts) does not linger in Temporal long after /reset erased it from Postgres.
 */
export const DEV_SERVER_RETENTION_MS = 3 * 24 * 3_600_000;

export interface DevServer {
  address: string;
  uiPort?: number;
  stop(): Promise<void>;
  /** SIGKILL, like a crashed machine (the fault suite's Temporal outage); resolves once it exited. */
  kill(): Promise<void>;
}

export interface DevServerOptions {
  cliPath: string;
  /** 0 picks a free port. */
  port?: number;
  /** Omit for no Web UI. */
  uiPort?: number;
  /** SQLite file that keeps workflows across restarts; omit for in-memory. */
  dbFile?: string;
  namespace?: string;
  /**
   * How long closed workflow histories stay (ms), set on the namespace once the server answers:
   * `start-dev` has no retention flag and its default (24 h) depends on the CLI version. Histories
   * hold what leads wrote, so this bounds how long a /reset person's texts outlive them in Temporal.
   */
  retentionMs?: number;
  /** How long to wait for the server to answer. */
  readyTimeoutMs?: number;
}

/**
 * Starts `temporal server start-dev` and waits until it answers. We start it ourselves rather
 * than through the SDK, whose launcher gives a spawned server only 5 seconds.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const port = options.port || (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'];
  args.push('--namespace', options.namespace ?? 'default');
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
    // Write-ahead logging: each commit is one append and one fsync instead of a rollback journal's
    // several, just as durable. Every workflow task and activity is a commit, so a new conversation
    // (about 11 of them) was greeted 2-3 times faster with it (docs/testing.md#scale-and-bursts-of-new-leads).
    args.push('--sqlite-pragma', 'journal_mode=wal');
    // A log without its database is left over from a deleted file: SQLite would replay it into the new one.
    if (!existsSync(options.dbFile)) for (const suffix of ['-wal', '-shm']) rmSync(`${options.dbFile}${suffix}`, { force: true });
  }
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const address = `127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(address, child, options.readyTimeoutMs ?? 60_000, () => stderr);
    if (options.retentionMs !== undefined) await setRetention(address, options.namespace ?? 'default', options.retentionMs);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { address, uiPort: options.uiPort, stop: () => stopProcess(child), kill: () => killProcess(child) };
}

/** `temporal operator namespace update --retention`, through the SDK's connection. */
export async function setRetention(address: string, namespace: string, retentionMs: number): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.updateNamespace({ namespace, config: { workflowExecutionRetentionTtl: msToTs(retentionMs) } });
  } finally {
    await connection.close();
  }
}

async function waitUntilAnswering(address: string, child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Temporal dev server exited with code ${child.exitCode}: ${stderr()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Temporal dev server on ${address} did not answer within ${timeoutMs} ms: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Asks the OS for a free port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

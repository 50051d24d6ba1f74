import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface AppProcess {
  child: ChildProcess;
  output(): string;
  /** SIGKILL: no shutdown hooks, like a crashed machine. */
  kill(): Promise<void>;
  /** SIGTERM: the clean shutdown path. */
  terminate(): Promise<number | null>;
}

/**
 * Runs `main.ts <command>` as its own process, the way an operator would. One node process
 * with tsx as a loader (the `tsx` binary would put a second process between us and the app,
 * and a SIGKILL would then leave the app running).
 */
export function startApp(command: string[], env: Record<string, string>): AppProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts', ...command], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    terminate: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls an HTTP URL until it answers 200 (the process is up), or fails with its output. */
export async function waitForHttp(url: string, app: AppProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (app.child.exitCode !== null) throw new Error(`process exited with ${app.child.exitCode}:\n${app.output()}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${app.output()}`);
}

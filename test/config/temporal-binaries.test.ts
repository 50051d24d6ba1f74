import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TemporalBinaryMissingError, temporalCliPath } from '../../scripts/temporal-binaries';

const folder = () => mkdtempSync(join(tmpdir(), 'temporal-cli-'));
function executable(dir: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

describe('which Temporal CLI runs the dev server', () => {
  it('the pinned one in .tools first, even with another on PATH', () => {
    const pinned = folder();
    const other = folder();
    executable(other, 'temporal');
    const path = executable(pinned, 'temporal');
    expect(temporalCliPath({ PATH: other }, pinned)).toBe(path);
  });

  it('a `temporal` already on PATH when the pinned one is not installed', () => {
    const empty = folder();
    const elsewhere = folder();
    const path = executable(elsewhere, 'temporal');
    expect(temporalCliPath({ PATH: [folder(), elsewhere].join(':') }, empty)).toBe(path);
  });

  it('neither: says how to install it or which variable to set', () => {
    expect(() => temporalCliPath({ PATH: folder() }, folder())).toThrow(TemporalBinaryMissingError);
    expect(() => temporalCliPath({ PATH: folder() }, folder())).toThrow(/then PATH.*npm run install:temporal.*TEMPORAL_CLI_PATH/);
  });

  it('TEMPORAL_CLI_PATH wins, and a wrong one is an error rather than a silent fallback', () => {
    const elsewhere = folder();
    executable(elsewhere, 'temporal');
    const chosen = executable(folder(), 'my-temporal');
    expect(temporalCliPath({ PATH: elsewhere, TEMPORAL_CLI_PATH: chosen }, folder())).toBe(chosen);
    expect(() => temporalCliPath({ PATH: elsewhere, TEMPORAL_CLI_PATH: '/nowhere/temporal' }, folder())).toThrow(/\/nowhere\/temporal/);
  });
});

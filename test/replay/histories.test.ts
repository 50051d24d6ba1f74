import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_PATH } from '../support/paths';
import { quietRuntime } from '../support/temporal';

quietRuntime();

const HISTORIES_DIR = join(__dirname, '..', 'histories');
const files = readdirSync(HISTORIES_DIR).filter((name) => name.endsWith('.json'));

/**
 * Every recorded history must replay on today's workflow code. A failure here means a change
 * would break workflows already running in production: guard it with patched() instead.
 */
describe('recorded workflow histories replay on the current code', () => {
  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s', async (file) => {
    const json = JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8'));
    const history = temporal.api.history.v1.History.fromObject(json);
    expect(history.events.length).toBeGreaterThan(10);
    await Worker.runReplayHistory({ workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }, history, file);
  });
});

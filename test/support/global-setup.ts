import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundlerOptions } from '../../worker/shared-workflow-modules';
import globalSetupDatabase from './global-setup-database';
import { WORKFLOW_BUNDLE_PATH } from './paths';

const DONE = 'SALES_TEST_BUNDLE_READY';

/**
 * Once per run, for the projects that run workflows: the fresh test database, and the workflow
 * bundle that every worker in the suite reuses (bundling takes seconds; doing it per test would not do).
 */
export default async function globalSetup(): Promise<void> {
  await globalSetupDatabase();
  if (process.env[DONE] === WORKFLOW_BUNDLE_PATH) return;
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    // As the worker bundles them: the tests run the workflows the way production does.
    ...workflowBundlerOptions(),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  mkdirSync(join(WORKFLOW_BUNDLE_PATH, '..'), { recursive: true });
  writeFileSync(WORKFLOW_BUNDLE_PATH, code);
  process.env[DONE] = WORKFLOW_BUNDLE_PATH;
}

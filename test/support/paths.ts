import { join } from 'node:path';

/** The suite's own database, recreated at every run (never the one `npm start` uses). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/sales_test';

/** The workflow bundle built once per run by the global setup. */
export const WORKFLOW_BUNDLE_PATH =
  process.env.TEST_WORKFLOW_BUNDLE_PATH ?? join(__dirname, '..', '..', '.tools', 'test', 'workflow-bundle.js');

import globalSetup from '../../support/global-setup';
import { clearRows } from './report';

/** The e2e setup (fresh database, workflow bundle), and an empty table for this run's rows. */
export default async function faultsGlobalSetup(): Promise<void> {
  await globalSetup();
  clearRows();
}

import { REPORT_FILE, writeReport } from './report';
import { SCALE_NAME } from './scale';

/** Prints the run's table and writes it to faults-report.md. */
export default function faultsGlobalTeardown(): void {
  const table = writeReport(SCALE_NAME);
  console.log(`\n${table}\n(written to ${REPORT_FILE})`);
}

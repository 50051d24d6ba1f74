/**
 * Waits for something a worker will make true (a row in Postgres, a workflow's state), never for a
 * fixed time: polls every 50 ms; the deadline only bounds a test that would otherwise hang.
 */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  for (const started = Date.now(); !(await check()); await new Promise((resolve) => setTimeout(resolve, 50))) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
  }
}

/**
 * Resolves once `predicate` holds (a throwing predicate counts as not yet); polls every 20 ms.
 * On timeout the error shows the predicate and what the fake saw last (`recent`).
 */
export async function waitFor(predicate: () => boolean, timeoutMs: number, recent: () => string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (predicate()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(
    `waitFor: condition not met within ${timeoutMs} ms: ${predicate.toString()}` +
      (lastError ? `\nlast predicate error: ${String(lastError)}` : '') +
      `\nlast calls: ${recent().join(', ') || 'none'}`,
  );
}

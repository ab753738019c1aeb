/**
 * Waits until `fn` stops throwing (an expect inside it passes) or the deadline passes, then
 * rethrows the last failure so the test says what it was waiting for. Never a fixed sleep.
 */
export async function expectEventually<T>(
  fn: () => Promise<T> | T,
  { timeoutMs = 10000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const message = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(`expectEventually timed out after ${timeoutMs} ms; last failure:\n${message}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** What `within` answers when the promise did not settle in time. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * The promise's outcome, or `TIMED_OUT` after `ms`. A rejection is passed on as a rejection. The
 * timer is cleared when the race ends and never holds the process open. The promise itself runs
 * on: a caller that stops waiting must say what a late answer means (a late rejection is caught
 * here, so it is never unhandled).
 */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
    timer.unref();
  });
  promise.catch(() => undefined);
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

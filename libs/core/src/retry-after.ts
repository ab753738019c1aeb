/**
 * An HTTP `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an HTTP date) as milliseconds from
 * `now`; undefined when absent or unreadable, 0 for a date already past. One reading for every
 * peer that sends it: RBM, LINE and the CRMs our callbacks go to.
 */
export function retryAfterMs(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (header == null) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP-date form starts with its day's name; Date.parse alone would take '-5' for a year.
  const at = /^[A-Za-z]/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

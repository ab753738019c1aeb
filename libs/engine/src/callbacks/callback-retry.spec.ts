import { callbackBackoffMs, callbackRetryAt } from './callback-sender.service';

describe('when a callback is tried again', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const wait = (tries: number, retryAfter?: string | null) => callbackRetryAt(tries, retryAfter, now).getTime() - now;

  it('backs off from 5 s, doubling to 30 minutes, ±25 %', () => {
    for (let i = 0; i < 50; i++) {
      expect(callbackBackoffMs(1)).toBeGreaterThanOrEqual(3_750);
      expect(callbackBackoffMs(1)).toBeLessThanOrEqual(6_250);
      expect(callbackBackoffMs(3)).toBeGreaterThanOrEqual(15_000);
      expect(callbackBackoffMs(20)).toBeLessThanOrEqual(30 * 60_000 * 1.25);
      expect(callbackBackoffMs(20)).toBeGreaterThanOrEqual(30 * 60_000 * 0.75);
    }
  });

  it("waits for a later Retry-After (seconds or a date), never less than its own backoff, an hour at most", () => {
    expect(wait(1, '120')).toBe(120_000);
    expect(wait(1, 'Thu, 01 Jan 2026 00:10:00 GMT')).toBe(600_000);
    // A Retry-After of 0 or one already past cannot make us hammer the CRM.
    expect(wait(1, '0')).toBeGreaterThanOrEqual(3_750);
    expect(wait(1, 'Wed, 31 Dec 2025 00:00:00 GMT')).toBeGreaterThanOrEqual(3_750);
    expect(wait(1, 'soon')).toBeLessThanOrEqual(6_250);
    expect(wait(1, String(3 * 86_400))).toBe(3_600_000);
  });
});

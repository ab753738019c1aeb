import { retryAfterMs } from './retry-after';

describe('retryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each([
    ['5', 5000],
    [' 0 ', 0],
    ['120', 120_000],
    ['Wed, 01 Jan 2025 00:00:30 GMT', 30000],
    ['Tue, 31 Dec 2024 23:59:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined],
    ['', undefined],
    [null, undefined],
    [undefined, undefined],
  ])('%j → %s ms', (value, ms) => {
    expect(retryAfterMs(value, now)).toBe(ms);
  });
});
